"""Hypothesis-driven recalibration (Böcker & Dührkop 2016, after Böcker & Mäkinen 2008).

A candidate's tree assigns theoretical m/z values to measured peaks. An affine map f(x) = a x + b
from measured to theoretical m/z is fitted with the Theil-Sen estimator (slope: median of pairwise
slopes; intercept: median of y - a x), which ignores a minority of wrong assignments. The fit is
used only with at least ``min_peaks`` anchors and when it moves no anchor by more than
``max_shift_ppm`` (or ``max_shift_da`` for small m/z). The recalibrated m/z values then replace the
measured ones in the mass-deviation term of each vertex.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RecalibrationParams:
    min_peaks: int = 8
    max_shift_ppm: float = 10.0
    max_shift_da: float = 0.001


def theil_sen(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Slope and intercept of the Theil-Sen line through (x, y)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    i, j = np.triu_indices(x.size, k=1)
    dx = x[j] - x[i]
    ok = dx != 0
    if not ok.any():
        return 1.0, float(np.median(y - x))
    slope = float(np.median((y[j] - y[i])[ok] / dx[ok]))
    return slope, float(np.median(y - slope * x))


def fit(measured: np.ndarray, theoretical: np.ndarray, params: RecalibrationParams = RecalibrationParams()):
    """Return (a, b) of the accepted affine map, or None when too few anchors or too large a shift."""
    measured = np.asarray(measured, dtype=np.float64)
    if measured.size < params.min_peaks:
        return None
    a, b = theil_sen(measured, theoretical)
    shift = np.abs(a * measured + b - measured)
    if np.any(shift > np.maximum(params.max_shift_ppm * 1e-6 * measured, params.max_shift_da)):
        return None
    return a, b
