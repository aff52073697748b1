"""Per-candidate fragment mass shift: a systematic m/z offset of a spectrum's fragments (5-10 ppm
on some instruments) is absorbed by letting each candidate move its fragment m/z by a shift on a
grid of ``FormulaSettings.shift_step_ppm`` up to ``max_shift_ppm``, charged by a prior fitted on
training offsets (docs/formula.md, "Systematic fragment mass offsets"). Used by
:mod:`specsweep.formula.identify`; the pruning bounds take :func:`shift_gain_bound` so that they
stay upper bounds of every shifted tree."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from specsweep.formula.graph import CandidateGraph, SpectrumGraph
from specsweep.formula.scoring import fragment_mass_score, shift_gains

if TYPE_CHECKING:
    from specsweep.formula.identify import FormulaSettings


def _shift_adjustment(sg: SpectrumGraph, rows: np.ndarray, shift: float, params) -> np.ndarray:
    """Change of the fragment mass score of ``rows`` when measured m/z are taken as m/z x (1 - shift ppm)."""
    measured = sg.peak_mz[sg.peak_of[rows]]
    theo = sg.theoretical_mz[rows]
    return fragment_mass_score(measured * (1 - shift * 1e-6), theo, params) - fragment_mass_score(measured, theo, params)


def _shift_grid(settings: FormulaSettings) -> np.ndarray:
    d = settings.max_shift_ppm
    grid = np.arange(-d, d + 1e-9, settings.shift_step_ppm)
    return grid[grid != 0.0]


def _shift_cost(shift: float, settings: FormulaSettings) -> float:
    return settings.shift_charge + 0.5 * (shift / settings.shift_sd_ppm) ** 2


def shift_gain_bound(sg: SpectrumGraph, settings: FormulaSettings) -> np.ndarray | None:
    """Per decomposition row, the most its vertex score can rise under any allowed shift
    (>= 0; the error moved towards 0 by up to ``max_shift_ppm``); None when shifts are off.
    Computed once per spectrum graph."""
    if settings.max_shift_ppm <= 0:
        return None
    cached = getattr(sg, "_shift_gain", None)
    if cached is not None and cached[0] == settings.max_shift_ppm:
        return cached[1]
    measured = sg.peak_mz[sg.peak_of]
    ppm = (measured - sg.theoretical_mz) / measured * 1e6
    best = np.clip(ppm, -settings.max_shift_ppm, settings.max_shift_ppm)
    gain = (fragment_mass_score(measured * (1 - best * 1e-6), sg.theoretical_mz, sg.params)
            - fragment_mass_score(measured, sg.theoretical_mz, sg.params))
    gain = np.maximum(gain, 0.0) + 1e-9
    sg._shift_gain = (settings.max_shift_ppm, gain)
    return gain


def _shift_skip(sg: SpectrumGraph, settings: FormulaSettings) -> np.ndarray:
    """Rows whose vertex score stays <= 0 under every shift (they add 0 to every shift's gain)."""
    cached = getattr(sg, "_shift_skip", None)
    if cached is None:
        cached = sg._shift_skip = sg.vertex_score + shift_gain_bound(sg, settings) <= 0.0
    return cached


def choose_shift(sg: SpectrumGraph, g: CandidateGraph, settings: FormulaSettings) -> tuple[float, float]:
    """The candidate's fragment mass shift (ppm) and its cost. For each grid shift, the gain is the
    sum over peaks of the change of max(0, best vertex score) among the candidate's vertices of
    that peak (a peak another vertex already explains well, or that stays noise, gains nothing),
    less the shift's cost (:func:`_shift_cost`); the best shift when its gain is positive, else none (0, 0)."""
    rows = g.row[1:]
    if rows.size == 0:
        return 0.0, 0.0
    skip = _shift_skip(sg, settings)
    grid = np.concatenate(([0.0], _shift_grid(settings)))
    p = sg.params
    best = shift_gains(rows, sg.peak_mz, sg.peak_of, sg.theoretical_mz, sg.vertex_score, skip, grid,
                       p.fragment_sd_ppm, p.fragment_sd_abs_da, p.fragment_offset_weight, p.fragment_offset_sd_ppm)
    gain = best[1:] - best[0] - settings.shift_charge - 0.5 * (grid[1:] / settings.shift_sd_ppm) ** 2
    k = int(np.argmax(gain))
    if gain[k] <= 0.0:
        return 0.0, 0.0
    return float(grid[k + 1]), _shift_cost(float(grid[k + 1]), settings)


def shifted_graph(sg: SpectrumGraph, g: CandidateGraph, shift: float) -> CandidateGraph:
    if shift == 0.0 or g.row.size <= 1:
        return g
    full = np.zeros(sg.formulas.shape[0])
    full[g.row[1:]] = _shift_adjustment(sg, g.row[1:], shift, sg.params)
    return CandidateGraph(root=g.root, row=g.row, color=g.color, n_colors=g.n_colors, src=g.src, dst=g.dst,
                          w=g.w + full[g.row[g.dst]])
