"""Train the formula re-ranker (:mod:`specsweep.formula.ranker`) from spectra with known formulas.

One command makes the training table and fits the model:

    nice -n 10 python -m specsweep.formula.ranker_training \\
        --train ../shared/data/spectra/massbank_hr_pos_MH_dev_full.mgf.gz \\
                ../shared/data/spectra/massbank_hr_neg_MmH_dev_full.mgf.gz \\
        --exclude ../shared/data/spectra/massbank_hr_pos_MH_dev_500.mgf \\
                  ../shared/data/spectra/massbank_hr_neg_MmH_dev_500.mgf \\
        --table /tmp/ranker_table.parquet --output workflow/specsweep/formula/data/formula_ranker.json

Training spectra: those of the ``--train`` files whose compound (first InChIKey block) occurs in
no ``--exclude`` file (asserted before any spectrum is processed), with a precursor m/z up to
``--max-precursor-mz``; ``--per-compound`` spectra per compound (seeded choice), at most
``--max-spectra`` in all (seeded choice of compounds). Each precursor m/z gets seeded normal noise
of ``--ppm-noise`` ppm (sd), like the ``_ppm3`` test files. Every spectrum is ranked by the
formula stage with the fixed alphabet, the ranker off and a reduced work budget
(``--max-graph-work``, ``--max-candidates``), and its ``--rerank-top`` best candidates with their
features go into the table (one row per candidate; ``--table`` keeps it, and a later run with the
same table path reuses it instead of recomputing).

Model choice: compounds are split by SHA-1 of their key into ``--folds`` parts; for each L2
penalty of ``--l2`` the conditional logit is fitted on all parts but one and its top-1 measured
on the one left out, in turn (spectra whose true formula is not among the candidates count as
misses); the penalty with the best summed top-1 (ties: the larger) is refitted on all training
spectra and written to ``--output`` with its figures in ``meta``.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import random
from dataclasses import replace
from pathlib import Path

import numpy as np

from specsweep.params.stages import FormulaStageParams

log = logging.getLogger("specsweep.formula.ranker_training")

FIXED_ALPHABET = FormulaStageParams().elements   # the ranker learns over the stage's default alphabet
META_COLUMNS = ("spectrum", "inchikey14", "is_negative", "precursor_mz", "candidate_rank", "formula", "is_true")


def compound_key(inchikey: str | None) -> str | None:
    """First InChIKey block, upper case (how compounds are matched between files)."""
    return inchikey.strip()[:14].upper() if inchikey and inchikey.strip() else None


def excluded_keys(paths) -> set[str]:
    from specsweep.spectra.mgf_reader import read_mgf
    keys = set()
    for path in paths:
        keys.update(k for k in (compound_key(r.inchikey) for r in read_mgf(path)) if k)
    return keys


def select_spectra(train_paths, excluded: set[str], per_compound: int, max_spectra: int | None,
                   max_precursor_mz: float, seed: int, per_file: int | None = None) -> list:
    """Training records (RawSpectrum), compounds in ``excluded`` left out, seeded choice. With
    ``per_file``, each file is chosen from on its own (at most ``per_file`` spectra each, seed and
    file position seeding the choice), so that a smaller file (e.g. negative mode) is not crowded out."""
    if per_file is not None:
        chosen = []
        for n, path in enumerate(train_paths):
            chosen.extend(select_spectra([path], excluded, per_compound, per_file, max_precursor_mz, seed + 1000 * n))
        return chosen[:max_spectra] if max_spectra is not None else chosen
    from specsweep.spectra.mgf_reader import read_mgf
    by_key: dict[str, list] = {}
    for path in train_paths:
        for r in read_mgf(path):
            key = compound_key(r.inchikey)
            if (key is None or key in excluded or r.error or not r.formula or r.precursor_mz is None
                    or r.precursor_mz > max_precursor_mz or r.mz.size == 0):
                continue
            by_key.setdefault(key, []).append(r)
    rng = random.Random(seed)
    keys = sorted(by_key)
    rng.shuffle(keys)
    chosen = []
    for key in keys:
        recs = by_key[key]
        chosen.extend(rng.sample(recs, min(per_compound, len(recs))))
        if max_spectra is not None and len(chosen) >= max_spectra:
            break
    chosen = chosen[:max_spectra] if max_spectra is not None else chosen
    leaked = {compound_key(r.inchikey) for r in chosen} & excluded
    assert not leaked, f"training spectra of excluded (test) compounds: {sorted(leaked)[:5]}"
    return chosen


def with_noise(records: list, ppm: float, seed: int) -> list[float]:
    """Precursor m/z of each record x (1 + e 1e-6), e ~ N(0, ppm), seeded by ``seed`` and position."""
    return [r.precursor_mz * (1.0 + np.random.default_rng([seed, i]).normal(0.0, ppm) * 1e-6)
            for i, r in enumerate(records)]


def _one(job):
    """Candidate rows of one training spectrum (worker task)."""
    from specsweep.chem.formulas import format_formula, parse_formula
    from specsweep.formula.identify import identify
    i, rec, precursor_mz, settings = job
    info: dict = {}
    try:
        true = format_formula(parse_formula(rec.formula))
        identify(precursor_mz, rec.mz, rec.intensity, [rec.adduct] if rec.adduct else None, FIXED_ALPHABET,
                 settings, ion_mode=rec.ion_mode or "positive", info=info)
    except ValueError as exc:  # an element or adduct we do not know: no rows
        log.warning("%s: %s", rec.title, exc)
        return i, []
    rows = []
    for k, (formula, x) in enumerate(zip(info.get("posterior_formulas", []), info.get("ranker_features", []))):
        rows.append((i, compound_key(rec.inchikey), (rec.ion_mode or "positive") == "negative", precursor_mz,
                     k + 1, formula, formula == true, x))
    return i, rows


def _results(jobs, threads: int, bar) -> list:
    if threads <= 1:
        return [bar_step(bar, _one(job)) for job in jobs]
    import multiprocessing as mp
    with mp.get_context("fork").Pool(threads) as pool:
        return [bar_step(bar, r) for r in pool.imap_unordered(_one, jobs, chunksize=1)]


def bar_step(bar, result):
    bar.update(1)
    return result


def _to_table(results: list, n_spectra: int):
    import pyarrow as pa

    from specsweep.formula.ranker import FEATURES
    rows = [row for _, rs in sorted(results, key=lambda t: t[0]) for row in rs]
    cols = {name: [row[j] for row in rows] for j, name in enumerate(META_COLUMNS)}
    x = np.array([row[-1] for row in rows]).reshape(len(rows), len(FEATURES))
    for j, name in enumerate(FEATURES):
        cols[name] = x[:, j]
    return pa.table(cols).replace_schema_metadata({"n_spectra": str(n_spectra)})


def make_table(records: list, precursors: list[float], settings, threads: int, path: str | None = None,
               block: int = 200):
    """Feature table (pyarrow): META_COLUMNS + one column per ranker feature, one row per candidate.
    With ``path``, the table of the spectra done so far is written there after every ``block``
    spectra (so an interrupted run leaves a usable table of its first blocks)."""
    from specsweep.files import write_table
    from specsweep.progress import progress
    jobs = [(i, r, p, settings) for i, (r, p) in enumerate(zip(records, precursors))]
    results: list = []
    bar = progress(total=len(jobs), desc="ranker table", unit="spectra")
    for start in range(0, len(jobs), block):
        results.extend(_results(jobs[start:start + block], threads, bar))
        table = _to_table(results, min(start + block, len(jobs)))
        if path:
            write_table(table, path)
    bar.close()
    return table


def read_table(path: str | Path):
    """A feature table written by :func:`make_table`; refused when its columns are not this code's."""
    import pyarrow.parquet as pq

    from specsweep.formula.ranker import FEATURES, RankerSchemaError
    table = pq.read_table(path)
    want = list(META_COLUMNS) + list(FEATURES)
    if table.column_names != want:
        missing = [c for c in want if c not in table.column_names]
        extra = [c for c in table.column_names if c not in want]
        raise RankerSchemaError(f"{path}: feature table schema differs from this code's (missing {missing}, "
                                f"unexpected {extra}, or another order); delete it to recompute")
    return table


