"""Fit scoring priors from fragmentation trees of annotated training spectra.

Following the procedure of Böcker & Dührkop (2016, "Statistics and fitting the model"), trees are
computed for the TRUE formula of every training spectrum with the current priors, then:

- fragment mass errors of tree vertices give the sd of the mass-error model (robust: 1.4826 MAD,
  in ppm above 200 m/z and in Da below);
- peaks with no decomposition that is a sub-formula of the true formula are noise; their relative
  intensities give the Pareto shape by maximum likelihood, hence the median noise intensity;
- losses, weighted by the larger relative intensity of their two peaks, give the log-normal loss
  mass distribution; losses seen at least 1.3 times as often as the distribution predicts and at
  least 5 times more than expected are "common", get the log ratio of observed to expected weight
  as bonus, and are down-weighted to their expected weight before refitting (6 inner runs);
- the 40 most intense fragments get the log ratio of their weight to the 80th fragment's weight.

H and H2 get bonuses that make them neither favoured nor penalised on average (the paper's rule). Run with

    python -m specsweep.formula.fit_priors --train dev_full.mgf.gz --exclude dev_500.mgf \\
        --output workflow/specsweep/formula/data/fitted_priors.json

Spectra whose compound (first InChIKey block) occurs in an ``--exclude`` file are skipped.
"""

from __future__ import annotations

import argparse
import json
import math
from collections import defaultdict

import numpy as np

from specsweep.chem.formulas import format_formula, formula_mass, parse_formula
from specsweep.chem.masses import PROTON
from specsweep.formula.alphabet import HALOGENS, Alphabet
from specsweep.formula.graph import SpectrumGraph
from specsweep.formula.heuristic import solve_heuristic
from specsweep.formula.identify import _decomposer, _edge_scorer
from specsweep.formula.peaks import PeakParams, prepare_peaks
from specsweep.formula.priors import SIRIUS_TABLES, load_tables
from specsweep.formula.scoring import ScoringParams, formula_prior_raw


def _key14(rec) -> str | None:
    return rec.inchikey[:14] if rec.inchikey else None


def collect(records, params: ScoringParams, peak_params: PeakParams = PeakParams(), sign: int = 1) -> dict:
    """Tree statistics over annotated [M+H]+ (``sign`` 1) or [M-H]- (``sign`` -1) records (true
    formula only; vertex formulas are neutral equivalents, ion m/z = mass + sign x proton)."""
    losses = defaultdict(lambda: [0.0, 0])   # formula -> [weight, count]
    fragments = defaultdict(float)
    ppm_err, da_err, noise = [], [], []
    n_trees = 0
    tables = load_tables(fitted=False)
    for rec in records:
        try:
            true = parse_formula(rec.formula)
        except ValueError:
            continue  # element without a mass in our table
        alphabet = Alphabet.parse("CHNOPS" + "".join(h for h in HALOGENS if h in true))
        try:
            root = alphabet.to_array(true)
        except ValueError:
            continue
        tol = float(params.allowed_da(rec.precursor_mz))
        peaks = prepare_peaks(rec.mz, rec.intensity, rec.precursor_mz, tol, peak_params)
        if peaks.mz.size == 0:
            continue
        sg = SpectrumGraph(peaks.mz, peaks.rel_intensity, sign * PROTON, alphabet, _decomposer(alphabet), params,
                           _edge_scorer(alphabet, params, "sirius"), tables)
        explainable = np.zeros(peaks.mz.size, dtype=bool)
        sub = np.all(sg.formulas <= root, axis=1)
        explainable[sg.peak_of[sub]] = True
        noise.extend(peaks.rel_intensity[~explainable].tolist())
        g, _, _ = sg.candidate(root, float(formula_prior_raw(root[None], alphabet, params)[0]))
        parent, _ = solve_heuristic(g)
        verts = np.nonzero(parent >= 0)[0]
        if verts.size == 0:
            continue
        n_trees += 1
        for v in verts:
            r = g.row[v]
            mz, theo = sg.peak_mz[sg.peak_of[r]], sg.theoretical_mz[r]
            (ppm_err if theo >= 200 else da_err).append((mz - theo) / theo * 1e6 if theo >= 200 else mz - theo)
            rel_v = sg.peak_rel[sg.peak_of[r]]
            u = parent[v]
            pf = root if u == 0 else sg.formulas[g.row[u]]
            rel_u = 0.0 if u == 0 else sg.peak_rel[sg.peak_of[g.row[u]]]
            loss = format_formula(alphabet.to_dict(pf - sg.formulas[r]))
            entry = losses[loss]
            entry[0] += max(rel_v, rel_u)
            entry[1] += 1
            fragments[format_formula(alphabet.to_dict(sg.formulas[r]))] += rel_v
    return {"losses": dict(losses), "fragments": dict(fragments), "ppm_err": ppm_err, "da_err": da_err,
            "noise": noise, "n_trees": n_trees}


# the loss-size score is ln(density) minus SIRIUS's normalisation (-5.3103), kept when refitting
LOSS_SIZE_OFFSET = 5.310349962255842


def _lognormal_pdf(x, mu, s2):
    x = np.maximum(np.asarray(x, dtype=np.float64), 1e-9)
    return np.exp(-(np.log(x) - mu) ** 2 / (2 * s2)) / (x * math.sqrt(2 * math.pi * s2))


