"""Formula identification benchmark: top-1 / top-5 accuracy by mass bin, time per spectrum,
work counts, ILP vs heuristic agreement, next to the naive baseline measured in the same run.

Alphabet: fixed CHNOPSFClBrI for every spectrum (``--alphabet fixed``, default: what a user who
does not know the elements would give), or CHNOPS plus the halogens the true formula contains
(``--alphabet true``, the SIRIUS 3 evaluation protocol). Naive baseline: every formula over the
same alphabet within 10 ppm of the precursor's neutral mass with integer RDBE >= 0, ranked by
absolute mass error. Also times the decomposition against a plain nested-loop enumeration, and
with ``--compare-code DIR --compare-limit N`` times the code of another checkout (e.g. the
previous release, ``DIR/workflow``) on the first N spectra in the same run (CPU seconds, its own
defaults and time limit). Also reports top-1 candidates that break the even-electron rule.

    nice -n 10 .venv/bin/python benchmarks/formula_bench.py \
        ../shared/data/spectra/massbank_hr_pos_MH_dev_500_ppm3.mgf [--limit N] [--json out.json]

Learned re-ranking (docs/formula.md, "Learned re-ranking"): every spectrum is ranked once with the
ranker off; the ``--ranker`` model (default: the shipped one; ``--ranker none`` to skip) then
orders the same reported candidates from the features that run computed, so posterior order,
ranker order and the naive baseline come from the same run. ``--json`` keeps those features;
``--from-json A.json ... --ranker MODEL`` prints the tables again from them with another model.

``--shift-fragments-ppm 7`` moves every fragment m/z by +7 ppm (QTOF-type systematic error) to
measure robustness to it (docs/formula.md, "Systematic fragment mass offsets").

Every accuracy table also splits the spectra by where their fragment m/z come from: some
MassBank records print each fragment at the exact m/z of a formula (annotated and recomputed,
not measured), which makes any use of fragment mass accuracy look better than on measured data
(:func:`fragment_mz_source`; docs/formula.md, "Fragment m/z written from formulas").

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

from specsweep.chem.adducts import get_adduct  # noqa: E402
from specsweep.chem.formulas import format_formula, parse_formula  # noqa: E402
from specsweep.formula.alphabet import HALOGENS, Alphabet  # noqa: E402
from specsweep.formula.decompose import Decomposer, brute_force_decompose  # noqa: E402
from specsweep.formula.identify import FormulaSettings, identify  # noqa: E402
from specsweep.formula.isotopes import simulate_pattern  # noqa: E402
from specsweep.formula.rules import rare_bound  # noqa: E402
from specsweep.spectra.mgf_reader import read_mgf  # noqa: E402

BINS = [(0, 400, "<400"), (400, 800, "400-800"), (800, 1200, "800-1200"), (1200, 1e9, ">1200")]


FIXED_ALPHABET = "CHNOPSFClBrI"


def spectrum_alphabet(true_formula: dict[str, int], mode: str) -> Alphabet:
    if mode == "fixed":
        return Alphabet.parse(FIXED_ALPHABET)
    return Alphabet.parse("CHNOPS" + "".join(h for h in HALOGENS if h in true_formula))


def exact_mass(rec) -> float:
    """Neutral monoisotopic mass of the annotated structure (RDKit), for the mass bins."""
    from rdkit import Chem
    from rdkit.Chem import Descriptors
    return float(Descriptors.ExactMolWt(Chem.MolFromSmiles(rec.smiles)))


COMPARE_SNIPPET = """
import sys, time, json
from specsweep.spectra.mgf_reader import read_mgf
from specsweep.formula.identify import FormulaSettings, identify
recs = list(read_mgf(sys.argv[1]))[: int(sys.argv[2])]
s = FormulaSettings()
identify(recs[0].precursor_mz, recs[0].mz, recs[0].intensity, [recs[0].adduct], sys.argv[3], s)
out = []
for r in recs:
    t0, c0 = time.perf_counter(), time.process_time()
    status, rows = identify(r.precursor_mz, r.mz, r.intensity, [r.adduct], sys.argv[3], s)
    out.append((time.perf_counter() - t0, time.process_time() - c0, status, rows[0]["formula"] if rows else None))