def _arrays(table):
    from specsweep.formula.ranker import FEATURES
    x = np.column_stack([table.column(n).to_numpy() for n in FEATURES]).astype(np.float64)
    return (x, table.column("spectrum").to_numpy(), table.column("is_true").to_numpy().astype(np.float64),
            np.array(table.column("inchikey14").to_pylist()))


def fold_of(key: str, folds: int) -> int:
    """Cross-validation fold of a compound: SHA-1 of its key modulo ``folds``."""
    return int(hashlib.sha1(key.encode()).hexdigest(), 16) % folds


def fit(x, spectrum, label, degree: int, l2: float):
    """A FormulaRanker fitted on the spectra that hold their true formula among their candidates."""
    from specsweep.formula.ranker import fit_ranker
    has_true = np.zeros(spectrum.max() + 1 if spectrum.size else 0, dtype=bool)
    has_true[spectrum[label > 0]] = True
    keep = has_true[spectrum]
    return fit_ranker(x[keep], spectrum[keep], label[keep], degree, l2)


def top1(scores, spectrum, label, n_spectra: int) -> tuple[int, int]:
    """(right at rank 1, spectra): for each spectrum its best-scored candidate (ties: first row)."""
    right = 0
    starts = np.flatnonzero(np.r_[True, spectrum[1:] != spectrum[:-1]]) if spectrum.size else []
    for a, b in zip(starts, list(starts[1:]) + [spectrum.size]):
        right += int(label[a + int(np.argmax(scores[a:b]))] > 0)
    return right, n_spectra


