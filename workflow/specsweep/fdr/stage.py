"""The ``specsweep fdr`` stage: merged candidates of one dataset -> identifications with q-values.

Reads ``candidates.parquet`` (schema CANDIDATES, all shards and ranks merged), the spectra
directory written by ``specsweep ingest`` (parts, rejects.parquet, manifest.json) and optionally
the database manifest; writes ``identifications.parquet``, ``identifications.tsv`` (same columns,
schema IDENTIFICATIONS: one row per spectrum whose competition a target won, and with rescored
candidates also the top target of each spectrum a decoy won; all q-values, best first by the
accepted measure) and ``summary.json``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from specsweep.fdr.accounting import (MEANINGS, accepted, compounds_summary, level_counts,
                                      level_name, pep_summary, spectra_summary)
from specsweep.fdr.balance import check_candidates_balance, check_db_manifest
from specsweep.fdr.competition import best_by_side, picked_compounds, spectrum_winners
from specsweep.fdr.qvalues import decoy_free_mask, qvalues
from specsweep.files import AtomicFolder, read_table, write_json, write_table, write_text
from specsweep.params.stages import FdrParams
from specsweep.schema import CANDIDATES, IDENTIFICATIONS, REJECTS, RESCORED, SPECTRA

log = logging.getLogger("specsweep.fdr")

DEFAULT_LEVELS = FdrParams.levels


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


def _prefixed(column: pa.ChunkedArray | pa.Array, prefix: str):
    return pc.binary_join_element_wise(prefix, column, "")


def load_inputs(candidates: list[Path], spectra: list[Path], names: list[str] | None):
    """Candidates and spectra accounting of one dataset, or of several merged.

    Merged (``names`` given): each dataset's spectrum ids are prefixed with ``<name>/`` (two
    datasets may hold a file of the same name), candidates are concatenated, rejects and ingest
    counts added up; PEP q-values are recomputed over all top targets together.
    Returns (table, rescored, spectrum ids, reject reasons, ingest counts, spectrum keys).
    """
    kinds = {"rescore" in pq.read_schema(c).names for c in candidates}
    if len(kinds) > 1:
        raise ValueError("candidates to merge must all be rescored or all not: "
                         + ", ".join(map(str, candidates)))
    rescored = kinds.pop()
    tables, ids, reasons, counts, keys = [], [], [], {}, []
    for i, (cand, spec) in enumerate(zip(candidates, spectra)):
        t = read_table(cand, RESCORED if rescored else CANDIDATES)
        d_ids, d_reasons, d_counts = spectra_ids(spec)
        k = _spectrum_keys(spec)
        known = set(d_ids)
        unknown = [x for x in t.column("spectrum_id").unique().to_pylist() if x not in known]
        if unknown:
            raise ValueError(f"{cand}: {len(unknown)} spectra are not in {spec} "
                             f"(e.g. {unknown[0]!r}); candidates and spectra come from different runs")
        if names:
            pre = f"{names[i]}/"
            t = t.set_column(0, "spectrum_id", _prefixed(t.column("spectrum_id"), pre))
            k = k.set_column(k.schema.get_field_index("spectrum_id"), "spectrum_id",
                             _prefixed(k.column("spectrum_id"), pre))
            d_ids = [pre + x for x in d_ids]
        tables.append(t)
        ids += d_ids
        reasons += d_reasons
        keys.append(k)
        for key in ("read", "skipped_ms1", "written", "rejected"):
            if key in d_counts:
                counts[key] = counts.get(key, 0) + int(d_counts[key])
    if rescored:
        from specsweep.rescore.recalibration import concat_rescored
        table = concat_rescored(tables, candidates)
    else:
        table = pa.concat_tables(tables)
    if names and rescored:
        table = pool_pep_q(table)
    return table, rescored, ids, reasons, counts, pa.concat_tables(keys)


def pool_pep_q(table: pa.Table) -> pa.Table:
    """PEPs and pep_q_value over the top targets of every merged dataset: the class frequencies
    re-estimated once on all of them (per ion mode, as the rescore stage does per dataset), from
    each top target's class evidence, so that small datasets share one estimate, and mapped by
    the ion mode's PEP recalibration with that estimate; then q-values as the running mean of
    the sorted PEPs."""
    from specsweep.rescore.pep import CLASSES, peps_from_evidence, pep_qvalues
    from specsweep.rescore.recalibration import from_metadata, mix_share
    from specsweep.rescore.uncertainty import ion_mode_of_rows
    maps = from_metadata(table.schema)
    pep = table.column("pep").to_numpy(zero_copy_only=False).astype(np.float64)
    has = ~np.isnan(pep)
    rows = np.flatnonzero(has)
    evidence = np.column_stack([table.column(f"evidence_{c}").to_numpy(zero_copy_only=False)
                                .astype(np.float64)[rows] for c in CLASSES])
    matched = table.column("n_matched_peaks").to_numpy(zero_copy_only=False)[rows]
    mode = ion_mode_of_rows(table.take(pa.array(rows)))
    for m in sorted(set(mode.tolist())):
        sel = mode == m
        pep[rows[sel]], prior = peps_from_evidence(evidence[sel], matched[sel])
        if maps.get(m) is not None:
            pep[rows[sel]] = maps[m].apply(pep[rows[sel]], mix_share(prior))
        log.info("pooled class frequencies, %s mode, %d top targets: %s", m, int(sel.sum()),
                 dict(zip(CLASSES, np.round(prior, 4).tolist())))
    q = np.full(pep.shape, np.nan)
    q[has] = pep_qvalues(pep[has])
    table = table.set_column(table.schema.get_field_index("pep"), "pep",
                             pa.array(pep, pa.float64(), mask=~has))
    return table.set_column(table.schema.get_field_index("pep_q_value"), "pep_q_value",
                            pa.array(q, pa.float64(), mask=~has))


def _dataset_lists(candidates, spectra, dataset_names):
    """(candidates paths, spectra paths, dataset names or None): one dataset, or several to merge,
    each with its spectra folder and a distinct name."""
    cand_list = [Path(c) for c in (candidates if isinstance(candidates, (list, tuple)) else [candidates])]
    spec_list = [Path(s) for s in (spectra if isinstance(spectra, (list, tuple)) else [spectra])]
    if len(cand_list) != len(spec_list) or (len(cand_list) > 1 and (
            not dataset_names or len(dataset_names) != len(cand_list) or len(set(dataset_names)) != len(dataset_names))):
        raise ValueError("merging datasets needs one spectra folder and one distinct dataset name "
                         "per candidates file")
    return cand_list, spec_list, (list(dataset_names) if len(cand_list) > 1 else None)


@dataclass
class Competition:
    """Target-decoy competition of one candidates table: per-spectrum winners (``win``: row
    numbers, ``w_decoy``, ``q``, ``zero``) and the picked competition per molecule (``codes``,
    ``p_score``, ``p_decoy``, ``p_q``; ``compound_q`` by molecule code); ``spec_codes`` and
    ``mol_codes``: each row's spectrum and molecule code."""

    spec_codes: np.ndarray
    mol_codes: np.ndarray
    win: np.ndarray
    w_decoy: np.ndarray
    q: np.ndarray
    zero: np.ndarray
    codes: np.ndarray
    p_score: np.ndarray
    p_decoy: np.ndarray
    p_q: np.ndarray
    compound_q: np.ndarray
    balance: dict

    @property
    def targets(self) -> np.ndarray:
        """Rows of the spectra whose competition a target won."""
        return self.win[~self.w_decoy]