print(json.dumps(out))
"""


def compare_code(code_dir: str, mgf: str, limit: int, alphabet: str):
    """Per-spectrum (wall s, CPU s, status, top formula) of another checkout's code."""
    import subprocess
    import sys
    env = dict(os.environ, PYTHONPATH=str(Path(code_dir) / "workflow"),
               NUMBA_CACHE_DIR=str(Path(code_dir) / ".numba_cache"))
    out = subprocess.run([sys.executable, "-c", COMPARE_SNIPPET, mgf, str(limit), alphabet], env=env,
                         check=True, capture_output=True, text=True, cwd=code_dir)
    return json.loads(out.stdout.strip().splitlines()[-1])


# search steps for the naive baseline's decomposition (about 1e-8 CPU s each); beyond them the
# rank is reported as unknown (None) instead of the benchmark running for hours
NAIVE_MAX_STEPS = 5_000_000_000


def naive_rank(precursor_mz: float, adduct: str, alphabet: Alphabet, true_vec, ppm: float = 10.0):
    """Rank of the true formula among the even-electron formulas within ``ppm`` of the neutral
    mass, by mass error (ties: mass, then counts). Only formulas at least as close as the true
    one can outrank it, so only the window of its own error is decomposed (the full 10 ppm window
    of a 1,500 Da precursor over 12 elements holds more formulas than memory). Returns (rank,
    formulas decomposed); rank None when the true formula is outside the window, unknown, or
    the step budget ran out."""
    if true_vec is None:
        return None, 0
    neutral = get_adduct(adduct).neutral_mass(precursor_mz)
    err_true = abs(float(alphabet.mass(np.asarray(true_vec)[None])[0]) - neutral)
    if err_true > ppm * 1e-6 * neutral:
        return None, 0
    dec = Decomposer(alphabet)
    cands, cut = dec.decompose_within(neutral - err_true - 1e-9, neutral + err_true + 1e-9, min_rdbe=0.0,
                                      max_steps=NAIVE_MAX_STEPS)
    cands = cands[alphabet.doubled_rdbe(cands) % 2 == 0]  # integer RDBE: even-electron neutral molecules
    if cut or cands.shape[0] == 0:
        return None, cands.shape[0]
    err = np.abs(alphabet.mass(cands) - neutral)
    order = np.lexsort((np.arange(err.size), err))
    hit = np.nonzero(np.all(cands[order] == true_vec, axis=1))[0]
    return (int(hit[0]) + 1 if hit.size else None), cands.shape[0]


def decomposition_speed():
    alphabet = Alphabet.parse("CHNOPS")
    masses = [150.0528, 250.1000, 301.1416, 350.1234]
    dec = Decomposer(alphabet)
    dec.decompose(100, 100.001)
    t0 = time.perf_counter()
    for m in masses:
        a = dec.decompose(m - 1e-5 * m, m + 1e-5 * m)
    t_ert = time.perf_counter() - t0
    t0 = time.perf_counter()
    for m in masses:
        b = brute_force_decompose(alphabet, m - 1e-5 * m, m + 1e-5 * m)
    t_plain = time.perf_counter() - t0
    same = np.array_equal(a, b)
    return t_ert, t_plain, same


def _elements(formula: str) -> set[str]:
    import re
    return set(re.findall(r"[A-Z][a-z]?", formula))


def _odd_electron(formula: str | None) -> bool:
    if not formula:
        return False
    from specsweep.chem.masses import VALENCE
    counts = parse_formula(formula)
    return (2 + sum(n * (VALENCE[e] - 2) for e, n in counts.items())) % 2 != 0


