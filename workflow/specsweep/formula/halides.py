"""Halide anions in negative-mode spectra: which halogens the molecule must hold.

Collision-induced dissociation of a deprotonated organochlorine, -bromine or -iodine often
releases the halide itself (Cl- 34.9694, Br- 78.9189, I- 126.9050 Th). No other ion of the
CHNOPS alphabet lies within a few mDa of these masses, so such a peak shows that the precursor
molecule contains the element, whatever the rest of the spectrum says; the trees score it as one
peak among many, and a formula without the halogen (Cl + C read as P + O, and similar swaps
within 1-2 mDa) often outranks the true one. Candidates of a spectrum with a halide peak must
therefore contain its halogen (docs/formula.md, "Halide anions").

Measured on negative dev_full without any dev_500 compound (5,270 spectra, peaks of at least 1 %
of the base peak within 2 mDa): a Cl- peak in 126 spectra, all of compounds with Cl (but only in
16 % of the spectra of Cl compounds: many records start at m/z 50); Br- in 47, all with Br (90 %
of Br compounds); I- in 24, all with I.
"""

from __future__ import annotations

import numpy as np

from specsweep.chem.formulas import formula_mass
from specsweep.chem.masses import ELECTRON

HALIDES = {el: formula_mass({el: 1}) + ELECTRON for el in ("Cl", "Br", "I")}
MIN_RELATIVE_INTENSITY = 0.01   # of the spectrum's base peak
TOLERANCE_DA = 0.002


def halides_seen(mz, intensity, precursor_mz: float) -> tuple[str, ...]:
    """The halogens whose anion is a peak of the spectrum (below the precursor), in Cl, Br, I order."""
    mz = np.asarray(mz, dtype=float)
    inten = np.asarray(intensity, dtype=float)
    if mz.size == 0 or inten.max() <= 0:
        return ()
    strong = (inten >= MIN_RELATIVE_INTENSITY * inten.max()) & (mz < precursor_mz - 1.0)
    return tuple(el for el, m in HALIDES.items() if np.any(strong & (np.abs(mz - m) <= TOLERANCE_DA)))
