"""Database search over work units (spectra part x database shard), with or without MPI.

The spectra parts are searched in passes: consecutive parts holding at most
``spectra_per_pass`` spectra. In each pass every rank plans the same list of work units (only
pairs whose precursor windows overlap the shard's mass range), takes its share by a
deterministic assignment, keeps a per-spectrum top-k of its own hits, and sends it to rank 0,
which merges with the same total order (:mod:`specsweep.search.topk`) and appends the pass's
rows to the output. Memory on every rank is bounded by one pass, not by the dataset. Scores of a
pair do not depend on which rank computed them, so the output bytes are the same for any number
of ranks.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from specsweep.chem.adducts import get_adduct
from specsweep.params.blocks import FragmentMatching, FragmentParams, PrecursorMatching
from specsweep.params.options import Tolerance
from specsweep.params.recorded import check_against_model
from specsweep.model.tables import stacked_llr
from specsweep.params.stages import SearchStageParams
from specsweep.search import topk
from specsweep.search.candidates import AdductChoice, expand_pairs, precursor_windows
from specsweep.search.database import groups_for_windows, load_block, read_manifest, row_group_ranges
from specsweep.search.kernels import pair_charge_code, score_pairs
from specsweep.search.outputs import SearchOutputs
from specsweep.contracts.spectra_folder import ingest_settings, spectra_parts
from specsweep.search.spectra_parts import (group_passes, part_rows, read_header,
                                             read_peaks)

log = logging.getLogger("specsweep.search")

MPI_ENV = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "PMI_RANK", "MPI_LOCALNRANKS")


@dataclass
class SearchParams:
    """The search's settings, resolved (adduct objects, the model's hydrogen shifts)."""
    top_k: int = SearchStageParams.top_k
    precursor_tol: Tolerance = PrecursorMatching.precursor_tol
    fragment_tol: Tolerance = FragmentMatching.fragment_tol
    h_shifts: tuple[int, ...] = FragmentParams.h_shifts
    adducts: AdductChoice = field(default_factory=AdductChoice)
    targets_only: bool = False
    merge_every: int = 16   # merge a part's hits into its top-k after this many units
    groups_per_load: int = 64   # database row groups held in memory at once
    spectra_per_pass: int = SearchStageParams.spectra_per_pass
    min_matched_peaks: int = SearchStageParams.min_matched_peaks   # fewer: not reported

    @classmethod
    def from_stage(cls, p: SearchStageParams, model) -> "SearchParams":
        """From the CLI's parameters; hydrogen shifts default to the model's training ones."""
        h_shifts = p.h_shifts or tuple(model.params.get("h_shifts", FragmentParams.h_shifts))
        explicit = tuple(get_adduct(a) for a in p.adducts.adducts) if p.adducts.adducts else None
        return cls(top_k=p.top_k, precursor_tol=p.precursor.precursor_tol, fragment_tol=p.fragment.fragment_tol,
                   h_shifts=h_shifts, targets_only=p.targets_only, spectra_per_pass=p.spectra_per_pass,
                   min_matched_peaks=p.min_matched_peaks,
                   adducts=AdductChoice(explicit, p.adducts.use_file_adduct, p.adducts.max_charge,
                                        p.adducts.adduct_priors))


def get_comm(mode: str = "auto"):
    """The MPI world communicator, or None to run as a single process.

    auto: use MPI only when launched by an MPI starter (its environment variables are set) and
    mpi4py imports; on: require it; off: never import mpi4py.
    """
    if mode == "off" or (mode == "auto" and not any(k in os.environ for k in MPI_ENV)):
        return None
    try:
        from mpi4py import MPI
    except ImportError:
        if mode == "on":
            raise
        log.warning("launched under MPI but mpi4py is not installed: running one process")
        return None
    comm = MPI.COMM_WORLD
    return comm if (comm.Get_size() > 1 or mode == "on") else None


def _windows_for(header: dict, params: SearchParams):
    return precursor_windows(header["precursor_mz"], header["charge"], header["ion_mode"],
                             header["adduct"], params.adducts, params.precursor_tol)


def plan_units(windows: list, shards, masses_of: dict | None = None) -> list[tuple[int, int, int]]:
    """(shard, part, candidate pairs) of every unit that has candidates, shard-major.

    Pair counts are exact: they come from the shards' exact_mass column alone (cheap to read,
    kept in ``masses_of`` by shard index for later passes), and are used to balance ranks.
    """
    masses_of = {} if masses_of is None else masses_of
    units = []
    for si, shard in enumerate(shards):
        for pi, w in enumerate(windows):
            if not len(w) or not np.any((w.lo <= shard.max_mass) & (w.hi >= shard.min_mass)):
                continue
            if si not in masses_of:
                col = pq.read_table(shard.path, columns=["exact_mass"]).column(0)
                masses_of[si] = col.to_numpy()
            masses = masses_of[si]
            n = int(np.sum(np.searchsorted(masses, w.hi, side="right")
                           - np.searchsorted(masses, w.lo, side="left")))
            if n:
                units.append((si, pi, n))
    return units


def assign_units(units: list[tuple[int, int, int]], size: int, rank: int) -> list[tuple[int, int]]:
    """This rank's units: largest first, each to the least-loaded rank (ties: lowest rank).

    Deterministic, so every rank computes the same assignment without talking to the others.
    The result is shard-major so that a rank reads each shard once.
    """
    load = [0] * size
    owned: list[tuple[int, int]] = []
    for si, pi, n in sorted(units, key=lambda u: (-u[2], u[0], u[1])):
        r = min(range(size), key=lambda q: (load[q], q))
        load[r] += n
        if r == rank:
            owned.append((si, pi))
    return sorted(owned)


def score_unit(peaks, windows, block, llr, spec_offset: int, params: SearchParams) -> tuple[dict, int]:
    """Hits (top-k per spectrum) of one part against one loaded shard block; and pairs scored."""
    win, rows = expand_pairs(windows, block.exact_mass, block.cation)
    if win.shape[0] == 0:
        return topk.empty_hits(), 0
    spec = windows.spec[win]
    charge = windows.charge[win]
    n = win.shape[0]
    score = np.empty(n)
    matched = np.empty(n, np.int32)
    explained = np.empty(n)
    tol_da, tol_ppm = params.fragment_tol.da_ppm()
    codes = np.array([pair_charge_code(a) for a in windows.adducts], np.int8)
    kernel_charge = codes[windows.adduct[win]]
    score_pairs(spec, rows, kernel_charge, peaks.off, peaks.mz, peaks.log_rank, peaks.intensity,
                block.frag_off, block.frag_mass, block.frag_parent, block.frag_bond,
                block.frag_depth, llr, float(tol_da), float(tol_ppm),
                np.asarray(params.h_shifts, np.int64), score, matched, explained)
    # evidence rule: a candidate that explains no peak is not a candidate (its score only says
    # how many fragments it failed to match), so it can never rank above one that explains some
    keep = np.flatnonzero(matched >= params.min_matched_peaks)
    if keep.shape[0] < n:
        win, rows, spec, charge = win[keep], rows[keep], spec[keep], charge[keep]
        score, matched, explained = score[keep], matched[keep], explained[keep]
    add = windows.adduct[win]
    score += windows.prior[win]  # adduct prior (0 when the spectrum named its adduct)
    theo = np.array([a.mz(0.0) for a in windows.adducts])  # shift part of m/z per adduct
    per_mass = np.array([a.n_mol / abs(a.charge) for a in windows.adducts])
    theo_mz = block.exact_mass[rows] * per_mass[add] + theo[add]
    names = np.asarray(windows.names, dtype=str)
    hits = {"spec": spec + spec_offset, "mol_id": block.mol_id[rows],
            "is_decoy": block.is_decoy[rows], "inchikey14": block.inchikey14[rows],
            "smiles": block.smiles[rows], "exact_mass": block.exact_mass[rows],
            "adduct": names[add], "charge": charge.astype(np.int8),
            "precursor_error_ppm": np.zeros(n), "score": score,
            "n_matched_peaks": matched, "explained_intensity": explained}
    hits["_theo_mz"] = theo_mz
    hits["_spec_local"] = spec
    return hits, n


def _finish_ppm(hits: dict, precursor_mz: np.ndarray) -> dict:
    theo = hits.pop("_theo_mz")
    local = hits.pop("_spec_local")
    hits["precursor_error_ppm"] = (precursor_mz[local] - theo) / theo * 1e6
    return hits


def run_units(units, parts, headers, windows, shards, llr, spec_offsets, params: SearchParams):
    """Process work units; return (top-k hits, pairs scored, seconds spent by step).

    Units of one shard are done together: the row groups any of them needs are read once, in
    chunks of ``params.groups_per_load`` (bounded memory), and every part of those units is
    scored against each chunk.
    """
    acc: dict[int, list[dict]] = {}  # by part, so a merge sorts one part's hits, not the pass's
    pairs = 0
    clock = {"read_s": 0.0, "score_s": 0.0, "topk_s": 0.0}
    by_shard: dict[int, list[int]] = {}
    for si, pi in units:
        by_shard.setdefault(si, []).append(pi)
    peaks_cache: dict[int, object] = {}
    for si, pis in by_shard.items():
        shard = shards[si]
        ranges = row_group_ranges(shard.path)
        need: dict[int, set[int]] = {}
        for pi in pis:
            w = windows[pi]
            sel = (w.lo <= shard.max_mass) & (w.hi >= shard.min_mass)
            need[pi] = set(groups_for_windows(ranges, w.lo[sel], w.hi[sel]))
        groups = sorted(set().union(*need.values()))
        for c in range(0, len(groups), params.groups_per_load):
            chunk = groups[c:c + params.groups_per_load]
            t0 = time.perf_counter()
            block = load_block(shard.path, chunk, targets_only=params.targets_only)
            clock["read_s"] += time.perf_counter() - t0
            for pi in pis:
                if not need[pi].intersection(chunk):
                    continue
                if pi not in peaks_cache:
                    if len(peaks_cache) >= 4:
                        peaks_cache.pop(next(iter(peaks_cache)))
                    peaks_cache[pi] = read_peaks(parts[pi])
                t0 = time.perf_counter()
                hits, n = score_unit(peaks_cache[pi], windows[pi], block, llr, spec_offsets[pi],
                                     params)
                t1 = time.perf_counter()
                pairs += n
                if n:
                    hits = _finish_ppm(hits, headers[pi]["precursor_mz"])
                    acc.setdefault(pi, []).append(topk.top_k(hits, params.top_k))
                if len(acc.get(pi, ())) >= params.merge_every:
                    acc[pi] = [topk.top_k(topk.concat(acc[pi]), params.top_k)]
                clock["score_s"] += t1 - t0
                clock["topk_s"] += time.perf_counter() - t1
                log.debug("shard %s groups %s part %s: %d pairs", shard.path.name, chunk,
                          parts[pi].name, n)
    merged = topk.concat([topk.concat(acc[pi]) for pi in sorted(acc)])
    return topk.top_k(merged, params.top_k), pairs, clock


def rank_share(parts, shards, masses_of: dict, llr, params: SearchParams, rank: int, size: int):
    """Plan one pass over ``parts`` and run this rank's units.

    Returns (top-k hits with spectrum indices local to the pass, pairs scored, units owned,
    units planned, spectrum ids of the pass as an Arrow array, seconds by step).
    """
    headers = [read_header(p) for p in parts]
    windows = [_windows_for(h, params) for h in headers]
    counts = [len(h["precursor_mz"]) for h in headers]
    spec_offsets = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
    units = plan_units(windows, shards, masses_of)
    mine = assign_units(units, size, rank)
    hits, pairs, clock = run_units(mine, parts, headers, windows, shards, llr, spec_offsets, params)
    ids = pa.concat_arrays([h["spectrum_id"] for h in headers])
    return hits, pairs, len(mine), len(units), ids, clock


def _params_record(params: SearchParams) -> dict:
    def by_unit(tol: Tolerance, unit: str):
        return tol.value if tol.unit == unit else None
    return {"top_k": params.top_k, "precursor_tol_da": by_unit(params.precursor_tol, "Da"),
            "precursor_tol_ppm": by_unit(params.precursor_tol, "ppm"),
            "fragment_tol_da": by_unit(params.fragment_tol, "Da"),
            "fragment_tol_ppm": by_unit(params.fragment_tol, "ppm"),
            "h_shifts": list(params.h_shifts),
            "adduct_priors": params.adducts.priors,
            "adducts": ("from file, else " if params.adducts.from_file else "") + (
                ",".join(a.name for a in params.adducts.explicit)
                if params.adducts.explicit is not None else "default for ion mode"),
            "targets_only": params.targets_only,
            "min_matched_peaks": params.min_matched_peaks}


def _check_models(models, manifest: dict, params: SearchParams, spectra: list[dict]) -> None:
    """Refuse models whose recorded settings differ from the database's, the search's or those
    the spectra were ingested with (``spectra``: their distinct ingest settings)."""
    for m, name in models:
        if m is not None:
            check_against_model(m.params, name, database=manifest.get("params", {}),
                                fragment_tol=params.fragment_tol, h_shifts=params.h_shifts, spectra=spectra,
                                fix="Train a model with the database's settings (train-model; workflow: "
                                    "model.train_spectra) or search with the model's")


def _rank_pass(parts, shards, masses_of, llr, params: SearchParams, rank: int, size: int, comm,
               clock_total: dict):
    """This rank's share of one pass, (hits, pairs, units done, wall s, cpu s, error); the units
    planned; the pass's spectrum ids. Under MPI an error is returned, not raised, so that rank 0
    can report it and no rank waits forever."""
    t0, cpu0 = time.perf_counter(), time.process_time()
    error = ids = None
    try:
        hits, pairs, n_mine, n_units, ids, clock = rank_share(parts, shards, masses_of, llr, params, rank, size)
        for k, v in clock.items():
            clock_total[k] += v
    except Exception as exc:
        if comm is None:
            raise
        error = f"rank {rank}: {type(exc).__name__}: {exc}"
        hits, pairs, n_mine, n_units = topk.empty_hits(), 0, 0, 0
    return (hits, pairs, n_mine, time.perf_counter() - t0, time.process_time() - cpu0, error), n_units, ids


def _merge_pass(shares, ids, top_k: int, outputs, open_outputs, comm):
    """Rank 0: merge the ranks' hits of one pass and append them; (outputs, errors)."""
    errors = [s[5] for s in shares if s[5]]
    if errors:
        return outputs, errors
    try:
        merged = topk.top_k(topk.concat([s[0] for s in shares]), top_k)
        if outputs is None:
            outputs = open_outputs()
        outputs.append(merged, ids)
    except Exception as exc:
        if comm is None:
            raise
        errors.append(f"rank 0: {type(exc).__name__}: {exc}")
    return outputs, errors