def choose_and_fit(table, settings: list[tuple[int, float]], folds: int) -> tuple:
    """Cross-validated top-1 per (degree, L2 penalty) (compounds split into ``folds`` by key), the
    chosen setting (best summed top-1; ties: lower degree, then larger penalty) and the model
    fitted with it on all rows."""
    x, spectrum, label, keys = _arrays(table)
    fold = np.array([fold_of(k, folds) for k in keys])
    posterior = -table.column("candidate_rank").to_numpy().astype(np.float64)
    n_all = len(set(spectrum.tolist()))
    base, _ = top1(posterior, spectrum, label, n_all)
    figures = {"folds": folds, "spectra": n_all, "top1_posterior": base, "top1_by_setting": {}}
    for degree, l2 in settings:
        right = 0
        for k in range(folds):
            val = fold == k
            model = fit(x[~val], spectrum[~val], label[~val], degree, l2)
            right += top1(model.scores(x[val]), spectrum[val], label[val], 0)[0]
        figures["top1_by_setting"][f"degree {degree}, L2 {l2:g}"] = right
        log.info("degree %d, L2 %g: cross-validated top-1 %d/%d (posterior order %d)", degree, l2, right, n_all, base)
    chosen = max(settings, key=lambda s: (figures["top1_by_setting"][f"degree {s[0]}, L2 {s[1]:g}"], -s[0], s[1]))
    return fit(x, spectrum, label, *chosen), chosen, figures


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m specsweep.formula.ranker_training",
                                 description=__doc__.splitlines()[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--train", nargs="+", required=True, help="MGF files (plain or .gz) with FORMULA and INCHIKEY")
    ap.add_argument("--exclude", nargs="+", required=True,
                    help="MGF files whose compounds (first InChIKey block) must not be trained on (test sets)")
    ap.add_argument("--output", required=True, help="model file to write (JSON)")
    ap.add_argument("--table", default=None, help="feature table (Parquet): reused when it exists, else written")
    ap.add_argument("--per-compound", type=int, default=1, help="training spectra per compound")
    ap.add_argument("--max-spectra", type=int, default=1000, help="training spectra in all")
    ap.add_argument("--max-spectra-per-file", type=int, default=None,
                    help="choose from each --train file on its own, at most this many spectra each "
                         "(default: one seeded choice over all files together)")
    ap.add_argument("--max-precursor-mz", type=float, default=800.0, help="skip heavier precursors (Th)")
    ap.add_argument("--ppm-noise", type=float, default=3.0, help="sd of the precursor m/z noise added (ppm)")
    ap.add_argument("--seed", type=int, default=14, help="seed of the spectrum choice and the noise")
    ap.add_argument("--rerank-top", type=int, default=FormulaStageParams().rerank_top,
                    help="candidates per spectrum re-ranked and tabled (the stage's --rerank-top)")
    ap.add_argument("--max-graph-work", type=int, default=200_000_000,
                    help="work budget per spectrum (graph work units; smaller than the stage's "
                         f"default, {FormulaStageParams().max_graph_work:.0e}, to keep training cheap)")
    ap.add_argument("--max-candidates", type=int, default=20_000, help="work budget: candidates per spectrum")
    ap.add_argument("--l2", type=float, nargs="+", default=[3.0, 10.0, 20.0, 50.0],
                    help="L2 penalties tried (on standardised model columns)")
    ap.add_argument("--degrees", type=int, nargs="+", default=[1, 2], choices=[1, 2],
                    help="model degrees tried: 1 (linear in the features) or 2 (plus pairwise products)")
    ap.add_argument("--folds", type=int, default=5,
                    help="cross-validation folds for the L2 choice (compounds split by SHA-1 of their key)")
    ap.add_argument("--threads", type=int, default=1, help="worker processes for the table")
    return ap


def main(argv=None) -> int:
    from specsweep.files import write_text
    from specsweep.formula.identify import FormulaSettings
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args = build_parser().parse_args(argv)
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    excluded = excluded_keys(args.exclude)
    if args.table and Path(args.table).exists():
        table = read_table(args.table)
        log.info("reusing feature table %s (%d rows)", args.table, table.num_rows)
    else:
        records = select_spectra(args.train, excluded, args.per_compound, args.max_spectra, args.max_precursor_mz,
                                 args.seed, args.max_spectra_per_file)
        log.info("%d training spectra of %d compounds (%d excluded compounds)", len(records),
                 len({compound_key(r.inchikey) for r in records}), len(excluded))
        settings = FormulaSettings(alphabet=FIXED_ALPHABET, report_top=args.rerank_top,
                                   rerank_top=args.rerank_top, ranker=None,
                                   max_graph_work=args.max_graph_work, max_candidates=args.max_candidates)
        table = make_table(records, with_noise(records, args.ppm_noise, args.seed), settings, args.threads,
                           args.table)
    leaked = set(table.column("inchikey14").to_pylist()) & excluded
    assert not leaked, f"feature table holds excluded (test) compounds: {sorted(leaked)[:5]}"
    model, (degree, l2), figures = choose_and_fit(table, [(d, v) for d in args.degrees for v in args.l2],
                                                  args.folds)
    n_spectra = int((table.schema.metadata or {}).get(b"n_spectra", b"0"))
    meta = {"degree": degree, "l2": l2, "cross_validation": figures, "training_spectra": n_spectra,
            "training_rows": table.num_rows,
            "spectra_with_true_candidate": int(len(set(np.asarray(table.column("spectrum"))[
                np.asarray(table.column("is_true"))].tolist()))),
            "train_files": [Path(p).name for p in args.train], "excluded_files": [Path(p).name for p in args.exclude],
            "per_compound": args.per_compound, "max_spectra_per_file": args.max_spectra_per_file,
            "max_precursor_mz": args.max_precursor_mz,
            "ppm_noise": args.ppm_noise, "seed": args.seed, "rerank_top": args.rerank_top,
            "max_graph_work": args.max_graph_work, "max_candidates": args.max_candidates,
            "alphabet": FIXED_ALPHABET}
    model = replace(model, meta=meta)
    write_text(model.to_json(), args.output)
    log.info("degree %d, L2 %g chosen; model -> %s", degree, l2, args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