def ion_counts(molecule: dict[str, int], adduct) -> dict[str, int]:
    """Atom counts of the precursor ion: the molecule plus the adduct's composition."""
    ion = dict(molecule)
    for el, n in adduct.atoms.items():
        ion[el] = ion.get(el, 0) + n
    return ion


# fragment m/z written from formulas: at least this share of the explained peaks (>= 3) lie within
# the printed digits' rounding (max(0.1 ppm, 0.055 mDa)) of a subformula of the ion; measured
# peaks do so by chance for a few per cent (explained: within max(5 ppm, 2 mDa))
COMPUTED_SHARE = 0.8


def fragment_mz_source(rec, true: dict | None, max_subformulas: int = 5_000_000) -> str | None:
    """'computed' when the record's fragment m/z (peaks >= 1 % of the base peak) sit at the exact
    m/z of subformulas of its ion formula, 'measured' otherwise; None when the formula or adduct
    is unknown or the ion has too many subformulas to list."""
    from specsweep.chem.masses import ELECTRON, ELEMENT_MASS
    try:
        adduct = get_adduct(rec.adduct or "[M+H]+")
    except ValueError:
        return None
    if not true or any(el not in ELEMENT_MASS for el in true):
        return None
    ion = ion_counts(true, adduct)
    els = [el for el, n in ion.items() if n > 0]
    if not els or int(np.prod([ion[el] + 1 for el in els])) > max_subformulas:
        return None
    grids = np.meshgrid(*[np.arange(ion[el] + 1) for el in els], indexing="ij")
    sub = np.sort(sum(g.ravel() * ELEMENT_MASS[el] for g, el in zip(grids, els)) - adduct.charge * ELECTRON)
    mz = np.asarray(rec.mz, dtype=np.float64)
    inten = np.asarray(rec.intensity, dtype=np.float64)
    mz = mz[inten >= 0.01 * inten.max()] if inten.size else mz
    j = np.clip(np.searchsorted(sub, mz), 1, sub.size - 1)
    dist = np.minimum(np.abs(mz - sub[j - 1]), np.abs(mz - sub[j]))
    explained = dist <= np.maximum(5e-6 * mz, 0.002)
    exact = dist <= np.maximum(1e-7 * mz, 5.5e-5)
    n = int(explained.sum())
    return "computed" if n >= 3 and exact.sum() >= COMPUTED_SHARE * n else "measured"


def fmt_pct(k, n):
    return f"{100.0 * k / n:.1f}% ({k}/{n})" if n else "-"


def has_halogen(r) -> bool:
    return any(h in _elements(r["formula"]) for h in HALOGENS)


def ranker_rank(model, r) -> int | None:
    """Rank of the true formula after the learned re-ranking of the spectrum's reported candidates."""
    if not r.get("candidates"):
        return None
    order = model.order(np.asarray(r["features"], dtype=np.float64))
    ranked = [r["candidates"][j] for j in order]
    return ranked.index(r["formula"]) + 1 if r["formula"] in ranked else None