def _compete(table: pa.Table, rescored: bool, candidates, check_balance: bool) -> Competition:
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
    balance = check_candidates_balance(table.num_rows, int(is_decoy.sum()), win.size, int(w_decoy.sum()),
                                       n_ties=int((best_t == best_d).sum()),
                                       check_share=check_balance)
    w_score = score[win]
    # picked competition per molecule (decoys share their target's mol_id)
    codes, p_score, p_decoy = picked_compounds(mol_codes[win], w_score, w_decoy)
    p_q = qvalues(p_score, p_decoy)
    compound_q = np.full(len(mol_values), np.nan)
    compound_q[codes[~p_decoy]] = p_q[~p_decoy]
    return Competition(spec_codes, mol_codes, win, w_decoy, qvalues(w_score, w_decoy), decoy_free_mask(w_score, w_decoy),
                       codes, p_score, p_decoy, p_q, compound_q, balance)


def _identification_rows(table: pa.Table, comp: Competition, rescored: bool) -> tuple[np.ndarray, np.ndarray,
                                                                                      np.ndarray]:
    """Candidate rows that become identification rows, with their target-decoy q-value (NaN where
    a decoy won) and level-0 flag: every target winner and, with rescored candidates, the top
    target (the row with a PEP) of each spectrum whose competition a decoy won. The PEP judges
    every spectrum's top target, whether or not a decoy outscored it (the pep_q_value measure
    counts them all), so accepting by pep_q_value must be able to identify them too."""
    rows = comp.targets
    t_q, t_zero = comp.q[~comp.w_decoy], comp.zero[~comp.w_decoy]
    if rescored:
        top = np.flatnonzero(pc.is_valid(table.column("pep")).to_numpy(zero_copy_only=False))
        extra = top[~np.isin(comp.spec_codes[top], comp.spec_codes[rows])]
        rows = np.concatenate([rows, extra])
        t_q = np.concatenate([t_q, np.full(extra.size, np.nan)])
        t_zero = np.concatenate([t_zero, np.zeros(extra.size, dtype=bool)])
    return rows, t_q, t_zero


