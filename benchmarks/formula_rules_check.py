"""How many true formulas of the training compounds break each plausibility rule of
``specsweep.formula.rules`` (a rule that drops true formulas costs accuracy directly).

Training compounds: dev_full minus dev_500 (both polarities; compounds matched by the first
InChIKey block); one formula per compound. Never run on dev_500 to choose anything.

    .venv/bin/python benchmarks/formula_rules_check.py ../shared/data/spectra

Prints counts; asserts nothing.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import numpy as np
from pyteomics import mgf

from specsweep.chem.formulas import parse_formula
from specsweep.formula.alphabet import Alphabet
from specsweep.formula.rules import (ELEMENT_COMBINATIONS, H_PER_CARBON_MIN, RANGES, element_ratio_mask,
                                     even_electron_mask)

ALPHABET = Alphabet.parse("CHNOPSFClBrI")


def _keys(path: Path) -> set[str]:
    return {s["params"]["inchikey"][:14].upper() for s in mgf.read(str(path), use_index=False)}


def training_formulas(data: Path) -> dict[str, str]:
    test = _keys(data / "massbank_hr_pos_MH_dev_500.mgf") | _keys(data / "massbank_hr_neg_MmH_dev_500.mgf")
    out = {}
    for name in ("massbank_hr_pos_MH_dev_full.mgf.gz", "massbank_hr_neg_MmH_dev_full.mgf.gz"):
        with gzip.open(data / name, "rt") as fh:
            for s in mgf.read(fh, use_index=False):
                key = s["params"]["inchikey"][:14].upper()
                if key not in test:
                    out.setdefault(key, s["params"]["formula"])
    return out


def main(data_dir: str) -> None:
    formulas = training_formulas(Path(data_dir))
    rows, skipped = [], 0
    for text in formulas.values():
        try:
            rows.append(ALPHABET.to_array(parse_formula(text)))
        except ValueError:
            skipped += 1  # element outside CHNOPSFClBrI
    arr = np.array(rows)
    n = arr.shape[0]
    print(f"{n} training compounds over CHNOPSFClBrI ({skipped} with other elements left out)")
    ee = even_electron_mask(arr, ALPHABET, "[M+H]+")
    print(f"even-electron (integer RDBE >= 0): {n - ee.sum()} break it:",
          ", ".join(ALPHABET.format(r) for r in arr[~ee]))
    c = arr[:, ALPHABET.index("C")].astype(float)
    print(f"no carbon: {(c < 1).sum()}")
    for name, bounds in RANGES.items():
        ratio = element_ratio_mask(arr, ALPHABET, name)
        print(f"{name} range, ratios + combinations: {n - ratio.sum()} break them "
              f"({100 * (n - ratio.sum()) / n:.2f} %)")
        hal = arr[:, [ALPHABET.index(e) for e in ("H", "F", "Cl", "Br", "I")]].sum(axis=1)
        print(f"  (H + halogens)/C < {H_PER_CARBON_MIN[name]}: {(hal < H_PER_CARBON_MIN[name] * c).sum()}")
        for el, bound in bounds.items():
            if el in ALPHABET.elements:
                print(f"  {el}/C > {bound}: {(arr[:, ALPHABET.index(el)] > bound * c + 1e-9).sum()}")
    for elements, above, below in ELEMENT_COMBINATIONS:
        cols = [arr[:, ALPHABET.index(e)] for e in elements]
        bad = np.all([x > above for x in cols], axis=0) & ~np.all([x < b for x, b in zip(cols, below)], axis=0)
        print(f"  {''.join(elements)} all > {above} and not below {below}: {bad.sum()}")
    for i in np.nonzero(~ratio)[0][:10]:
        print("   ", ALPHABET.format(arr[i]))


if __name__ == "__main__":
    main(sys.argv[1])