def print_accuracy(results: list[dict], with_ranker: bool) -> None:
    """Top-1 / top-5 by mass bin and for halogenated compounds: posterior order, ranker order
    (when computed) and the naive baseline, all from the same results."""
    keys = [("tree posterior", "rank")] + ([("ranker", "ranker_rank")] if with_ranker else []) + \
        [("naive", "naive_rank")]

    def cells(sel):
        out = []
        for _, key in keys:
            out.append(fmt_pct(sum(r[key] == 1 for r in sel), len(sel)))
            out.append(fmt_pct(sum(r[key] is not None and r[key] <= 5 for r in sel), len(sel)))
        # what any re-ranking of the ranker's pool can reach at most
        out.append(fmt_pct(sum(r["formula"] in r.get("candidates", []) for r in sel), len(sel)))
        return out

    head = [f"{label} {t}" for label, _ in keys for t in ("top1", "top5")] + ["in ranker pool"]
    print(f"{'bin':<18} {'n':>4} " + " ".join(f"{h:>20}" for h in head))
    groups = [(name, lambda r, lo=lo, hi=hi: lo <= r["exact_mass"] < hi) for lo, hi, name in BINS]
    groups += [("all", lambda r: True), ("no halogen", lambda r: not has_halogen(r)),
               ("with halogens", has_halogen)]
    groups += [(f"{src} frag m/z", lambda r, src=src: r.get("fragment_mz") == src) for src in ("measured", "computed")]
    for name, pred in groups:
        sel = [r for r in results if pred(r)]
        if sel:
            print(f"{name:<18} {len(sel):>4} " + " ".join(f"{c:>20}" for c in cells(sel)))
    if with_ranker:
        gained = sum(r["rank"] != 1 and r["ranker_rank"] == 1 for r in results)
        lost = sum(r["rank"] == 1 and r["ranker_rank"] != 1 for r in results)
        print(f"ranker against posterior order: top-1 wrong -> right {gained}, right -> wrong {lost}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mgf")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--alphabet", default="fixed", choices=["fixed", "true"])
    ap.add_argument("--ilp-top", type=int, default=10)
    ap.add_argument("--ilp-max-nodes", type=int, default=None,
                    help="branch-and-bound nodes per exact solve (0: LP relaxations only; default: the command's)")
    ap.add_argument("--max-graph-work", type=int, default=None, help="graph work budget (default: the command's)")
    ap.add_argument("--preselect", type=int, nargs=2, default=None, metavar=("BY_ROOT", "BY_BOUND"),
                    help="candidates kept by root score, and of those given a tree (default: the command's; 0 0: all)")
    ap.add_argument("--max-rare-elements", type=int, default=None, metavar="N",
                    help="distinct elements other than C, H, N, O allowed in a candidate (-1: no bound; "
                         "default: the command's)")
    ap.add_argument("--ignore-file-adduct", action="store_true",
                    help="do not name the adduct: the default set of the ion mode is tried (adduct part of the answer)")
    ap.add_argument("--no-count-priors", action="store_true",
                    help="no prior on the number of P, S, F, Cl, Br, I atoms (presence log odds only)")
    ap.add_argument("--no-element-priors", action="store_true",
                    help="SIRIUS's constant ln(0.25) per hetero element instead of the fitted element log odds")
    ap.add_argument("--root-prior", default=None, choices=["sirius", "learned", "both"],
                    help="root (precursor formula) prior (default: the command's; docs/formula.md, 'Root prior')")
    ap.add_argument("--root-prior-weight", type=float, default=None, help="weight of the learned root prior")
    ap.add_argument("--simulate-isotopes", action="store_true",
                    help="also rank each spectrum with an MS1 isotope pattern simulated from its true formula "
                         "(2 ppm mass noise, 5 %% intensity noise, peaks >= 1 %% of M+0), same run")
    ap.add_argument("--shift-fragments-ppm", type=float, default=0.0,
                    help="multiply every fragment m/z by 1 + X 1e-6 (a systematic fragment mass error, ppm; "
                         "the precursor is left as recorded)")
    ap.add_argument("--fragment-noise-ppm", type=float, default=0.0,
                    help="add a seeded normal error of sd X ppm of max(m/z, 200) to every fragment m/z (makes "
                         "fragment m/z written from formulas look measured; measured MassBank fragments: "
                         "about 1.5-2 ppm)")
    ap.add_argument("--shift-charge", type=float, default=None,
                    help="cost of a per-candidate fragment mass shift (ln prior odds; default: the stage's)")
    ap.add_argument("--max-shift-ppm", type=float, default=None,
                    help="largest per-candidate fragment mass shift, ppm (0: none; default: the stage's)")
    ap.add_argument("--compare-code", default=None, help="checkout whose code is timed on the same spectra")
    ap.add_argument("--compare-limit", type=int, default=50)
    ap.add_argument("--no-lipid-rule", action="store_true", help="decompose glycerophospholipids like the rest")
    ap.add_argument("--no-halogen-rule", action="store_true",
                    help="do not require the halogen a peak shows (halide anion, precursor less HX or X, HF)")
    ap.add_argument("--json", default=None, help="write per-spectrum results (with re-ranking features) here")
    ap.add_argument("--ranker", default="shipped",
                    help="formula ranker model applied to the same run's candidates ('shipped': the default model "
                         "file; 'none': posterior order only)")
    ap.add_argument("--from-json", nargs="*", default=None,
                    help="print the accuracy tables from these --json outputs (no spectra ranked; mgf ignored)")
    args = ap.parse_args()
    model = None
    if args.ranker != "none":
        from specsweep.formula.ranker import DEFAULT_MODEL, load_ranker
        model = load_ranker(DEFAULT_MODEL if args.ranker == "shipped" else args.ranker)
    if args.from_json is not None:
        results = [r for path in args.from_json for r in json.loads(Path(path).read_text())]
        for r in results:
            r["ranker_rank"] = ranker_rank(model, r) if model else None
        print(f"== {len(results)} spectra from {', '.join(Path(p).name for p in args.from_json)}; ranker "
              f"{args.ranker} ==")
        print_accuracy(results, model is not None)
        return
    settings = FormulaSettings(ilp_top=args.ilp_top, report_top=10, ranker=None,
                               lipid_rule=not args.no_lipid_rule, halogen_rule=not args.no_halogen_rule)
    if args.ilp_max_nodes is not None:
        settings = replace(settings, exact=replace(settings.exact, mip_nodes=args.ilp_max_nodes))
    if args.max_graph_work is not None:
        settings = replace(settings, max_graph_work=args.max_graph_work)
    if args.preselect is not None:
        settings = replace(settings, preselect_by_root=args.preselect[0], preselect_by_bound=args.preselect[1])
    if args.shift_charge is not None:
        settings = replace(settings, shift_charge=args.shift_charge)
    if args.max_shift_ppm is not None:
        settings = replace(settings, max_shift_ppm=args.max_shift_ppm)
    if args.max_rare_elements is not None:
        settings = replace(settings, rules=replace(settings.rules,
                                                   max_rare_elements=rare_bound(args.max_rare_elements)))
    if args.no_count_priors:
        settings = replace(settings, params=replace(settings.params, element_count_log_prob=()))
    if args.no_element_priors:
        settings = replace(settings, params=replace(settings.params, element_log_odds=()))

    if args.root_prior is not None or args.root_prior_weight is not None:
        settings = replace(settings, params=replace(settings.params, **{
            k: v for k, v in (("root_prior", args.root_prior), ("root_prior_weight", args.root_prior_weight))
            if v is not None}))

    # compile once outside the timings
    warm = next(iter(read_mgf(args.mgf)))
    identify(warm.precursor_mz, warm.mz, warm.intensity, [warm.adduct], "CHNOPS", settings)
    compared = None
    if args.compare_code:
        alpha = FIXED_ALPHABET if args.alphabet == "fixed" else "CHNOPS"
        compared = compare_code(args.compare_code, args.mgf, args.compare_limit, alpha)

    results = []
    for i, rec in enumerate(read_mgf(args.mgf)):
        if args.limit is not None and i >= args.limit:
            break
        try:
            true = parse_formula(rec.formula)
        except ValueError:
            true = None  # an element we have no mass for (e.g. As): cannot be found
        true_text = format_formula(true) if true else rec.formula
        alphabet = spectrum_alphabet(true or {}, args.alphabet)
        try:
            true_vec = alphabet.to_array(true) if true else None
        except ValueError:
            true_vec = None  # element outside CHNOPS + halogens: cannot be found
        info: dict = {}
        t0, c0 = time.perf_counter(), time.process_time()
        named = None if args.ignore_file_adduct else [rec.adduct or "[M+H]+"]
        frag_mz = np.asarray(rec.mz, dtype=np.float64) * (1.0 + args.shift_fragments_ppm * 1e-6)
        if args.fragment_noise_ppm > 0:
            noise = np.random.default_rng([20261204, i]).normal(0.0, args.fragment_noise_ppm, frag_mz.size)
            frag_mz = frag_mz + noise * 1e-6 * np.maximum(frag_mz, 200.0)
        status, rows = identify(rec.precursor_mz, frag_mz, rec.intensity, named, alphabet, settings,
                                ion_mode=rec.ion_mode or "positive", info=info)
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        formulas = [r["formula"] for r in rows]
        rank = formulas.index(true_text) + 1 if true_text in formulas else None
        iso_rank = None
        if args.simulate_isotopes and true:
            adduct = get_adduct(rec.adduct or "[M+H]+")
            ion = ion_counts(true, adduct)
            try:
                ms1 = simulate_pattern(ion, 1 if adduct.charge > 0 else -1, np.random.default_rng(20261202 + i))
                _, iso_rows = identify(rec.precursor_mz, frag_mz, rec.intensity, named, alphabet, settings,
                                       ion_mode=rec.ion_mode or "positive", ms1=ms1)
                iso_formulas = [r["formula"] for r in iso_rows]
                iso_rank = iso_formulas.index(true_text) + 1 if true_text in iso_formulas else None
            except ValueError:
                iso_rank = None  # an element without isotope data
        n_rank, n_cands = naive_rank(rec.precursor_mz, rec.adduct or "[M+H]+", alphabet, true_vec)
        pairs = info.get("ilp_pairs", [])
        results.append({
            "title": rec.title, "formula": true_text, "exact_mass": exact_mass(rec), "status": status, "rank": rank, "naive_rank": n_rank,
            "n_plausible": info.get("n_plausible", 0), "n_candidates": info.get("n_candidates", 0),
            "seconds": dt, "cpu_seconds": cpu,
            "n_pruned": info.get("n_pruned", 0), "work": info.get("work", 0),
            "exact": {k: v for k, v in info.items() if k.startswith("exact_")},
            "top_odd_electron": bool(rows) and _odd_electron(rows[0]["formula"]),
            "heuristic_top": info.get("heuristic_top"), "final_top": formulas[0] if formulas else None,
            "adduct": rec.adduct, "top_adduct": rows[0]["adduct"] if rows else None, "iso_rank": iso_rank,
            "fragment_mz": fragment_mz_source(rec, true),
            "ilp_equal": sum(abs(h - e) < 1e-6 for h, e in pairs), "ilp_solved": len(pairs),
            "ilp_gap": [e - h for h, e in pairs],
            "candidates": info.get("posterior_formulas", []),
            "features": np.asarray(info.get("ranker_features", np.zeros((0, 0)))).round(10).tolist(),
        })
        results[-1]["ranker_rank"] = ranker_rank(model, results[-1]) if model else None
        print(f"{i:4d} {true_text:<22} {status:<8} rank={rank} ranker={results[-1]['ranker_rank']} "
              f"naive={n_rank} (of {n_cands} at least as close) "
              f"scored={info.get('n_candidates', 0) - info.get('n_pruned', 0)} {dt:.2f}s", flush=True)

    n = len(results)
    print(f"\n== {Path(args.mgf).name}: {n} spectra; machine {platform.machine()}, {os.cpu_count()} cores; "
          f"alphabet {args.alphabet}; ILP top {args.ilp_top} ==")
    print_accuracy(results, model is not None)
    for key in ("seconds", "cpu_seconds"):
        secs = np.array([r[key] for r in results])
        print(f"{key} per spectrum: mean {secs.mean():.3f}, median {np.median(secs):.3f}, "
              f"p95 {np.percentile(secs, 95):.3f}, max {secs.max():.2f}, total {secs.sum():.0f}")
    statuses: dict = {}
    for r in results:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    print("status:", statuses, "; cut below 1000 Da:",
          sum(r["status"].startswith("cut") and r["exact_mass"] < 1000 for r in results))
    print("top-1 formulas breaking the even-electron rule:", sum(r["top_odd_electron"] for r in results))
    if args.simulate_isotopes:
        print(f"simulated MS1 isotope patterns (same run): top-1 without {fmt_pct(sum(r['rank'] == 1 for r in results), n)}, "
              f"with {fmt_pct(sum(r['iso_rank'] == 1 for r in results), n)}; top-5 without "
              f"{fmt_pct(sum(r['rank'] is not None and r['rank'] <= 5 for r in results), n)}, with "
              f"{fmt_pct(sum(r['iso_rank'] is not None and r['iso_rank'] <= 5 for r in results), n)}")
    by_adduct: dict = {}
    for r in results:
        by_adduct.setdefault(r["adduct"], []).append(r)
    for name, sel in sorted(by_adduct.items()):
        both = sum(r["rank"] == 1 and r["top_adduct"] == name for r in sel)
        print(f"adduct {name}: n={len(sel)} top-1 formula {fmt_pct(sum(r['rank'] == 1 for r in sel), len(sel))}, "
              f"top-1 formula and adduct {fmt_pct(both, len(sel))}")
    cands = np.array([r["n_candidates"] for r in results])
    pruned = np.array([r["n_pruned"] for r in results])
    plausible = sum(r.get("n_plausible", 0) for r in results)
    print(f"plausible precursor formulas: {plausible}; kept by root score: {cands.sum()} ({pruned.sum()} "
          f"pruned by the tree bound); graph work units: {sum(r['work'] for r in results):.3e}")
    exact: dict = {}
    for r in results:
        for k, v in r["exact"].items():
            exact[k] = exact.get(k, 0) + v
    print("exact solves:", exact)
    if compared:
        k = len(compared)
        mine_wall = np.array([r["seconds"] for r in results[:k]])
        mine_cpu = np.array([r["cpu_seconds"] for r in results[:k]])
        base_wall = np.array([c[0] for c in compared])
        base_cpu = np.array([c[1] for c in compared])
        same = sum(c[3] == r["final_top"] for c, r in zip(compared, results))
        base_right = sum(c[3] == r["formula"] for c, r in zip(compared, results))
        print(f"compared with {args.compare_code} on the first {k} spectra (same run): CPU s mean "
              f"{base_cpu.mean():.3f} -> {mine_cpu.mean():.3f} (ratio {base_cpu.sum() / mine_cpu.sum():.1f}x), "
              f"p95 {np.percentile(base_cpu, 95):.3f} -> {np.percentile(mine_cpu, 95):.3f}; wall ratio "
              f"{base_wall.sum() / mine_wall.sum():.1f}x; its top-1 right (its defaults, ranker included) "
              f"{fmt_pct(base_right, k)}, ours {fmt_pct(sum(r['rank'] == 1 for r in results[:k]), k)} in posterior "
              f"order" + (f", {fmt_pct(sum(r['ranker_rank'] == 1 for r in results[:k]), k)} with the ranker"
                          if model is not None else "") + f"; same top formula (posterior order) {same}/{k}")
    solved = sum(r["ilp_solved"] for r in results)
    equal = sum(r["ilp_equal"] for r in results)
    gaps = np.concatenate([np.array(r["ilp_gap"]) for r in results if r["ilp_gap"]] or [np.zeros(0)])
    same_top = [r for r in results if r["heuristic_top"] and r["final_top"]]
    print(f"ILP vs heuristic: same tree score for {fmt_pct(equal, solved)} of ILP-solved candidates; "
          f"median gap {np.median(gaps) if gaps.size else 0:.3f}, mean gap {gaps.mean() if gaps.size else 0:.3f}; "
          f"same top formula for {fmt_pct(sum(r['heuristic_top'] == r['final_top'] for r in same_top), len(same_top))} spectra")
    t_ert, t_plain, same = decomposition_speed()
    print(f"decomposition of 4 masses (150-350 Da, CHNOPS, 10 ppm): extended residue table {t_ert * 1e3:.2f} ms, "
          f"nested loops {t_plain * 1e3:.0f} ms, ratio {t_plain / t_ert:.0f}x, identical output: {same}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