def fit(stats: dict, sirius: dict, xmin: float = 0.002, n_fragments: int = 40) -> dict:
    names = sorted(stats["losses"])
    mass = np.array([formula_mass(parse_formula(n)) for n in names])
    weight = np.array([stats["losses"][n][0] for n in names])
    count = np.array([stats["losses"][n][1] for n in names], dtype=np.float64)
    W, N = weight.sum(), count.sum()
    w_cur = weight.copy()
    common = np.zeros(len(names), dtype=bool)
    for _ in range(6):
        lx = np.log(mass)
        mu = float((w_cur * lx).sum() / w_cur.sum())
        s2 = float((w_cur * (lx - mu) ** 2).sum() / w_cur.sum())
        pdf = _lognormal_pdf(mass, mu, s2)
        common = (weight >= 1.3 * W * pdf) & (count - N * pdf >= 5)
        w_cur = np.where(common, pdf * W, weight)
    pdf = _lognormal_pdf(mass, mu, s2)
    common_losses = {n: float(math.log(weight[i] / (W * pdf[i]))) for i, n in enumerate(names) if common[i]}
    # H and H2: neither favoured nor penalised, i.e. size term + bonus equals the weighted mean of
    # (size term + bonus) over all observed losses (the paper's rule, in log space)
    size = np.log(np.maximum(pdf, 1e-12)) + LOSS_SIZE_OFFSET
    bonus = np.array([common_losses.get(n, 0.0) for n in names])
    target = float((weight * (size + bonus)).sum() / W)
    for special in ("H", "H2"):
        m = formula_mass(parse_formula(special))
        common_losses[special] = target - (float(np.log(max(_lognormal_pdf(m, mu, s2), 1e-12))) + LOSS_SIZE_OFFSET)
    frag_names = sorted(stats["fragments"], key=lambda f: (-stats["fragments"][f], f))
    ref = stats["fragments"][frag_names[min(2 * n_fragments, len(frag_names)) - 1]]
    common_fragments = {f: float(math.log(stats["fragments"][f] / ref)) for f in frag_names[:n_fragments]}
    noise = np.asarray(stats["noise"])
    noise = noise[noise >= xmin]
    alpha = float(noise.size / np.log(noise / xmin).sum()) if noise.size else None
    ppm = np.asarray(stats["ppm_err"])
    da = np.asarray(stats["da_err"])
    mad = lambda x: float(1.4826 * np.median(np.abs(x - np.median(x))))  # noqa: E731
    return {
        "loss_mass": {"mu": mu, "sigma2": s2},
        "common_losses": common_losses,
        "common_fragments": common_fragments,
        "noise": {"xmin": xmin, "pareto_alpha": alpha,
                  "median_noise_intensity": xmin * 2 ** (1 / alpha) if alpha else None, "n_noise_peaks": int(noise.size)},
        "mass_error": {"sd_ppm_above_200": mad(ppm) if ppm.size else None,
                       "sd_da_below_200": mad(da) if da.size else None,
                       "median_ppm": float(np.median(ppm)) if ppm.size else None,
                       "n_vertices": int(ppm.size + da.size)},
        "n_trees": stats["n_trees"],
    }


def main(argv=None) -> int:
    from specsweep.spectra.mgf_reader import read_mgf

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", required=True, help="annotated MGF (FORMULA, INCHIKEY), may be gzipped")
    ap.add_argument("--exclude", nargs="*", default=[], help="MGF files whose compounds are left out (test sets)")
    ap.add_argument("--per-compound", type=int, default=2, help="at most this many spectra per compound")
    ap.add_argument("--output", required=True)
    ap.add_argument("--adduct", default="[M+H]+", choices=["[M+H]+", "[M-H]-"],
                    help="fit from records of this ion type only")
    args = ap.parse_args(argv)
    excluded = {_key14(r) for path in args.exclude for r in read_mgf(path)}
    seen: dict[str, int] = defaultdict(int)

    def records():
        for rec in read_mgf(args.train):
            key = _key14(rec)
            if not rec.formula or key is None or key in excluded or (rec.adduct or args.adduct) != args.adduct:
                continue
            if seen[key] >= args.per_compound:
                continue
            seen[key] += 1
            yield rec

    stats = collect(records(), ScoringParams(), sign=1 if args.adduct.endswith("+") else -1)  # SIRIUS 3.1.3 scalars
    fitted = fit(stats, json.loads(SIRIUS_TABLES.read_text()))
    fitted["source"] = (f"fitted by specsweep.formula.fit_priors from {args.train} "
                        f"({stats['n_trees']} trees, {len(seen)} compounds; compounds of "
                        f"{', '.join(args.exclude) or 'no file'} excluded)")
    with open(args.output, "w") as fh:
        json.dump(fitted, fh, indent=1, sort_keys=True)
        fh.write("\n")
    print(json.dumps({k: v for k, v in fitted.items() if k not in ("common_losses", "common_fragments")}, indent=1))
    print("common losses:", len(fitted["common_losses"]), sorted(fitted["common_losses"].items(), key=lambda x: -x[1])[:25])
    print("common fragments:", list(fitted["common_fragments"].items())[:15])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
