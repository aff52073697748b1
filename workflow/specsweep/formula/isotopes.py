"""Isotope patterns of precursor ions and their score against a measured MS1 pattern.

Pattern: the element isotope distributions (natural abundances and masses, IUPAC 2013
representative values as tabulated by NIST) are convolved per nominal mass shift (M+0 ... M+4),
keeping each shift's probability and its abundance-weighted mean mass, as fine isotope peaks are
not resolved at MS1 resolution. Candidate ions differ only by their formula, so a pattern is cached
per (element, count).

Score (in the spirit of SIRIUS, Böcker et al., "SIRIUS: decomposing isotope patterns for
metabolite identification", Bioinformatics 25(2), 2009; Böcker & Dührkop 2016 add it to the
tree score): both patterns are normalised to sum 1 over the measured peaks; for every measured
peak i >= 1 the mass difference to the monoisotopic peak is compared with the theoretical one
(normal model, sd ``mass_sd_ppm`` of the m/z, score ln P(|error| >= observed)), and every peak's
relative intensity with the theoretical one (normal, sd = ``intensity_sd_rel`` × theoretical +
``intensity_sd_abs``, same tail score). The monoisotopic mass itself is not scored again (the root
score holds the precursor mass error). Theoretical peaks above ``min_rel`` of the monoisotopic
peak that were not measured score as an intensity deviation of their full height.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from specsweep.chem.masses import ELECTRON
from specsweep.formula.scoring import _log_erfc

# element -> ((isotope mass Da, abundance), ...), lightest first
ISOTOPES: dict[str, tuple[tuple[float, float], ...]] = {
    "H": ((1.00782503207, 0.999885), (2.0141017778, 0.000115)),
    "C": ((12.0, 0.9893), (13.0033548378, 0.0107)),
    "N": ((14.0030740048, 0.99636), (15.0001088982, 0.00364)),
    "O": ((15.99491461956, 0.99757), (16.99913170, 0.00038), (17.9991610, 0.00205)),
    "F": ((18.99840322, 1.0),),
    "Na": ((22.9897692809, 1.0),),
    "P": ((30.97376163, 1.0),),
    "S": ((31.97207100, 0.9499), (32.97145876, 0.0075), (33.96786690, 0.0425), (35.96708076, 0.0001)),
    "Cl": ((34.96885268, 0.7576), (36.96590259, 0.2424)),
    "K": ((38.96370668, 0.932581), (39.96399848, 0.000117), (40.96182576, 0.067302)),
    "Br": ((78.9183371, 0.5069), (80.9162906, 0.4931)),
    "I": ((126.904473, 1.0),),
}
N_SHIFTS = 5  # M+0 ... M+4


@dataclass(frozen=True)
class IsotopeScoring:
    mass_sd_ppm: float = 3.0          # sd of MS1 mass-difference errors
    intensity_sd_rel: float = 0.08    # sd of relative intensities: 8 % of the value ...
    intensity_sd_abs: float = 0.01    # ... plus 1 % of the pattern
    min_rel: float = 0.02             # unmatched theoretical peaks below this (of M+0) are not penalised
    weight: float = 1.0               # factor on the score when added to the root score


def _convolve(a, b):
    """(prob, mass-weighted prob) pairs per nominal shift, truncated to N_SHIFTS."""
    pa, ma = a
    pb, mb = b
    p = np.convolve(pa, pb)[:N_SHIFTS]
    m = (np.convolve(ma, pb) + np.convolve(pa, mb))[:N_SHIFTS]
    return p, m


@lru_cache(maxsize=4096)
def _element_pattern(element: str, count: int):
    iso = ISOTOPES[element]
    base = iso[0][0]
    p1 = np.zeros(N_SHIFTS)
    m1 = np.zeros(N_SHIFTS)
    for mass, ab in iso:
        k = int(round(mass - base))
        if k < N_SHIFTS:
            p1[k] += ab
            m1[k] += ab * mass
    result = (np.eye(1, N_SHIFTS).ravel(), np.zeros(N_SHIFTS))
    power = (p1, m1)
    n = count
    while n:
        if n & 1:
            result = _convolve(result, power)
        n >>= 1
        if n:
            power = _convolve(power, power)
    return result


def ion_pattern(counts: dict[str, int], charge_sign: int) -> tuple[np.ndarray, np.ndarray]:
    """(m/z, relative abundance summing to 1) of M+0 ... M+4 of a singly charged ion whose
    formula (all atoms, the charge-carrying proton included) is ``counts``."""
    pat = (np.eye(1, N_SHIFTS).ravel(), np.zeros(N_SHIFTS))
    for el, n in sorted(counts.items()):
        if n > 0:
            if el not in ISOTOPES:
                raise ValueError(f"no isotope abundances for element {el}")
            pat = _convolve(pat, _element_pattern(el, int(n)))
    p, m = pat
    with np.errstate(invalid="ignore", divide="ignore"):
        mz = np.where(p > 0, m / np.where(p > 0, p, 1.0), np.nan) - charge_sign * ELECTRON
    return mz, p / p.sum()


def pattern_score(measured_mz, measured_int, theo_mz, theo_p, params: IsotopeScoring = IsotopeScoring()) -> float:
    """Log score of a measured pattern (peaks M+0, M+1, ... in order; M+0 first) against a
    theoretical one (module docstring)."""
    measured_mz = np.asarray(measured_mz, dtype=np.float64)
    measured_int = np.asarray(measured_int, dtype=np.float64)
    k = min(measured_mz.size, theo_p.size)
    if k == 0:
        return 0.0
    obs = measured_int[:k] / measured_int[:k].sum()
    exp = theo_p[:k] / theo_p[:k].sum()
    score = 0.0
    for i in range(k):
        if i > 0:
            sd = params.mass_sd_ppm * 1e-6 * theo_mz[i]
            err = (measured_mz[i] - measured_mz[0]) - (theo_mz[i] - theo_mz[0])
            score += float(_log_erfc(abs(err) / (math.sqrt(2.0) * sd)))
        sd_i = params.intensity_sd_rel * exp[i] + params.intensity_sd_abs
        score += float(_log_erfc(abs(obs[i] - exp[i]) / (math.sqrt(2.0) * sd_i)))
    # theoretical peaks beyond the measured ones that should have been seen
    rel = theo_p / theo_p[0]
    for i in range(k, theo_p.size):
        if rel[i] >= params.min_rel:
            h = theo_p[i] / theo_p[:k].sum()
            score += float(_log_erfc(h / (math.sqrt(2.0) * (params.intensity_sd_rel * h + params.intensity_sd_abs))))
    return score


def simulate_pattern(counts: dict[str, int], charge_sign: int, rng: np.random.Generator, mass_sd_ppm: float = 2.0,
                     intensity_sd_rel: float = 0.05, detect_rel: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    """A measured-like MS1 pattern of an ion: theoretical peaks at >= ``detect_rel`` of M+0 (in
    order, stopping at the first one below it), each m/z with normal noise of ``mass_sd_ppm`` and
    each intensity multiplied by (1 + normal noise of ``intensity_sd_rel``)."""
    mz, p = ion_pattern(counts, charge_sign)
    keep = 1
    while keep < p.size and p[keep] / p[0] >= detect_rel:
        keep += 1
    mz, p = mz[:keep], p[:keep]
    mz = mz * (1.0 + rng.normal(0.0, mass_sd_ppm, keep) * 1e-6)
    p = np.maximum(p * (1.0 + rng.normal(0.0, intensity_sd_rel, keep)), 1e-6)
    return mz, p / p.sum()
