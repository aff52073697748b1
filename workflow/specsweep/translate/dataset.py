"""Training and evaluation sets for the translator: spectra + structures -> padded NumPy arrays.

Spectra are read through the pipeline's ingest (:func:`read_annotated`). Structures
are written as RDKit canonical SMILES without stereochemistry (what the model learns to emit);
compounds are identified by the first InChIKey block.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from specsweep.translate.model import TranslatorConfig
from specsweep.translate.tokenizer import SmilesTokenizer, encode_peaks, encode_precursor, pad_token_rows

ARRAY_KEYS = ("peak_int", "peak_frac", "peak_bin", "peak_loss", "n_peaks", "prec_int", "prec_frac", "adduct")


def canonical_no_stereo(smiles: str) -> tuple[str, str] | None:
    """(canonical SMILES without stereo, InChIKey first block), or None if RDKit cannot read it."""
    from rdkit import Chem
    mol = Chem.MolFromSmiles(smiles) if smiles else None
    if mol is None:
        return None
    Chem.RemoveStereochemistry(mol)
    key = Chem.MolToInchiKey(mol)
    if not key:
        return None
    return Chem.MolToSmiles(mol), key[:14]


def process(mz, intensity, precursor_mz):
    """The pipeline's own peak processing for a simulated [M+H]+ spectrum (synthetic training
    spectra): precursor region removed, top peaks, as ``specsweep ingest`` does."""
    from specsweep.spectra.peaks import process_peaks
    if not np.isfinite(precursor_mz) or precursor_mz <= 0 or len(mz) == 0:
        return np.zeros(0), np.zeros(0)
    pmz, pint, _, _ = process_peaks(mz, intensity, precursor_mz, charge=1, ion_mode="positive")
    return pmz, pint.astype(np.float64)


READ_COLUMNS = ["source_file", "index", "title", "precursor_mz", "adduct", "mz", "intensity",
                "annotation_smiles", "annotation_formula"]


def read_annotated(paths) -> list[dict]:
    """Annotated spectra (MGF/mzML/mzXML files, or spectra folders) -> records with precursor_mz,
    adduct, mz, intensity, smiles, formula, title.

    Read through the pipeline's ingest (:func:`specsweep.spectra.ingest.load_spectra`): the peaks
    are processed with each spectrum's own charge and ion mode, exactly as the spectra the
    translator later reads; records ingest cannot use are its counted rejects.
    """
    from specsweep.spectra.ingest import load_spectra
    paths = list(paths)
    if not paths:
        return []
    table = load_spectra(paths, columns=READ_COLUMNS)
    return [{"source": r["source_file"], "record": r["index"], "title": r["title"] or "",
             "precursor_mz": r["precursor_mz"], "adduct": r["adduct"] or "",
             "smiles": r["annotation_smiles"] or "", "formula": r["annotation_formula"] or "",
             "mz": np.asarray(r["mz"], dtype=np.float64), "intensity": np.asarray(r["intensity"], dtype=np.float64)}
            for r in table.to_pylist()]


def compound_keys(paths) -> set[str]:
    """First InChIKey blocks of every annotated structure in these MGF files (to exclude them)."""
    keys = set()
    for r in read_annotated(paths):
        c = canonical_no_stereo(r["smiles"])
        if c:
            keys.add(c[1])
    return keys


def adduct_ids(names, config: TranslatorConfig) -> np.ndarray:
    index = {a: i for i, a in enumerate(config.adducts)}
    return np.asarray([index.get(n or "", 0) for n in names], dtype=np.int16)


def encode_spectra(offsets, mz, intensity, precursor_mz, adducts, config: TranslatorConfig) -> dict:
    """CSR peaks + precursor m/z (Th) + adduct names -> the model's input arrays."""
    arrays = encode_peaks(offsets, mz, intensity, precursor_mz, config.max_peaks, config.max_mz_int)
    arrays.update(encode_precursor(precursor_mz, adduct_ids(adducts, config)))
    return arrays


def records_to_csr(records) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    lengths = np.array([len(r["mz"]) for r in records], dtype=np.int64)
    offsets = np.zeros(len(records) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    mz = np.concatenate([r["mz"] for r in records]) if records else np.zeros(0)
    inten = np.concatenate([r["intensity"] for r in records]) if records else np.zeros(0)
    prec = np.array([r["precursor_mz"] for r in records], dtype=np.float64)
    return offsets, mz, inten, prec


def build_examples(records, tokenizer: SmilesTokenizer, config: TranslatorConfig,
                   exclude: set[str] = frozenset()) -> tuple[dict, list[dict]]:
    """Annotated spectrum records -> (arrays incl. ``tokens`` and ``smiles``/``ik14``, rejects).

    Rejected (with reason): unparsable structure, compound in ``exclude``, no precursor, no peak
    left after filtering, SMILES longer than the decoder, tokens outside the vocabulary.
    """
    keep, rows, smiles, keys, rejects = [], [], [], [], []

    def reject(r, reason, detail=""):
        rejects.append({"source": r.get("source", ""), "record": r.get("record", -1),
                        "record_id": r.get("title", ""), "reason": reason, "detail": detail})

    for r in records:
        c = canonical_no_stereo(r["smiles"])
        if c is None:
            reject(r, "unparsable_smiles")
            continue
        if c[1] in exclude:
            reject(r, "excluded_compound", c[1])
            continue
        if not np.isfinite(r["precursor_mz"]) or r["precursor_mz"] <= 0:
            reject(r, "no_precursor")
            continue
        try:
            ids = tokenizer.encode(c[0])
        except ValueError as exc:
            reject(r, "untokenizable_smiles", str(exc))
            continue
        if len(ids) > config.max_len:
            reject(r, "smiles_too_long", f"{len(ids)} tokens")
            continue
        keep.append(r)
        rows.append(ids)
        smiles.append(c[0])
        keys.append(c[1])
    offsets, mz, inten, prec = records_to_csr(keep)
    arrays = encode_spectra(offsets, mz, inten, prec, [r["adduct"] for r in keep], config)
    ok = arrays["n_peaks"] > 0
    for r, good in zip(keep, ok):
        if not good:
            reject(r, "no_peaks", "no peak with positive intensity below the precursor")
    arrays = {k: v[ok] for k, v in arrays.items()}
    arrays["tokens"] = pad_token_rows([x for x, g in zip(rows, ok) if g], config.max_len)
    arrays["smiles"] = np.array([s for s, g in zip(smiles, ok) if g], dtype=str)
    arrays["ik14"] = np.array([k for k, g in zip(keys, ok) if g], dtype=str)
    arrays["precursor_mz"] = prec[ok]
    return arrays, rejects


def concat(parts: list[dict]) -> dict:
    keys = set.intersection(*(set(p) for p in parts))
    return {k: np.concatenate([p[k] for p in parts]) for k in sorted(keys)}


def save_arrays(path, arrays: dict) -> None:
    import os
    import tempfile
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".npz", dir=path.parent)
    os.close(fd)
    try:
        np.savez_compressed(tmp, **arrays)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def load_arrays(path) -> dict:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}