def _identifications(table: pa.Table, comp: Competition, rescored: bool, spectrum_keys: pa.Table,
                     accept_measure: str, accept_level: float) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """IDENTIFICATIONS rows (best first by the accepted measure), and the candidate rows they
    come from (:func:`_identification_rows`) with, per row, whether it is identified."""
    rows, t_q, t_zero = _identification_rows(table, comp, rescored)
    take = pa.array(rows)
    ident = table.take(take).select(
        ["spectrum_id", "mol_id", "inchikey14", "smiles", "adduct", "score", "rank",
         "n_matched_peaks", "explained_intensity"])
    cq = comp.compound_q[comp.mol_codes[rows]]
    cq[comp.targets.size:] = np.nan  # spectra a decoy won are outside the target-decoy accounting
    ident = ident.append_column("q_value", pa.array(t_q, pa.float64(), mask=np.isnan(t_q)))
    ident = ident.append_column("compound_q_value", pa.array(cq, pa.float64(), mask=np.isnan(cq)))
    for name in ("pep", "pep_q_value"):
        ident = ident.append_column(name, table.column(name).take(take) if rescored
                                    else pa.nulls(rows.size, pa.float64()))
    if accept_measure == "q_value":
        is_identified = accepted(t_q, t_zero, accept_level)
    else:
        col = ident.column(accept_measure).to_numpy(zero_copy_only=False).astype(np.float64)
        pep = ident.column("pep").to_numpy(zero_copy_only=False).astype(np.float64)
        is_identified = (col <= accept_level) if accept_level > 0 else (pep <= 0)
    ident = ident.append_column("identified", pa.array(is_identified, pa.bool_()))
    ident = ident.join(spectrum_keys, "spectrum_id", join_type="left outer")
    ident = ident.select(IDENTIFICATIONS.names).cast(IDENTIFICATIONS)
    order = pc.sort_indices(ident, sort_keys=[(accept_measure, "ascending"), ("score", "descending"),
                                              ("spectrum_id", "ascending")])
    return ident.take(order), rows, is_identified


def _measures(table: pa.Table, comp: Competition, t_keys: np.ndarray, rescored: bool, levels) -> dict:
    """Counts at every level of each measure: spectrum q-value, compound q-value, PEP q-value.
    ``t_keys``: first InChIKey block of each target winner (competition order)."""
    ik_col = table.column("inchikey14")
    t_q, t_zero = comp.q[~comp.w_decoy], comp.zero[~comp.w_decoy]
    mol_to_key = dict(zip(comp.mol_codes[comp.win].tolist(), ik_col.take(pa.array(comp.win)).to_pylist()))
    measures = {
        "q_value": {"meaning": MEANINGS["q_value"], "column": "q_value",
                    "over": "target winners of the per-spectrum target-decoy competition",
                    "levels": level_counts({level_name(lv): accepted(t_q, t_zero, lv)
                                            for lv in levels}, t_keys)},
        "compound_q_value": compounds_summary(comp.p_score, comp.p_decoy, comp.p_q,
                                              [mol_to_key.get(c) for c in comp.codes.tolist()], levels),
    }
    if rescored:
        measures["pep_q_value"] = pep_summary(table, levels)
    return measures


