"""The formula stage's peak rules against the annotated formulas of a MassBank MGF: how often the
glycerophospholipid rule (specsweep.formula.lipids; [M-H]- files) calls a formula and how often
that formula is the annotated one; how often a peak shows a halogen (specsweep.formula.halogens:
a halide anion in negative mode, the precursor less HX or X, or HF, in both) and how often the compound
holds it. ``--write-halogen-mgf OUT`` writes the spectra with such a peak (precursor moved as
below) for ``formula_bench.py [--no-halogen-rule]``.

Spectra whose compound (first InChIKey block) is annotated in any ``--exclude`` file are left out
(the rule was designed on negative dev_full without the dev_500 compounds of either polarity).
The precursor m/z is moved by a seeded normal error (``--precursor-noise-ppm``, 3 ppm as in the
``_ppm3`` files) before the rule reads it. Prints calls, right and wrong calls, the
phosphorus-bearing CHNOP compounds of 19+ carbons the rule did not call, and the same at other
fragment tolerances; asserts nothing.

    .venv/bin/python benchmarks/lipid_halogen_check.py ../shared/data/spectra/massbank_hr_neg_MmH_dev_full.mgf.gz \\
        --exclude ../shared/data/spectra/massbank_hr_neg_MmH_dev_500.mgf ../shared/data/spectra/massbank_hr_pos_MH_dev_500.mgf
"""

from __future__ import annotations

import argparse

import numpy as np

from specsweep.chem.adducts import get_adduct
from specsweep.chem.formulas import format_formula, parse_formula
from specsweep.formula.alphabet import HALOGENS
from specsweep.formula.halogens import halogens_shown
from specsweep.formula.lipids import FRAGMENT_PPM, LIPID_ADDUCT, call_lipid
from specsweep.formula.ranker_training import compound_key, excluded_keys
from specsweep.formula.scoring import get_profile
from specsweep.spectra.mgf_reader import read_mgf


def _phospholipid_like(counts: dict[str, int]) -> bool:
    return (counts.get("P") == 1 and set(counts) <= {"C", "H", "N", "O", "P"} and counts.get("N", 0) <= 1
            and 7 <= counts.get("O", 0) <= 13 and counts.get("C", 0) >= 19)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mgf")
    ap.add_argument("--exclude", nargs="*", default=[], help="MGF files whose compounds are left out")
    ap.add_argument("--precursor-noise-ppm", type=float, default=3.0)
    ap.add_argument("--fragment-ppm", type=float, nargs="*", default=[10.0, 15.0, FRAGMENT_PPM],
                    help=f"fragment tolerances to report, ppm (the stage uses {FRAGMENT_PPM:g})")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--write-halogen-mgf", default=None, metavar="OUT",
                    help="write the spectra with a peak that shows a halogen here")
    args = ap.parse_args()

    excluded = excluded_keys(args.exclude)
    params = get_profile("qtof")
    adduct = get_adduct(LIPID_ADDUCT)
    rng = np.random.default_rng(args.seed)
    recs = []
    for r in read_mgf(args.mgf):
        if compound_key(r.inchikey) in excluded or not r.formula:
            continue
        noisy = r.precursor_mz * (1 + args.precursor_noise_ppm * 1e-6 * rng.standard_normal())
        recs.append((r, noisy))
    print(f"{args.mgf}: {len(recs)} spectra ({len(excluded)} compounds excluded)")
    for ppm in args.fragment_ppm:
        calls = right = 0
        wrong, missed = [], []
        for r, noisy in recs:
            if get_adduct(r.adduct).name != adduct.name:
                continue   # the lipid rule reads [M-H]- spectra only
            call = call_lipid(adduct.neutral_mass(noisy), r.mz, float(params.allowed_da(noisy)),
                              fragment_ppm=ppm, fragment_min_da=params.allowed_abs_da)
            true = parse_formula(r.formula, known_elements=False)
            if call is not None:
                calls += 1
                if call.formula == true:
                    right += 1
                else:
                    wrong.append((r.title, r.formula, format_formula(call.formula), call.name))
            elif _phospholipid_like(true):
                missed.append((r.title, r.formula))
        print(f"fragment tolerance {ppm:g} ppm: {calls} calls, {right} right, {len(wrong)} wrong; "
              f"{len(missed)} P-bearing CHNOP compounds of 19+ C not called")
        for w in wrong:
            print("  wrong:", *w)
    print("not called at the last tolerance (first 20):")
    for m in missed[:20]:
        print("  ", *m)

    seen = {el: [0, 0] for el in HALOGENS}   # spectra with a peak showing it, of compounds holding it
    holding = {el: 0 for el in HALOGENS}
    written = []
    for r, noisy in recs:
        true = parse_formula(r.formula, known_elements=False)
        for el in HALOGENS:
            holding[el] += true.get(el, 0) > 0
        found = halogens_shown(r.mz, r.intensity, noisy, negative=r.ion_mode == "negative")
        for el in found:
            seen[el][0] += 1
            seen[el][1] += true.get(el, 0) > 0
        if found:
            written.append((r, noisy))
    for el, (n, right) in seen.items():
        print(f"peak showing {el}: {n} spectra, {right} of compounds holding {el} "
              f"({holding[el]} spectra of such compounds in all)")
    if args.write_halogen_mgf:
        with open(args.write_halogen_mgf, "w") as out:
            for r, noisy in written:
                sign = "-" if r.ion_mode == "negative" else "+"
                out.write(f"BEGIN IONS\nTITLE={r.title}\nPEPMASS={noisy:.6f}\nCHARGE=1{sign}\nION_MODE={r.ion_mode}\n"
                          f"ADDUCT={r.adduct}\nFORMULA={r.formula}\nINCHIKEY={r.inchikey}\nSMILES={r.smiles}\n")
                out.writelines(f"{m} {i}\n" for m, i in zip(r.mz, r.intensity))
                out.write("END IONS\n\n")
        print(f"{len(written)} spectra with a peak showing a halogen -> {args.write_halogen_mgf}")


if __name__ == "__main__":
    main()
