"""Peaks that show a halogen: which of F, Cl, Br, I the precursor molecule must hold.

Two kinds of peak, each specific to the element within the stage's mass accuracy (no ion or
loss over C, H, N, O, P, S lies within a few mDa of them):

- in negative mode, the halide anion itself (Cl- 34.9694, Br- 78.9189, I- 126.9050 Th), which
  collision-induced dissociation of deprotonated organic halides often releases;
- in either mode, the precursor less HX or X• (X = Cl, Br, I: 35.9767 / 34.9689, 79.9262 /
  78.9183, 127.9123 / 126.9045 Da), the first loss of many organic halides, or less HF (20.0062
  Da; the nearest loss over C, H, N, O is H4O at 20.0262), which fluorinated steroids and other
  aliphatic fluorides lose.

The fragmentation trees score such a peak as one among many, and a formula without the halogen
(Cl + C read as P + O, F + H + O read as C3, and similar swaps within 1-2 mDa) often outranks the
true one; candidates of a spectrum with such a peak must therefore hold its halogen
(docs/formula.md, "Halogen peaks"). Checked on dev_full without any dev_500 compound (precursor
moved by a seeded 3 ppm error, peaks of at least 1 % of the base peak;
benchmarks/lipid_halogen_check.py): Cl, Br, I in negative mode 268 of 5,270 spectra, every one of
a compound that holds it; in positive mode 438 of 27,964, all but one (a peak 35.976 Da below a
914 Da precursor without Cl). HF: 157 positive and 54 negative spectra, all of compounds with F
(the F- anion lies below most records' m/z range and F• losses are rare, so neither counts). A
difference of HCl between any two peaks is not specific: 1,266 of 4,130 such positive spectra had
no Cl.
"""

from __future__ import annotations

import numpy as np

from specsweep.chem.formulas import formula_mass
from specsweep.chem.masses import ELECTRON
from specsweep.formula.alphabet import HALOGENS

HEAVY_HALOGENS = ("Cl", "Br", "I")   # shown by their anion, HX or X•; fluorine only by HF
HALIDE_ANIONS = {el: formula_mass({el: 1}) + ELECTRON for el in HEAVY_HALOGENS}
HALOGEN_LOSSES = {el: (formula_mass({"H": 1, el: 1}), formula_mass({el: 1})) for el in HEAVY_HALOGENS}
HALOGEN_LOSSES["F"] = (formula_mass({"H": 1, "F": 1}),)
MIN_RELATIVE_INTENSITY = 0.01   # of the spectrum's base peak
ANION_TOLERANCE_DA = 0.002      # one measured m/z
LOSS_TOLERANCE_DA = 0.003       # a difference of two measured m/z


def halogens_shown(mz, intensity, precursor_mz: float, negative: bool) -> tuple[str, ...]:
    """The halogens (F, Cl, Br, I order) that a peak of the spectrum shows: a halide anion (Cl, Br,
    I; negative mode) or the precursor less HX (X•: Cl, Br, I)."""
    mz = np.asarray(mz, dtype=float)
    inten = np.asarray(intensity, dtype=float)
    if mz.size == 0 or inten.max() <= 0:
        return ()
    strong = mz[(inten >= MIN_RELATIVE_INTENSITY * inten.max()) & (mz < precursor_mz - 1.0)]
    lost = precursor_mz - strong
    shown = []
    for el in HALOGENS:
        anion = (negative and el in HALIDE_ANIONS
                 and np.any(np.abs(strong - HALIDE_ANIONS[el]) <= ANION_TOLERANCE_DA))
        loss = any(np.any(np.abs(lost - m) <= LOSS_TOLERANCE_DA) for m in HALOGEN_LOSSES[el])
        if anion or loss:
            shown.append(el)
    return tuple(shown)