def _tally(per_rank: list[dict], shares) -> int:
    """Add each rank's work of one pass to ``per_rank``; the pass's pairs."""
    for r, s in enumerate(shares):
        per_rank[r]["units"] += s[2]
        per_rank[r]["pairs"] += s[1]
        per_rank[r]["seconds"] += s[3]
        per_rank[r]["cpu_seconds"] += s[4]
    return sum(s[1] for s in shares)


def _summary(outputs, totals: dict, n_passes: int, db_dir, manifest: dict, params: SearchParams,
             model_info: dict | None) -> dict:
    return {
        "spectra": outputs.spectra,
        "spectra_with_candidates": outputs.with_candidates,
        "spectra_without_candidates": outputs.spectra - outputs.with_candidates,
        "pairs_scored": totals["pairs"],
        "work_units": totals["units"],
        "passes": n_passes,
        "rows": outputs.rows,
        "database": str(db_dir),
        "database_counts": manifest.get("counts", {}),
        "params": _params_record(params),
        "models": model_info or {},
    }


def search(spectra_paths, db_dir, model, params: SearchParams, output, comm=None,
           summary_path=None, rejects_path=None, negative_model=None, model_info: dict | None = None,
           verify_checksums: bool = True, model_name: str = "model"):
    """Search every spectrum in passes and write candidates, rejects and summary (rank 0).

    Returns (summary, timing) on rank 0 and None on other ranks. After each pass rank 0 tells
    every rank whether the pass succeeded, so a failure on any rank stops all of them before
    the next collective; rank 0 then raises with the failing ranks' messages and no output
    (nor temporary file) is left behind. A database cut differently from the model's training
    graphs, a fragment tolerance or hydrogen shifts other than the model's, or spectra ingested
    with other peak settings than its training spectra, is refused on every rank before any work (:mod:`specsweep.params.recorded`); so is a negative-mode model
    that differs. ``negative_model``: scores negative-mode spectra (None: ``model`` scores both
    ion modes); ``model_info`` is written into the summary as ``models``.
    """
    rank = comm.Get_rank() if comm is not None else 0
    size = comm.Get_size() if comm is not None else 1
    parts = spectra_parts(spectra_paths)
    passes = group_passes(part_rows(parts), params.spectra_per_pass)
    shards, manifest = read_manifest(db_dir, verify_checksums=verify_checksums and rank == 0)
    _check_models(((model, model_name), (negative_model, "negative-mode model")), manifest, params,
                  ingest_settings(parts))
    llr = stacked_llr(model, negative_model)
    masses_of: dict = {}
    clock_total = {"read_s": 0.0, "score_s": 0.0, "topk_s": 0.0}
    per_rank = [{"units": 0, "pairs": 0, "seconds": 0.0, "cpu_seconds": 0.0} for _ in range(size)]
    totals = {"pairs": 0, "units": 0}
    my_pairs = 0
    outputs = None

    def open_outputs():
        return SearchOutputs(output, summary_path, rejects_path)

    try:
        for i, group in enumerate(passes, 1):
            t0 = time.perf_counter()
            share, n_units, ids = _rank_pass([parts[j] for j in group], shards, masses_of, llr, params,
                                             rank, size, comm, clock_total)
            my_pairs += share[1]
            shares = comm.gather(share, root=0) if comm is not None else [share]
            del share
            errors: list[str] = []
            if rank == 0:
                outputs, errors = _merge_pass(shares, ids, params.top_k, outputs, open_outputs, comm)
            if comm is not None:
                errors = comm.bcast(errors, root=0)
            if errors:
                if rank != 0:
                    return None
                raise RuntimeError(f"search failed in pass {i}/{len(passes)} on "
                                   + "; ".join(errors))
            if rank == 0:
                pass_pairs = _tally(per_rank, shares)
                del shares
                totals["pairs"] += pass_pairs
                totals["units"] += n_units
                log.info("pass %d/%d: %d spectra, %d pairs, %.1f s", i, len(passes), len(ids),
                         pass_pairs, time.perf_counter() - t0)
        log.info("rank work: %d pairs; read %.2f s, score %.2f s, top-k %.2f s", my_pairs,
                 clock_total["read_s"], clock_total["score_s"], clock_total["topk_s"])
        if rank != 0:
            return None
        if outputs is None:  # no spectra parts: empty files
            outputs = open_outputs()
        summary = _summary(outputs, totals, len(passes), db_dir, manifest, params, model_info)
        outputs.commit(summary)
    except BaseException:
        if outputs is not None:
            outputs.discard()
        raise
    for r in per_rank:
        r["seconds"] = round(r["seconds"], 3)
        r["cpu_seconds"] = round(r["cpu_seconds"], 3)
    return summary, {"ranks": size, "per_rank": per_rank}
