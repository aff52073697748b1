"""The ``specsweep fdr`` stage: merged candidates of one dataset -> identifications with q-values.

Reads ``candidates.parquet`` (schema CANDIDATES, all shards and ranks merged), the spectra
directory written by ``specsweep ingest`` (parts, rejects.parquet, manifest.json) and optionally
the database manifest; writes ``identifications.parquet``, ``identifications.tsv`` (same columns,
schema IDENTIFICATIONS: one row per spectrum whose competition a target won, all q-values, best
first) and ``summary.json``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from specsweep.fdr.accounting import compounds_summary, pep_summary, spectra_summary
from specsweep.fdr.balance import check_candidates_balance, check_db_manifest
from specsweep.fdr.competition import best_by_side, picked_compounds, spectrum_winners
from specsweep.fdr.qvalues import decoy_free_mask, qvalues
from specsweep.files import AtomicFolder, read_table, write_json, write_table, write_text
from specsweep.schema import CANDIDATES, IDENTIFICATIONS, REJECTS, RESCORED, SPECTRA

log = logging.getLogger("specsweep.fdr")

DEFAULT_LEVELS = (0.0, 0.01, 0.05)


def _codes(column: pa.ChunkedArray) -> tuple[np.ndarray, list]:
    """Integer code per row and the distinct values (in order of first appearance)."""
    enc = column.combine_chunks().dictionary_encode()
    if enc.null_count:
        raise ValueError("null identifier in candidates")
    return enc.indices.to_numpy(zero_copy_only=False).astype(np.int64), enc.dictionary.to_pylist()


SPECTRUM_KEYS = ["spectrum_id", "feature_id", "scan", "precursor_mz", "rt_seconds"]


def _spectrum_keys(spectra_dir: Path) -> pa.Table:
    """The columns that join an identification back to its spectrum (and to a feature table)."""
    from specsweep.spectra.parts import read_spectra
    return read_spectra(spectra_dir, columns=SPECTRUM_KEYS)


def spectra_ids(spectra_dir: Path) -> tuple[list[str], list[str], dict]:
    """Spectrum ids of all ingested parts, the reason code of every ingest reject, and the
    ingest manifest's counts; checks that parts and rejects agree with the manifest."""
    from specsweep.contracts.spectra_folder import SpectraFolder
    spectra_dir = Path(spectra_dir)
    folder = SpectraFolder(spectra_dir)
    manifest = folder.read_manifest()
    listed = [p["file"] if isinstance(p, dict) else p for p in manifest.get("parts", [])]
    parts = [spectra_dir / f for f in listed] if listed else folder.parts()
    ids: list[str] = []
    for part in parts:
        ids.extend(read_table(part, SPECTRA, columns=["spectrum_id"]).column("spectrum_id").to_pylist())
    rejects = spectra_dir / manifest.get("rejects", "rejects.parquet")
    reasons: list[str] = []
    if rejects.exists():
        reasons = read_table(rejects, REJECTS, columns=["reason"]).column("reason").to_pylist()
    if len(set(ids)) != len(ids):
        raise ValueError(f"{spectra_dir}: duplicate spectrum_id among the parts")
    counts = manifest.get("counts", {})
    for key, found in (("written", len(ids)), ("rejected", len(reasons))):
        if key in counts and int(counts[key]) != found:
            raise ValueError(f"{spectra_dir}: manifest says {counts[key]} spectra {key}, the files "
                             f"hold {found}; the folder is incomplete or was changed")
    return ids, reasons, counts


FDR_FILES = ("identifications.parquet", "identifications.tsv", "summary.json")
"""What an fdr output folder holds; an existing folder with anything else is not replaced."""