def _method(rescored: bool) -> dict:
    return {
        "spectrum_competition": "best score per spectrum over targets and decoys; ties: decoy wins",
        "estimate": "FDR(s) = (D(s)+1)/T(s) over winners with score >= s",
        "q_value": "running minimum of FDR from the lowest score up, capped at 1",
        "level_0": "target winners scoring above every decoy winner",
        "compound_competition": "picked: best target score vs best decoy score per mol_id",
        "score": "rescore (rescoring model)" if rescored else "search score",
    }


def _acceptance(accept_measure: str, accept_level: float) -> dict:
    return {
        "measure": accept_measure, "level": float(accept_level),
        "level_name": level_name(accept_level),
        "rule": (f"a target winner is identified when {accept_measure} <= {accept_level:g}"
                 if accept_measure == "q_value" else
                 f"a spectrum's top target (after rescoring; also where a decoy won the target-decoy "
                 f"competition) is identified when {accept_measure} <= {accept_level:g}")
                + (" (level 0: above every decoy winner)" if accept_measure == "q_value" else ""),
        "meaning": MEANINGS[accept_measure],
    }


def run_fdr(candidates, spectra, output_dir: str | Path,
            db: str | Path | None = None, levels=DEFAULT_LEVELS,
            accept_level: float = FdrParams.accept_level,
            accept_measure: str = FdrParams.accept_measure, check_balance: bool = True,
            dataset_names: list[str] | None = None) -> dict:
    """Compute identifications and summary; returns the summary dict.

    ``candidates`` and ``spectra``: one dataset's files, or lists (same length) of several
    datasets' files with their ``dataset_names``, competed together as one repository-wide set.
    A row is *identified* when ``accept_measure`` (an IDENTIFICATIONS column) is at most
    ``accept_level`` (rows: target winners, and with rescored candidates also the top target of
    spectra a decoy won, :func:`_identification_rows`); every level of ``levels`` is counted per
    measure as "accepted".
    """
    cand_list, spec_list, names = _dataset_lists(candidates, spectra, dataset_names)
    table, rescored, ids, reasons, ingest_counts, spectrum_keys = load_inputs(cand_list, spec_list, names)
    candidates = cand_list[0] if len(cand_list) == 1 else ", ".join(map(str, cand_list))
    if accept_measure == "pep_q_value" and not rescored:
        raise ValueError(f"{candidates}: --accept-measure pep_q_value needs rescored candidates "
                         f"(the rescore stage's output); these have no PEPs")
    log.info("%s: %d candidate rows", candidates, table.num_rows)
    db_info = check_db_manifest(db) if db else {}

    comp = _compete(table, rescored, candidates, check_balance)
    ident, rows, is_identified = _identifications(table, comp, rescored, spectrum_keys, accept_measure,
                                                  accept_level)
    row_keys = np.asarray(table.column("inchikey14").take(pa.array(rows)).to_pylist(), dtype=object)
    t_keys = row_keys[: comp.targets.size]   # the rows start with the target winners
    identified_keys = {k for k in row_keys[is_identified] if k}
    summary = {
        "candidates": str(candidates),
        "spectra": ", ".join(map(str, spec_list)),
        "datasets": names or [],
        "levels": [float(x) for x in levels],
        "acceptance": _acceptance(accept_measure, accept_level),
        "method": _method(rescored),
        "balance": comp.balance,
        "db": db_info,
        "spectra_accounting": spectra_summary(len(ids), reasons, comp.win.size, comp.w_decoy,
                                              int(is_identified.sum()), len(identified_keys)),
        "ingest_records": {k: ingest_counts[k] for k in ("read", "skipped_ms1") if k in ingest_counts},
        "measures": _measures(table, comp, t_keys, rescored, levels),
    }

    with AtomicFolder(Path(output_dir), FDR_FILES, "fdr") as tmp:   # all three files or none
        write_table(ident, tmp / "identifications.parquet", IDENTIFICATIONS)
        write_text(_tsv(ident), tmp / "identifications.tsv")
        write_json(summary, tmp / "summary.json")
    acc = summary["spectra_accounting"]
    log.info("%d spectra: %d identified (%s <= %g), %d decoy won, %d no candidates, %d rejected",
             acc["input_total"], acc["identified"], accept_measure, accept_level, acc["decoy_won"],
             acc["no_candidates"], acc["rejected"])
    return summary


def _tsv(table: pa.Table) -> str:
    """Tab-separated text of the table: header line, nulls empty, floats in shortest repr."""
    import polars as pl
    return pl.from_arrow(table).write_csv(separator="\t", null_value="")
