"""Fragment ion m/z values with hydrogen shifts.

A fragment's atoms carry the hydrogens they had in the intact molecule. Breaking a bond leaves
each side one hydrogen short or long of a closed-shell ion depending on where the hydrogen goes,
so each fragment is matched at m/z = (mass + s * H + z * proton) / z for every shift s in
``h_shifts`` (default -1, 0, +1). This is our design choice; the molDiscovery rearrangement table
(its Supplementary Table 10) was not available.
"""

from __future__ import annotations

import numpy as np

from specsweep.chem.masses import HYDROGEN, PROTON


def fragment_mz(mass: np.ndarray, charge: int = 1, h_shifts=(-1, 0, 1)) -> tuple[np.ndarray, np.ndarray]:
    """All ion m/z (Th) of fragments with neutral masses ``mass`` (Da) at charge ``charge``.

    Returns (mz, fragment index), both of length len(mass) * len(h_shifts), fragment-major.
    """
    z = abs(int(charge))
    sign = 1 if charge > 0 else -1
    shifts = np.asarray(h_shifts, dtype=np.float64) * HYDROGEN
    mz = (mass[:, None] + shifts[None, :] + sign * z * PROTON) / z
    idx = np.repeat(np.arange(mass.shape[0], dtype=np.int64), len(h_shifts))
    return mz.ravel(), idx
