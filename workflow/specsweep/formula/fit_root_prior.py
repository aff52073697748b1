"""Fit the learned root (precursor formula) prior (:mod:`specsweep.formula.root_prior`).

Training compounds: those of the ``--train`` files (dev_full of both polarities) in none of the
``--exclude`` files (both dev_500 files and both validation splits), one formula per compound
(first InChIKey block). For each, the competitors are the decompositions of its neutral mass
within the stage's precursor window (the qtof profile's, at the [M+H]+ m/z) over CHNOPSFClBrI
that pass the stage's rules for [M+H]+ (integer RDBE >= 0, Kind & Fiehn element ratios); at most
``--competitors`` of them, drawn with a fixed seed, join the true formula in its list. A
conditional logit over standardised :func:`root_features` is fitted on these lists (L2 penalty
``--l2``), deterministic for the same inputs.

    python -m specsweep.formula.fit_root_prior \\
        --train ../shared/data/spectra/massbank_hr_{pos_MH,neg_MmH}_dev_full.mgf.gz \\
        --exclude ../shared/data/spectra/massbank_hr_{pos_MH,neg_MmH}_dev_500.mgf \\
                  /work/cache/valsplit/{pos,neg}_val.mgf \\
        --output workflow/specsweep/formula/data/root_prior.json

``--check FILES`` then prints, for the compounds of FILES (e.g. the validation splits), the rank
of the true formula among all its window candidates by root score alone, with the SIRIUS prior
plus element priors and with the learned prior.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from specsweep.chem.formulas import parse_formula
from specsweep.formula.alphabet import Alphabet
from specsweep.formula.fit_element_priors import _records
from specsweep.formula.root_prior import FEATURES, RootPrior, load_root_prior, root_features
from specsweep.params.stages import FormulaStageParams

ALPHABET = FormulaStageParams().elements   # the prior learns over the stage's default alphabet
SEED = 20261203


def compound_formulas(paths, excluded: set[str]) -> dict[str, str]:
    """First InChIKey block -> formula of every compound of ``paths`` not in ``excluded``."""
    out: dict[str, str] = {}
    for path in paths:
        for s in _records(path):
            key = s["params"]["inchikey"][:14].upper()
            if key not in excluded:
                out.setdefault(key, s["params"]["formula"])
    return out


def window_candidates(true: np.ndarray, alphabet: Alphabet, max_steps: int = 200_000_000):
    """(candidates, index of the true formula or -1) of the neutral mass of ``true``."""
    from specsweep.chem.masses import PROTON
    from specsweep.formula.identify import _decomposer
    from specsweep.formula.rules import plausible_mask
    from specsweep.formula.scoring import get_profile

    mass = float(alphabet.mass(true[None])[0])
    tol = float(get_profile("qtof").allowed_da(mass + PROTON))
    forms, _ = _decomposer(alphabet).decompose_within(mass - tol, mass + tol, min_rdbe=0.0, max_steps=max_steps)
    forms = forms[plausible_mask(forms, alphabet, "[M+H]+")]
    hit = np.flatnonzero(np.all(forms == true, axis=1))
    return forms, (int(hit[0]) if hit.size else -1)


def training_lists(formulas: dict[str, str], alphabet: Alphabet, competitors: int):
    """Stacked features, list codes and labels (true formula 1) of the compounds whose true
    formula is a plausible window candidate; lists in sorted compound order."""
    rng = np.random.default_rng(SEED)
    xs, groups, labels = [], [], []
    for g, key in enumerate(sorted(formulas)):
        try:
            true = alphabet.to_array(parse_formula(formulas[key]))
        except ValueError:
            continue  # an element outside the alphabet
        forms, hit = window_candidates(true, alphabet)
        if hit < 0:
            continue
        others = np.delete(np.arange(forms.shape[0]), hit)
        if others.size > competitors:
            others = np.sort(rng.choice(others, competitors, replace=False))
        rows = np.concatenate(([hit], others))
        xs.append(root_features(forms[rows], alphabet))
        groups.append(np.full(rows.size, g))
        labels.append(np.arange(rows.size) == 0)
    return np.vstack(xs), np.concatenate(groups), np.concatenate(labels)


def fit(x: np.ndarray, group: np.ndarray, label: np.ndarray, l2: float) -> RootPrior:
    from specsweep.rescore.linear import column_scale, fit_conditional_logit

    mean, scale = column_scale(x)
    w = fit_conditional_logit((x - mean) / scale, group, label, l2=l2)
    offset = float((((x[label] - mean) / scale) @ w).mean())
    return RootPrior(w, mean, scale, offset)


def check(formulas: dict[str, str], alphabet: Alphabet, model: RootPrior) -> None:
    """Rank of each true formula by root prior alone (SIRIUS + element priors vs learned; no mass
    deviation term)."""
    from specsweep.formula.scoring import get_profile, sirius_root_prior

    params = get_profile("qtof")
    ranks = {"sirius+element": [], "learned": []}
    for key in sorted(formulas):
        try:
            true = alphabet.to_array(parse_formula(formulas[key]))
        except ValueError:
            continue
        forms, hit = window_candidates(true, alphabet)
        if hit < 0:
            continue
        base = sirius_root_prior(forms, alphabet, params)
        for name, s in (("sirius+element", base), ("learned", model.score(forms, alphabet))):
            ranks[name].append(int(np.sum(s > s[hit])) + 1)
    for name, r in ranks.items():
        r = np.asarray(r)
        print(f"{name:16s} n={r.size} top1={np.mean(r == 1):.3f} top10={np.mean(r <= 10):.3f} "
              f"top100={np.mean(r <= 100):.3f} median rank={np.median(r):.0f}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", nargs="*", default=[], help="MGF files with FORMULA and INCHIKEY (.gz ok)")
    ap.add_argument("--exclude", nargs="*", default=[], help="MGF files whose compounds are left out")
    ap.add_argument("--output", help="model JSON written here (with --train)")
    ap.add_argument("--competitors", type=int, default=400, help="competitors per compound (sampled)")
    ap.add_argument("--l2", type=float, default=1.0, help="L2 penalty on the standardised weights")
    ap.add_argument("--check", nargs="*", default=[], help="MGF files whose compounds are ranked by root prior")
    ap.add_argument("--model", default=None, help="without --train: the model JSON that --check ranks with")
    args = ap.parse_args(argv)
    alphabet = Alphabet.parse(ALPHABET)
    if args.train:
        if not args.output:
            ap.error("--train needs --output")
        excluded = {s["params"]["inchikey"][:14].upper() for path in args.exclude for s in _records(path)}
        x, group, label = training_lists(compound_formulas(args.train, excluded), alphabet, args.competitors)
        model = fit(x, group, label, args.l2)
        out = model.to_json() | {"compounds": int(label.sum()), "competitors": args.competitors, "l2": args.l2,
                                 "alphabet": ALPHABET}
        with open(args.output, "w") as fh:
            json.dump(out, fh, indent=1)
            fh.write("\n")
        for name, w in zip(FEATURES, model.weights):
            print(f"{name:20s} {w:+.3f}")
        print(f"{int(label.sum())} training compounds, {x.shape[0]} rows")
    elif args.model and args.check:
        model = load_root_prior(args.model)
    else:
        ap.error("give --train (and --output), or --model with --check")
    if args.check:
        check(compound_formulas(args.check, set()), alphabet, model)


if __name__ == "__main__":
    main()
