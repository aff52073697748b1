"""Maximum a posteriori scores of fragmentation trees (log scores, natural log, added up).

Following Böcker & Dührkop (2016), the log posterior of a tree is the root prior plus, for every
edge u -> v, a loss prior on u - v and the log likelihood ratio of v's peak being signal rather than
noise. Parameter values are those of SIRIUS 3.1.3 ("qtof" profile, collected in
../shared/reference/sirius-tables/); the loss-mass distribution, common losses, common fragments and
noise shape can be replaced by fitted ones (``priors``). Everything here works on count arrays:

- :func:`root_scores` (n_candidates,) for precursor formulas,
- :func:`vertex_scores` (n_decompositions,) for (peak, fragment formula) pairs,
- :class:`EdgeScorer` turns a batch of losses into loss scores.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace

import numba as nb
import numpy as np

from specsweep.formula.alphabet import Alphabet, formula_keys
from specsweep.formula.priors import DATA, Lookup, load_tables

LN = math.log
ELEMENT_PRIORS = DATA / "element_priors.json"  # fitted by specsweep.formula.fit_element_priors


@dataclass(frozen=True)
class ScoringParams:
    """All scalar parameters; defaults are the SIRIUS 3.1.3 Q-TOF profile."""

    # mass accuracy
    allowed_ppm: float = 10.0           # decomposition window (ppm) ...
    allowed_abs_da: float = 0.002       # ... but at least this many Da
    fragment_sd_ppm: float = 10.0       # sd of fragment mass errors (normal model)
    fragment_sd_abs_da: float = 0.002
    # wide component of the fragment mass error (spectra whose fragments are systematically off):
    # weight and sd (ppm, at least fragment_sd_abs_da) of a second zero-mean normal mixed with the
    # one above; weight 0: the normal model alone (SIRIUS 3)
    fragment_offset_weight: float = 0.0
    fragment_offset_sd_ppm: float = 10.0
    root_sd_ppm: float = 5.0            # sd of the precursor mass error
    root_sd_abs_da: float = 0.0005
    # noise intensity Pareto model (relative intensities)
    noise_xmin: float = 0.002
    median_noise_intensity: float = 0.015
    # tree size and vertex extras
    tree_size: float = -0.5
    tree_size_max_increase: float = 3.0
    fragment_size_max_score: float = 2.0
    fragment_size_max_mz: float = 200.0
    strange_small_fragment_score: float = 0.5
    strange_small_fragment_max_da: float = 75.0
    common_fragment_recombination_penalty: float = -0.5
    # loss mass log-normal
    loss_mu: float = 4.022526672023266
    loss_sigma2: float = 0.3124649410213113
    loss_norm: float = -5.310349962255842
    common_loss_norm: float = 2.738930846569549
    loss_recombination_penalty: float = -1.0
    radical_penalty: float = LN(0.1)
    known_radical: float = LN(0.9)
    radical_norm: float = -0.011626542158820332
    negative_rdbe_per_unit: float = LN(1 / 3)
    negative_rdbe_floor: float = LN(0.05)
    pure_cn_loss: float = LN(0.1)
    phosphorus_fragment_or_loss: float = LN(0.25)
    alkali_loss: float = LN(0.05)
    strange_element_loss: float = LN(2.0)
    chem_edge_norm: float = -0.04412622063311402
    chem_edge_min_mass: float = 100.0
    chem_prior_floor: float = LN(1e-4)
    # root prior
    special_element: float = LN(0.25)
    # per-element log odds of presence replacing special_element for these elements (fitted;
    # ``fit_element_priors``); empty: SIRIUS's constant for every element but C, H, N, O
    element_log_odds: tuple = ()
    # per-element ln P(atoms = k | present), k = 1 ... len - 1 and the last for more (fitted); empty: none
    element_count_log_prob: tuple = ()
    phosphorus_root: float = LN(0.05)
    # which root prior: "sirius" (formula_prior + element terms + phosphorus_root above), "learned"
    # (root_prior.py: a conditional logit fitted on training compounds against their same-mass
    # competitors, times root_prior_weight) or "both" (their sum)
    root_prior: str = "sirius"
    root_prior_weight: float = 1.0
    radical_root: float = LN(0.01)
    prior_min_mass: float = 100.0
    prior_floor: float = -10.0
    prior_norm: float = 0.8223655391091401
    min_rdbe: float = -0.5

    @property
    def noise_k(self) -> float:
        return LN(2) / LN(self.median_noise_intensity / self.noise_xmin)

    def allowed_da(self, mass):
        return np.maximum(self.allowed_ppm * 1e-6 * np.asarray(mass), self.allowed_abs_da)


PROFILES = {
    "qtof": ScoringParams(),
    "orbitrap": ScoringParams(allowed_ppm=5.0, allowed_abs_da=0.001, fragment_sd_ppm=2.0,
                              fragment_sd_abs_da=0.00034, root_sd_ppm=2.0, root_sd_abs_da=0.0002,
                              tree_size=0.5, fragment_size_max_score=3.0, fragment_size_max_mz=300.0,
                              strange_small_fragment_max_da=125.0),
}


def fitted_overrides(tables: dict, mass_sd_factor: float = 2.0) -> dict:
    """Scalar parameters fitted from our training trees (``priors.fit_priors``): loss-mass
    log-normal, noise median, and the fragment mass-error sd times ``mass_sd_factor`` (a margin
    for spectra less well calibrated than the training set). Empty when nothing is fitted."""
    out = {}
    if "loss_mass" in tables:
        out["loss_mu"] = tables["loss_mass"]["mu"]
        out["loss_sigma2"] = tables["loss_mass"]["sigma2"]
    noise = tables.get("noise") or {}
    if noise.get("median_noise_intensity"):
        out["median_noise_intensity"] = noise["median_noise_intensity"]
        out["noise_xmin"] = noise["xmin"]
    err = tables.get("mass_error") or {}
    if err.get("sd_ppm_above_200") and mass_sd_factor > 0:
        out["fragment_sd_ppm"] = mass_sd_factor * err["sd_ppm_above_200"]
        out["fragment_sd_abs_da"] = mass_sd_factor * err["sd_da_below_200"]
    return out


def get_profile(name: str, priors: str = "fitted", mass_sd_factor: float = 2.0, **overrides) -> ScoringParams:
    """Profile parameters; with ``priors="fitted"`` the fitted scalars replace the SIRIUS ones
    (when a fitted table is bundled; negative-mode spectra swap them for those of their own
    tables, ``identify.settings_for_ion_mode``). Explicit ``overrides`` (not None) win."""
    if name not in PROFILES:
        raise ValueError(f"unknown scoring profile {name!r}; known: {', '.join(PROFILES)}")
    base = PROFILES[name]
    if priors == "fitted":
        base = replace(base, **fitted_overrides(load_tables(), mass_sd_factor))
        if ELEMENT_PRIORS.exists():
            fitted = json.loads(ELEMENT_PRIORS.read_text())
            counts = fitted.get("count_log_prob", {})
            base = replace(base, element_log_odds=tuple(sorted(fitted["log_odds"].items())),
                           element_count_log_prob=tuple(sorted((el, tuple(v)) for el, v in counts.items())))
        from specsweep.formula.root_prior import DEFAULT_MODEL as ROOT_PRIOR
        if ROOT_PRIOR.exists():  # chosen on the validation splits (docs/formula.md, "Root prior")
            base = replace(base, root_prior="learned")
    elif priors != "sirius":
        raise ValueError(f"unknown priors {priors!r} (fitted | sirius)")
    return replace(base, **{k: v for k, v in overrides.items() if v is not None})


# --- distributions ------------------------------------------------------------------------------
@nb.vectorize(["float64(float64)"], cache=True)
def _log_erfc(x):
    """ln erfc(x) for x >= 0; asymptotic series where erfc underflows."""
    if x < 20.0:
        return math.log(math.erfc(x))
    return -x * x - math.log(x * math.sqrt(math.pi)) + math.log1p(-0.5 / (x * x))


def mass_deviation_score(measured, theoretical, sd_ppm: float, sd_abs: float) -> np.ndarray:
    """ln P(|error| >= observed) under a normal error with sd max(ppm * m, abs)."""
    theoretical = np.asarray(theoretical, dtype=np.float64)
    sd = np.maximum(sd_ppm * 1e-6 * theoretical, sd_abs)
    return _log_erfc(np.abs(np.asarray(measured) - theoretical) / (math.sqrt(2.0) * sd))


def fragment_mass_score(measured, theoretical, params: ScoringParams) -> np.ndarray:
    """ln P(|error| >= observed) of a fragment peak under the mixture of a normal core (sd
    ``fragment_sd_*``) and, with weight ``fragment_offset_weight``, a wide normal (sd
    ``fragment_offset_sd_ppm``, at least ``fragment_sd_abs_da``): 0 at no error, never above."""
    core = mass_deviation_score(measured, theoretical, params.fragment_sd_ppm, params.fragment_sd_abs_da)
    w = params.fragment_offset_weight
    if w <= 0.0:
        return core
    wide = mass_deviation_score(measured, theoretical, params.fragment_offset_sd_ppm, params.fragment_sd_abs_da)
    return np.logaddexp(math.log1p(-w) + core, math.log(w) + wide)


@nb.njit(cache=True)
def _fragment_mass_score_one(measured, theoretical, sd_ppm, sd_abs, weight, wide_sd_ppm):
    """:func:`fragment_mass_score` of one peak (compiled; the same formula)."""
    err = abs(measured - theoretical)
    core = _log_erfc(err / (math.sqrt(2.0) * max(sd_ppm * 1e-6 * theoretical, sd_abs)))
    if weight <= 0.0:
        return core
    wide = _log_erfc(err / (math.sqrt(2.0) * max(wide_sd_ppm * 1e-6 * theoretical, sd_abs)))
    a, b = math.log1p(-weight) + core, math.log(weight) + wide
    hi = max(a, b)
    return hi + math.log(math.exp(a - hi) + math.exp(b - hi))


@nb.njit(cache=True)
def shift_gains(rows, peak_mz, peak_of, theoretical, vscore, skip, grid, sd_ppm, sd_abs, weight, wide_sd_ppm):
    """For each shift of ``grid`` (ppm; measured m/z taken as m/z x (1 - shift 1e-6)), the sum over
    peaks of max(0, best vertex score among ``rows`` of the peak under that shift), ``rows``
    grouped by peak; the vertex score under a shift is ``vscore`` plus the change of its fragment
    mass score. Rows with ``skip`` set are left out (their score stays <= 0 under any shift)."""
    out = np.zeros(grid.shape[0])
    best = np.zeros(grid.shape[0])
    last = -1
    for r in rows:
        if skip[r]:
            continue
        if peak_of[r] != last:
            out += best
            best[:] = 0.0
            last = peak_of[r]
        measured = peak_mz[peak_of[r]]
        s0 = _fragment_mass_score_one(measured, theoretical[r], sd_ppm, sd_abs, weight, wide_sd_ppm)
        for k in range(grid.shape[0]):
            v = vscore[r] + _fragment_mass_score_one(measured * (1.0 - grid[k] * 1e-6), theoretical[r], sd_ppm,
                                                     sd_abs, weight, wide_sd_ppm) - s0
            if v > best[k]:
                best[k] = v
    return out + best


def _log_partial_pareto(x, a: float, b: float, k: float) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    c = 1.0 / ((b - a) * k / b + 1.0)
    base = math.log(k / b * c)
    with np.errstate(divide="ignore", invalid="ignore"):
        tail = base + (k + 1.0) * np.log(b / np.maximum(x, 1e-300))
    return np.where(x < a, -np.inf, np.where(x < b, base, tail))


def formula_prior(formulas: np.ndarray, alphabet: Alphabet, params: ScoringParams) -> np.ndarray:
    """Chemical formula prior of SIRIUS 3 (hetero-minus-oxygen to carbon ratio with RDBE per
    mass^(2/3); or, for oxygen-rich backbones, hetero-to-oxygen ratio with RDBE), floored and
    normalised; 0 below ``prior_min_mass``. Unnormalised values come from ``formula_prior_raw``."""
    raw = formula_prior_raw(formulas, alphabet, params)
    mass = alphabet.mass(formulas)
    return np.where(mass >= params.prior_min_mass, raw - params.prior_norm, 0.0)


def formula_prior_raw(formulas: np.ndarray, alphabet: Alphabet, params: ScoringParams) -> np.ndarray:
    f = np.asarray(formulas, dtype=np.float64)
    els = alphabet.elements
    col = {e: f[:, i] for i, e in enumerate(els)}
    zero = np.zeros(f.shape[0])
    c, h, o = col.get("C", zero), col.get("H", zero), col.get("O", zero)
    atoms = f.sum(axis=1)
    rdbe = alphabet.doubled_rdbe(formulas) / 2.0
    mass = alphabet.mass(formulas)
    hetero_no_o = atoms - c - h - o
    r1 = hetero_no_o / np.where(c > 0, c, 0.8)
    r2 = rdbe / np.power(np.maximum(mass, 1e-9), 2.0 / 3.0)
    var = 0.07341486
    ln_norm = -0.5 * math.log(2 * math.pi * var) - (r2 - 0.1481998) ** 2 / (2 * var)
    branch1 = _log_partial_pareto(r1, 0.0, 0.4, 3.14534) + ln_norm
    r3 = (atoms - o - h) / np.where(o > 0, o, 0.8)
    branch2 = _log_partial_pareto(r3, 0.0, 0.75, 5.0) + _log_partial_pareto(rdbe, 0.0, 2.0, 2.0)
    return np.maximum(np.maximum(branch1, branch2), params.prior_floor)


def _count(formulas: np.ndarray, alphabet: Alphabet, element: str) -> np.ndarray:
    if element in alphabet.elements:
        return np.asarray(formulas)[:, alphabet.index(element)]
    return np.zeros(np.asarray(formulas).shape[0], dtype=np.int64)


def root_scores(formulas: np.ndarray, alphabet: Alphabet, measured_mz: float, theoretical_mz: np.ndarray,
                params: ScoringParams) -> np.ndarray:
    """Root prior + precursor mass likelihood for each candidate precursor (neutral) formula."""
    formulas = np.asarray(formulas, dtype=np.int64)
    score = mass_deviation_score(measured_mz, theoretical_mz, params.root_sd_ppm, params.root_sd_abs_da)
    if params.root_prior not in ("sirius", "learned", "both"):
        raise ValueError(f"unknown root prior {params.root_prior!r} (sirius | learned | both)")
    if params.root_prior in ("sirius", "both"):
        score = score + sirius_root_prior(formulas, alphabet, params)
    if params.root_prior in ("learned", "both"):
        from specsweep.formula.root_prior import load_root_prior
        score = score + params.root_prior_weight * load_root_prior().score(formulas, alphabet)
    score += np.where(alphabet.doubled_rdbe(formulas) % 2 != 0, params.radical_root, 0.0)
    return score


def sirius_root_prior(formulas: np.ndarray, alphabet: Alphabet, params: ScoringParams) -> np.ndarray:
    """SIRIUS 3's formula prior plus a presence (and atom count) term per hetero element and the
    phosphorus-without-oxygen penalty."""
    score = formula_prior(formulas, alphabet, params)
    odds = dict(params.element_log_odds)
    by_count = dict(params.element_count_log_prob)
    for i, el in enumerate(alphabet.elements):
        if el not in ("C", "H", "N", "O"):
            score += np.where(formulas[:, i] > 0, odds.get(el, params.special_element), 0.0)
            if el in by_count:  # a prior on the number of atoms, given the element is present
                table = np.asarray(by_count[el])
                k = np.clip(formulas[:, i], 1, table.size) - 1
                score += np.where(formulas[:, i] > 0, table[k], 0.0)
    p = _count(formulas, alphabet, "P")
    os_ = _count(formulas, alphabet, "O") + _count(formulas, alphabet, "S")
    score += np.where((p > 0) & (os_ < 2 * p), params.phosphorus_root, 0.0)
    return score


def vertex_scores(formulas: np.ndarray, peak_mz: np.ndarray, peak_rel_intensity: np.ndarray,
                  theoretical_mz: np.ndarray, alphabet: Alphabet, params: ScoringParams,
                  tables: dict | None = None) -> np.ndarray:
    """Score of explaining a peak by a fragment formula (added to the edge into that vertex):
    mass deviation, peak-is-not-noise, tree size, fragment size, common fragment, small
    hetero-element fragment, phosphorus without oxygen. Arrays are per decomposition."""
    formulas = np.asarray(formulas, dtype=np.int64)
    s = fragment_mass_score(peak_mz, theoretical_mz, params)
    rel = np.asarray(peak_rel_intensity, dtype=np.float64)
    s = s + np.where(rel > params.noise_xmin,
                     params.noise_k * np.log(np.maximum(rel, params.noise_xmin) / params.noise_xmin), 0.0)
    s = s + params.tree_size
    s = s + params.fragment_size_max_score * (1.0 - np.minimum(1.0, peak_mz / params.fragment_size_max_mz))
    s = s + common_fragment_scores(formulas, alphabet, params, tables)
    strange = np.zeros(formulas.shape[0], dtype=bool)
    for i, el in enumerate(alphabet.elements):
        if el not in ("C", "H", "N", "O"):
            strange |= formulas[:, i] > 0
    s = s + np.where(strange & (alphabet.mass(formulas) <= params.strange_small_fragment_max_da),
                     params.strange_small_fragment_score, 0.0)
    p = _count(formulas, alphabet, "P")
    s = s + np.where((p > 0) & (_count(formulas, alphabet, "O") < p) & (_count(formulas, alphabet, "S") < p),
                     params.phosphorus_fragment_or_loss, 0.0)
    return s


def common_fragment_scores(formulas, alphabet, params, tables=None) -> np.ndarray:
    """Listed common fragments; a fragment that is a listed one plus a recombination loss gets
    that score plus a penalty when still positive."""
    tables = tables or load_tables()
    direct = Lookup.build(alphabet, tables["common_fragments"])
    keys = formula_keys(formulas)
    score = direct.get(keys, default=0.0)
    losses = [r for r in (Lookup.build(alphabet, [x]) for x in tables["fragment_recombination_losses"])
              if r.keys.size]
    if losses and direct.keys.size:
        rows = np.asarray(formulas, dtype=np.int64)
        for text in tables["fragment_recombination_losses"]:
            from specsweep.chem.formulas import parse_formula
            counts = parse_formula(text)
            if any(el not in alphabet.elements for el in counts):
                continue
            base = rows - alphabet.to_array(counts)
            ok = np.all(base >= 0, axis=1)
            if not ok.any():
                continue
            inherited = direct.get(formula_keys(base[ok]), default=np.nan) + params.common_fragment_recombination_penalty
            cur = score[ok]
            better = np.isfinite(inherited) & (inherited > cur)
            cur[better] = inherited[better]
            score[ok] = cur
    return score


class EdgeScorer:
    """Loss scores for one alphabet: log-normal loss mass, common/implausible losses (with
    recombined pairs), radicals, negative RDBE, pure C/N, phosphorus, alkali and hetero-element
    losses. The chemical-prior edge term needs both end points; see :meth:`chemical_edge`."""

    def __init__(self, alphabet: Alphabet, params: ScoringParams, tables: dict | None = None):
        self.alphabet = alphabet
        self.params = params
        tables = tables or load_tables()
        self.tables = tables
        common = dict(tables["common_losses"])
        self._common = Lookup.build(alphabet, common)
        self._implausible = Lookup.build(alphabet, tables["implausible_losses"])
        self._radical = Lookup.build(alphabet, tables["known_radical_losses"])
        self._strange = Lookup.build(alphabet, tables["strange_element_losses"])
        self._recombined = self._recombine(common)

    def loss_size(self, mass: np.ndarray) -> np.ndarray:
        p = self.params
        mass = np.maximum(np.asarray(mass, dtype=np.float64), 1e-9)
        sigma = math.sqrt(p.loss_sigma2)
        dens = np.exp(-(np.log(mass) - p.loss_mu) ** 2 / (2 * p.loss_sigma2)) / (mass * sigma * math.sqrt(2 * math.pi))
        return np.log(np.maximum(dens, 1e-12)) - p.loss_norm

    def _recombine(self, common: dict[str, float]) -> Lookup:
        """Sums of two non-negative listed losses not listed themselves:
        list score = min(total(a), total(b)) + penalty - size(a + b), kept when positive."""
        from specsweep.chem.formulas import parse_formula
        a = self.alphabet
        items = []
        for text, score in common.items():
            counts = parse_formula(text)
            if score < 0 or any(el not in a.elements for el in counts):
                continue
            items.append((a.to_array(counts), score))
        if not items:
            self._recombined_mass = np.zeros(0)
            return Lookup(np.zeros(0, dtype=np.int64), np.zeros(0))
        rows = np.array([r for r, _ in items])
        totals = self.loss_size(a.mass(rows)) + np.array([s for _, s in items])
        n = len(items)
        ii, jj = np.triu_indices(n)
        sums = rows[ii] + rows[jj]
        keys = formula_keys(sums)
        listed = np.isfinite(self._common.get(keys))
        score = np.minimum(totals[ii], totals[jj]) + self.params.loss_recombination_penalty - self.loss_size(a.mass(sums))
        keep = (~listed) & (score > 0)
        keys, score = keys[keep], score[keep]
        # a sum reachable by several pairs keeps its best score
        order = np.lexsort((-score, keys))
        keys, score = keys[order], score[order]
        first = np.concatenate(([True], keys[1:] != keys[:-1])) if keys.size else np.zeros(0, bool)
        self._recombined_mass = a.mass(sums[keep][order][first])
        return Lookup(keys[first], score[first])

    def edge_upper_bound(self) -> float:
        """An upper bound of loss score + chemical edge term over all possible edges: the best of
        the loss-mass term at the density's mode and of mass term + bonus over listed losses
        (recombined losses score at most the better listed one plus the recombination penalty),
        and every other term at its best (positive parts only)."""
        from specsweep.chem.formulas import parse_formula
        p, a = self.params, self.alphabet
        mode = math.exp(p.loss_mu - p.loss_sigma2)
        best = float(self.loss_size(np.array([mode]))[0])
        for text, score in self.tables["common_losses"].items():
            counts = parse_formula(text)
            if all(el in a.elements for el in counts):
                mass = a.mass(a.to_array(counts)[None])
                best = max(best, float(self.loss_size(mass)[0]) + score,
                           float(self.loss_size(mass)[0]) + score + p.loss_recombination_penalty)
        others = [p.known_radical, p.radical_penalty, p.negative_rdbe_floor, p.pure_cn_loss,
                  p.phosphorus_fragment_or_loss, p.alkali_loss]
        return (best - p.common_loss_norm - p.radical_norm + max(0.0, p.strange_element_loss)
                + sum(max(0.0, x) for x in others) + max(0.0, -p.chem_edge_norm))

    def loss_bonus_masses(self) -> tuple[np.ndarray, np.ndarray]:
        """(mass, bonus) of every loss formula whose lookup bonus is positive (listed, recombined
        or implausible-list entries over this alphabet), sorted by mass. Any other loss gets a
        bonus of at most 0."""
        from specsweep.chem.formulas import parse_formula
        a = self.alphabet
        masses, scores = [], []
        for name in ("common_losses", "implausible_losses"):
            entries = self.tables[name]
            for text, score in (entries.items() if isinstance(entries, dict) else []):
                counts = parse_formula(text)
                if score > 0 and all(el in a.elements for el in counts):
                    masses.append(float(a.mass(a.to_array(counts)[None])[0]))
                    scores.append(float(score))
        keep = self._recombined.scores > 0
        masses = np.concatenate([np.array(masses, dtype=np.float64), self._recombined_mass[keep]])
        scores = np.concatenate([np.array(scores, dtype=np.float64), self._recombined.scores[keep]])
        order = np.lexsort((scores, masses))
        return masses[order], scores[order]

    def edge_constant_bound(self) -> float:
        """Upper bound of every term of loss score + chemical edge term except the loss-mass
        density and the lookup bonus (positive parts of the rest, as in :meth:`edge_upper_bound`)."""
        p = self.params
        others = [p.known_radical, p.radical_penalty, p.negative_rdbe_floor, p.pure_cn_loss,
                  p.phosphorus_fragment_or_loss, p.alkali_loss]
        return (-p.common_loss_norm - p.radical_norm + max(0.0, p.strange_element_loss)
                + sum(max(0.0, x) for x in others) + max(0.0, -p.chem_edge_norm))

    def loss_scores(self, losses: np.ndarray) -> np.ndarray:
        """Score of each loss (count rows, all >= 0 and not all 0)."""
        p, a = self.params, self.alphabet
        losses = np.asarray(losses, dtype=np.int64)
        mass = a.mass(losses)
        keys = formula_keys(losses)
        s = self.loss_size(mass)
        listed = self._common.get(keys)
        recombined = self._recombined.get(keys)
        implausible = self._implausible.get(keys)
        bonus = np.where(np.isfinite(listed), listed, np.where(np.isfinite(recombined), recombined, 0.0))
        bonus = np.where(np.isfinite(implausible), implausible, bonus)
        s = s + bonus - p.common_loss_norm
        dr = a.doubled_rdbe(losses)
        radical = dr % 2 != 0
        known = np.isfinite(self._radical.get(keys))
        s = s + np.where(radical, np.where(known, p.known_radical, p.radical_penalty), 0.0) - p.radical_norm
        s = s + np.where(dr < 0, np.maximum(p.negative_rdbe_per_unit * np.abs(dr), p.negative_rdbe_floor), 0.0)
        cn = _count(losses, a, "C") + _count(losses, a, "N")
        total = losses.sum(axis=1)
        other = total - cn
        odd_one = (other == 1) & ((_count(losses, a, "Cl") + _count(losses, a, "K") + _count(losses, a, "Na")) == 1)
        s = s + np.where((cn > 0) & ((other == 0) | odd_one), p.pure_cn_loss, 0.0)
        ph = _count(losses, a, "P")
        s = s + np.where((ph > 0) & (_count(losses, a, "O") < ph) & (_count(losses, a, "S") < ph),
                         p.phosphorus_fragment_or_loss, 0.0)
        alkali = (_count(losses, a, "Na") + _count(losses, a, "K")) > 0
        s = s + np.where(alkali, p.alkali_loss, 0.0)
        s = s + np.where(np.isfinite(self._strange.get(keys)), p.strange_element_loss, 0.0)
        return s

    def chemical_edge(self, prior_parent: np.ndarray, prior_child: np.ndarray, child_mass: np.ndarray) -> np.ndarray:
        """min(0, prior(child) - prior(parent)) - normalisation for children of at least 100 Da."""
        p = self.params
        pc = np.maximum(prior_child, p.chem_prior_floor)
        pp = np.maximum(prior_parent, p.chem_prior_floor)
        return np.where(child_mass >= p.chem_edge_min_mass, np.minimum(0.0, pc - pp) - p.chem_edge_norm, 0.0)


# --- compiled edge scoring (used when graphs are built per candidate) ---------------------------
# Scalar parameter vector layout for loss_score_kernel.
_P_FIELDS = ("loss_mu", "loss_sigma2", "loss_norm", "common_loss_norm", "radical_penalty", "known_radical",
             "radical_norm", "negative_rdbe_per_unit", "negative_rdbe_floor", "pure_cn_loss",
             "phosphorus_fragment_or_loss", "alkali_loss", "strange_element_loss", "chem_edge_norm",
             "chem_edge_min_mass", "chem_prior_floor")


@nb.njit(cache=True, inline="always")
def _lookup(keys, scores, key):
    if keys.shape[0] == 0:
        return np.nan
    i = np.searchsorted(keys, key)
    if i < keys.shape[0] and keys[i] == key:
        return scores[i]
    return np.nan


@nb.njit(cache=True, inline="always")
def loss_score_kernel(loss, masses, vm2, idx, pv, tabs_keys, tabs_scores):
    """Score of one loss (count vector). ``idx`` = element columns of C, N, O, P, S, Na, K, Cl
    (-1 if absent); ``pv`` = parameters in _P_FIELDS order; tables: 0 common, 1 recombined,
    2 implausible, 3 known radicals, 4 hetero-element losses."""
    k = loss.shape[0]
    mass = 0.0
    dr = 2
    key = np.int64(0)
    total = 0
    for j in range(k):
        mass += loss[j] * masses[j]
        dr += loss[j] * vm2[j]
        key = key * np.int64(1_000_003) + np.int64(loss[j] + 1)
        total += loss[j]
    m = max(mass, 1e-9)
    lm = math.log(m) - pv[0]
    dens = math.exp(-lm * lm / (2 * pv[1])) / (m * math.sqrt(pv[1]) * math.sqrt(2 * math.pi))
    s = math.log(max(dens, 1e-12)) - pv[2]
    bonus = _lookup(tabs_keys[0], tabs_scores[0], key)
    if np.isnan(bonus):
        bonus = _lookup(tabs_keys[1], tabs_scores[1], key)
    impl = _lookup(tabs_keys[2], tabs_scores[2], key)
    if not np.isnan(impl):
        bonus = impl
    if np.isnan(bonus):
        bonus = 0.0
    s += bonus - pv[3]
    if dr % 2 != 0:
        s += pv[5] if not np.isnan(_lookup(tabs_keys[3], tabs_scores[3], key)) else pv[4]
    s -= pv[6]
    if dr < 0:
        s += max(pv[7] * abs(dr), pv[8])
    c = loss[idx[0]] if idx[0] >= 0 else 0
    n = loss[idx[1]] if idx[1] >= 0 else 0
    o = loss[idx[2]] if idx[2] >= 0 else 0
    p = loss[idx[3]] if idx[3] >= 0 else 0
    sul = loss[idx[4]] if idx[4] >= 0 else 0
    na = loss[idx[5]] if idx[5] >= 0 else 0
    kk = loss[idx[6]] if idx[6] >= 0 else 0
    cl = loss[idx[7]] if idx[7] >= 0 else 0
    cn = c + n
    other = total - cn
    if cn > 0 and (other == 0 or (other == 1 and cl + kk + na == 1)):
        s += pv[9]
    if p > 0 and o < p and sul < p:
        s += pv[10]
    if na + kk > 0:
        s += pv[11]
    if not np.isnan(_lookup(tabs_keys[4], tabs_scores[4], key)):
        s += pv[12]
    return s


@nb.njit(cache=True, inline="always")
def chemical_edge_kernel(prior_parent, prior_child, child_mass, pv):
    if child_mass < pv[14]:
        return 0.0
    return min(0.0, max(prior_child, pv[15]) - max(prior_parent, pv[15])) - pv[13]


def kernel_args(scorer: "EdgeScorer"):
    """Arguments of :func:`loss_score_kernel` for an :class:`EdgeScorer`."""
    a, p = scorer.alphabet, scorer.params
    idx = np.array([a.index(e) if e in a.elements else -1 for e in ("C", "N", "O", "P", "S", "Na", "K", "Cl")],
                   dtype=np.int64)
    pv = np.array([getattr(p, f) for f in _P_FIELDS], dtype=np.float64)
    tabs = (scorer._common, scorer._recombined, scorer._implausible, scorer._radical, scorer._strange)
    keys = tuple(t.keys.astype(np.int64) for t in tabs)
    scores = tuple(t.scores.astype(np.float64) for t in tabs)
    return a.masses, (a.valences - 2).astype(np.int64), idx, pv, keys, scores