def run_fdr(candidates: str | Path, spectra: str | Path, output_dir: str | Path,
            db: str | Path | None = None, levels=DEFAULT_LEVELS, check_balance: bool = True) -> dict:
    """Compute identifications and summary; returns the summary dict."""
    candidates, output_dir = Path(candidates), Path(output_dir)
    rescored = "rescore" in pq.read_schema(candidates).names
    table = read_table(candidates, RESCORED if rescored else CANDIDATES)
    n_rows = table.num_rows
    log.info("%s: %d candidate rows", candidates, n_rows)
    db_info = check_db_manifest(db) if db else {}

    spec_codes, spec_values = _codes(table.column("spectrum_id"))
    mol_codes, mol_values = _codes(table.column("mol_id"))
    # with rescoring, targets and decoys compete on the rescoring model's score
    score = table.column("rescore" if rescored else "score").to_numpy().astype(np.float64)
    is_decoy = table.column("is_decoy").to_numpy(zero_copy_only=False).astype(bool)
    rank = table.column("rank").to_numpy(zero_copy_only=False).astype(np.int64)
    if table.column("score").null_count or table.column("is_decoy").null_count:
        raise ValueError(f"{candidates}: null score or is_decoy")

    win = spectrum_winners(spec_codes, score, is_decoy, rank)
    w_decoy = is_decoy[win]
    best_t, best_d = best_by_side(spec_codes, score, is_decoy, len(spec_values))
    balance = check_candidates_balance(n_rows, int(is_decoy.sum()), win.size, int(w_decoy.sum()),
                                       n_ties=int((best_t == best_d).sum()),
                                       check_share=check_balance)

    w_score = score[win]
    q = qvalues(w_score, w_decoy)
    zero = decoy_free_mask(w_score, w_decoy)

    # picked competition per molecule (decoys share their target's mol_id)
    codes, p_score, p_decoy = picked_compounds(mol_codes[win], w_score, w_decoy)
    p_q = qvalues(p_score, p_decoy)
    compound_q = np.full(len(mol_values), np.nan)
    compound_q[codes[~p_decoy]] = p_q[~p_decoy]

    # spectra accounting
    ids, reasons, ingest_counts = spectra_ids(Path(spectra))
    known = set(ids)
    unknown = [s for s in spec_values if s not in known]
    if unknown:
        raise ValueError(f"{candidates}: {len(unknown)} spectra are not in {spectra} "
                         f"(e.g. {unknown[0]!r}); candidates and spectra come from different runs")

    targets = win[~w_decoy]
    t_q, t_zero = q[~w_decoy], zero[~w_decoy]
    ik_col = table.column("inchikey14")
    t_keys = ik_col.take(pa.array(targets)).to_pylist()
    mol_to_key = dict(zip(mol_codes[win].tolist(), ik_col.take(pa.array(win)).to_pylist()))

    ident = table.take(pa.array(targets)).select(
        ["spectrum_id", "mol_id", "inchikey14", "smiles", "adduct", "score", "rank",
         "n_matched_peaks", "explained_intensity"])
    cq = compound_q[mol_codes[targets]]
    ident = ident.append_column("q_value", pa.array(t_q, pa.float64()))
    ident = ident.append_column("compound_q_value", pa.array(cq, pa.float64(), mask=np.isnan(cq)))
    for name in ("pep", "pep_q_value"):
        ident = ident.append_column(name, table.column(name).take(pa.array(targets)) if rescored
                                    else pa.nulls(targets.size, pa.float64()))
    ident = ident.join(_spectrum_keys(Path(spectra)), "spectrum_id", join_type="left outer")
    ident = ident.select(IDENTIFICATIONS.names).cast(IDENTIFICATIONS)
    order = pc.sort_indices(ident, sort_keys=[("q_value", "ascending"), ("score", "descending"),
                                              ("spectrum_id", "ascending")])
    ident = ident.take(order)

    summary = {
        "candidates": str(candidates),
        "spectra": str(spectra),
        "levels": [float(x) for x in levels],
        "method": {
            "spectrum_competition": "best score per spectrum over targets and decoys; ties: decoy wins",
            "estimate": "FDR(s) = (D(s)+1)/T(s) over winners with score >= s",
            "q_value": "running minimum of FDR from the lowest score up, capped at 1",
            "level_0": "target winners scoring above every decoy winner",
            "compound_competition": "picked: best target score vs best decoy score per mol_id",
            "score": "rescore (rescoring model)" if rescored else "search score",
        },
        "balance": balance,
        "db": db_info,
        "spectra_accounting": spectra_summary(len(ids), reasons, win.size, w_decoy, t_q, t_zero,
                                              t_keys, levels),
        "ingest_records": {k: ingest_counts[k] for k in ("read", "skipped_ms1") if k in ingest_counts},
        "pep": pep_summary(table, levels) if rescored else None,
        "compounds_picked": compounds_summary(p_score, p_decoy, p_q,
                                              [mol_to_key.get(c) for c in codes.tolist()], levels),
    }

    with AtomicFolder(output_dir, FDR_FILES, "fdr") as tmp:   # all three files or none
        write_table(ident, tmp / "identifications.parquet", IDENTIFICATIONS)
        write_text(_tsv(ident), tmp / "identifications.tsv")
        write_json(summary, tmp / "summary.json")
    acc = summary["spectra_accounting"]
    log.info("%d spectra: %s identified, %d decoy won, %d no candidates, %d rejected",
             acc["input_total"], acc["identified"], acc["decoy_won"], acc["no_candidates"],
             acc["rejected"])
    return summary


def _tsv(table: pa.Table) -> str:
    """Tab-separated text of the table: header line, nulls empty, floats in shortest repr."""
    import polars as pl
    return pl.from_arrow(table).write_csv(separator="\t", null_value="")
