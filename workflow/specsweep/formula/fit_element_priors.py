"""Fit the element-presence prior of candidate molecules from training compounds.

With a fixed alphabet (e.g. CHNOPSFClBrI) every candidate may hold any of the hetero elements;
SIRIUS 3 penalises each element other than C, H, N, O by the same ln(0.25). Here each of P, S,
F, Cl, Br, I gets instead the log odds of its presence among training compounds,
ln(p / (1 - p)), p = (compounds holding it + 1) / (compounds + 2), plus the log probability of
its number of atoms given that it is present, ln P(n = k | n >= 1) for k = 1 ... 7 and k >= 8 (one
bucket), each count + 1 over the compounds holding it + 8 (so together a prior on the count). Training compounds: those of the
positive and negative dev_full files that are in none of the ``--exclude`` files (dev_500 of both
polarities and the validation split), one formula per compound (first InChIKey block).

    python -m specsweep.formula.fit_element_priors --train POS_FULL.mgf.gz NEG_FULL.mgf.gz \\
        --exclude POS_500.mgf NEG_500.mgf VALIDATION.mgf --output workflow/specsweep/formula/data/element_priors.json
"""

from __future__ import annotations

import argparse
import gzip
import json
import math

from specsweep.chem.formulas import parse_formula

ELEMENTS = ("P", "S", "F", "Cl", "Br", "I")
COUNT_BUCKETS = 8  # atoms 1 ... 7, and 8 or more


def _records(path: str):
    from pyteomics import mgf
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as fh:
        yield from mgf.read(fh, use_index=False)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", nargs="+", required=True)
    ap.add_argument("--exclude", nargs="*", default=[])
    ap.add_argument("--output", required=True)
    args = ap.parse_args(argv)
    excluded = {s["params"]["inchikey"][:14].upper() for path in args.exclude for s in _records(path)}
    formulas: dict[str, str] = {}
    for path in args.train:
        for s in _records(path):
            key = s["params"]["inchikey"][:14].upper()
            if key not in excluded:
                formulas.setdefault(key, s["params"]["formula"])
    counts = {el: 0 for el in ELEMENTS}
    by_count = {el: [0] * COUNT_BUCKETS for el in ELEMENTS}
    n = 0
    for text in formulas.values():
        try:
            f = parse_formula(text)
        except ValueError:
            continue
        n += 1
        for el in ELEMENTS:
            k = f.get(el, 0)
            counts[el] += k > 0
            if k > 0:
                by_count[el][min(k, COUNT_BUCKETS) - 1] += 1
    log_odds = {el: math.log((counts[el] + 1) / (n - counts[el] + 1)) for el in ELEMENTS}
    count_log_prob = {el: [math.log((c + 1) / (counts[el] + COUNT_BUCKETS)) for c in by_count[el]]
                      for el in ELEMENTS}
    out = {"compounds": n, "with_element": counts, "log_odds": log_odds, "atoms": by_count,
           "count_log_prob": count_log_prob}
    with open(args.output, "w") as fh:
        json.dump(out, fh, indent=1, sort_keys=True)
        fh.write("\n")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
