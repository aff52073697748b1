"""Mass decomposition: every formula over an alphabet whose mass lies in an interval.

Masses are scaled to integers and decomposed with the round-robin extended residue table of
Böcker & Lipták ("A fast and simple algorithm for the money changing problem", Algorithmica 48,
2007; used for formulas in Böcker et al., "Decomposing metabolomic isotope patterns", WABI 2006).
Row r, column i of the table holds the smallest integer mass with residue r modulo the smallest
element mass that can be written with elements 0..i; a partial sum can be completed exactly
when it is at least that entry, so the search below only visits branches that lead to a
decomposition (before element bounds). Rounding errors of the integer masses are bounded per
element, so the integer interval is widened by them and every hit is checked with real masses.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numba as nb
import numpy as np

from specsweep.formula.alphabet import Alphabet
from specsweep.formula.rules import DecompositionRules

# Integer units per Da. 5963.337687 makes the integer rounding errors of C, H, N, O, P, S small
# (the value SIRIUS uses for its decomposer); any positive value gives correct results.
DEFAULT_BLOWUP = 5963.337687
_INF = np.iinfo(np.int64).max // 4

# rules in the kernel's element order (lightest first); see Decomposer._kernel_rules
KernelRules = namedtuple("KernelRules", [
    "prune", "even_parity", "element_ratios", "carbon", "ratio_max", "with_hydrogen", "inv_ratio",
    "h_per_carbon_min", "combo_idx", "combo_below", "combo_above", "combo_low", "best_gain",
    "rare", "max_rare"])


@nb.njit(cache=True)
def build_residue_table(int_masses: np.ndarray) -> np.ndarray:
    """Extended residue table (a0 rows x k columns) by the round-robin algorithm.

    ``int_masses[0]`` must be the smallest mass; it is the modulus a0.
    """
    k = int_masses.shape[0]
    a0 = int_masses[0]
    table = np.full((a0, k), _INF, dtype=np.int64)
    table[0, 0] = 0
    for i in range(1, k):
        ai = int_masses[i]
        for r in range(a0):
            table[r, i] = table[r, i - 1]
        d = math.gcd(a0, ai)
        for p in range(d):
            # smallest entry in residue class p (mod d): the round starts there
            n = _INF
            for q in range(p, a0, d):
                if table[q, i] < n:
                    n = table[q, i]
            if n >= _INF:
                continue
            for _ in range(a0 // d - 1):
                n = n + ai
                r = n % a0
                if table[r, i] < n:
                    n = table[r, i]
                else:
                    table[r, i] = n
    return table


@nb.njit(cache=True)
def _decompose_with_rules(int_lo, int_hi, int_masses, table, bounds, real_masses, lo, hi,
                          min_doubled_rdbe, valence_minus_two, order, out, n_out, steps, max_steps, rules):
    """Append to ``out`` (rows of counts in the caller's element order) every decomposition of
    each integer mass in [int_lo, int_hi] whose real mass lies in [lo, hi] and that passes
    ``rules`` (:func:`_rules_ok`; :meth:`Decomposer.no_rules` passes everything); ``out`` grows
    as needed. Returns (out, count). Integer masses are visited from the middle of the interval
    outwards; ``steps[0]`` counts the search steps, and once it exceeds ``max_steps`` the search
    stops after the current integer mass and ``steps[1]`` is set to 1 (the decompositions of the
    integer masses closest to the middle are complete).

    With ``rules.prune`` (internal order H = 0, C = 1), a partial formula (counts of elements
    i..k-1, integer mass ``m`` left for elements 0..i-1) is not extended when no completion can
    pass the rules: its doubled RDBE plus the best RDBE gain per mass among elements 0..i-1
    times ``m`` is below the minimum; or some element exceeds its maximum per carbon with all of
    ``m`` in carbon; or an element combination rule fails once all its elements are placed; or
    it already holds ``rules.max_rare`` distinct rare elements (then no further one). Each
    test only gets worse with more of element i, so it caps the count of element i where the
    search enters level i (:func:`_level_cap`; the steps themselves cost what they cost without
    rules). The carbon loop runs only over the counts that can pass the RDBE, H/C and
    element-per-carbon bounds (:func:`_carbon_range`)."""
    k = int_masses.shape[0]
    a0 = int_masses[0]
    c = np.zeros(k, dtype=np.int64)
    rem = np.zeros(k, dtype=np.int64)
    ub = bounds.copy()
    prune = rules.prune
    inv_ratio = rules.inv_ratio
    vm2 = valence_minus_two
    min_dr = min_doubled_rdbe - 1e-6
    dr_above = np.zeros(k)    # 2 + sum over j > i of c[j] * vm2[j]
    need_above = np.zeros(k)  # carbons needed by the per-carbon bounds of elements j > i
    hyd_above = np.zeros(k)   # halogens among elements j > i (count with hydrogen)
    rare_above = np.zeros(k, dtype=np.int64)  # distinct rare elements among elements j > i
    mid = (int_lo + int_hi) // 2
    for t in range(int_hi - int_lo + 1):
        if steps[0] > max_steps:
            steps[1] = 1
            break
        big = mid + (t + 1) // 2 if t % 2 else mid - t // 2
        if big < 0:
            continue
        if k == 1:
            if big % a0 == 0 and big // a0 <= bounds[0]:
                c[0] = big // a0
                out, n_out = _emit_checked(c, real_masses, lo, hi, min_doubled_rdbe, valence_minus_two,
                                           order, out, n_out, rules)
            continue
        if big < table[big % a0, k - 1]:
            continue
        i = k - 1
        rem[i] = big
        c[i] = -1
        dr_above[i] = 2.0
        need_above[i] = 0.0
        hyd_above[i] = 0.0
        rare_above[i] = 0
        if prune and i >= 2:
            ub[i] = min(bounds[i], _level_cap(c, i, big, int_masses, vm2, dr_above[i], need_above[i], min_dr, rules))
            if rules.rare[i] and rules.max_rare <= 0:
                ub[i] = 0
        while i < k:
            c[i] += 1
            steps[0] += 1
            m = rem[i] - c[i] * int_masses[i]
            if m < 0 or c[i] > ub[i]:
                i += 1
                continue
            if m < table[m % a0, i - 1]:
                continue  # the rest cannot be written with elements 0..i-1
            if i == 1:
                c0 = m // a0
                if c0 <= bounds[0]:
                    c[0] = c0
                    out, n_out = _emit_checked(c, real_masses, lo, hi, min_doubled_rdbe, valence_minus_two,
                                               order, out, n_out, rules)
                continue
            i -= 1
            rem[i] = m
            c[i] = -1
            if not prune:
                continue
            dr_above[i] = dr_above[i + 1] + c[i + 1] * vm2[i + 1]
            need_above[i] = max(need_above[i + 1], c[i + 1] * inv_ratio[i + 1])
            hyd_above[i] = hyd_above[i + 1] + c[i + 1] * rules.with_hydrogen[i + 1]
            rare_above[i] = rare_above[i + 1] + (1 if c[i + 1] > 0 and rules.rare[i + 1] else 0)
            if i >= 2:
                ub[i] = min(bounds[i], _level_cap(c, i, m, int_masses, vm2, dr_above[i], need_above[i], min_dr,
                                                  rules))
                if rules.rare[i] and rare_above[i] >= rules.max_rare:
                    ub[i] = 0   # one more rare element would break rule 4
            else:
                c_lo, c_hi = _carbon_range(m, int_masses, vm2, dr_above[1], need_above[1], hyd_above[1],
                                           min_doubled_rdbe, rules)
                c[1] = c_lo - 1
                ub[1] = min(bounds[1], c_hi)
    return out, n_out


@nb.njit(cache=True, inline="always")
def _level_cap(c, i, rest, int_masses, vm2, dr, need, min_dr, rules):
    """Largest count x of element i (i >= 2; internal order H = 0, C = 1) for which a completion
    of ``c[i+1:]``, x and elements 0..i-1 (integer mass ``rest`` left for x and them) may pass
    the rules; ``dr``: doubled RDBE of ``c[i+1:]`` plus 2, ``need``: carbons their per-carbon
    bounds need. Rounded up, so never too small (see :func:`_decompose_with_rules`)."""
    cap = float(1 << 60)
    mi = float(int_masses[i])
    # RDBE: dr + x * vm2_i + (rest - x * mi) * best_gain >= min_dr, when decreasing in x
    g = rules.best_gain[i]
    slope = mi * g - vm2[i]
    if slope > 0:
        cap = min(cap, (dr + rest * g - min_dr) / slope)
    if rules.element_ratios:
        mc = float(int_masses[1])
        # carbons (all of the rest at most) >= max(1, need, x / ratio_i)
        cap = min(cap, (rest - max(1.0, need) * mc) / mi)
        cap = min(cap, (rest / mc) / (rules.inv_ratio[i] + mi / mc))
        for n in range(rules.combo_low.shape[0]):
            if rules.combo_low[n] != i:
                continue  # decided where its lightest element is placed (its others are then known)
            others_above = True
            others_within = True
            lim_i = 0
            for q in range(rules.combo_idx.shape[1]):
                j = rules.combo_idx[n, q]
                if j == i:
                    lim_i = rules.combo_below[n, q]
                elif j >= 0:
                    others_above = others_above and c[j] > rules.combo_above[n]
                    others_within = others_within and c[j] < rules.combo_below[n, q]
            if others_above:  # the rule applies from x > above on and fails where x breaks it too
                fail_from = rules.combo_above[n] + 1 if not others_within else max(rules.combo_above[n] + 1, lim_i)
                cap = min(cap, float(fail_from - 1))
    if cap < -1.0:
        return -1
    return int(math.floor(cap + 1e-6))


@nb.njit(cache=True, inline="always")
def _carbon_range(m, int_masses, vm2, dr, need, hyd, min_dr, rules):
    """Carbon counts (internal index 1; hydrogen, index 0, fills the rest of the integer mass
    ``m``) that can pass the RDBE and element-ratio rules given the other elements (their
    doubled RDBE ``dr``, carbons ``need``-ed by their per-carbon bounds, halogens ``hyd``);
    slightly wide, never narrow (every formula emitted is checked by :func:`_rules_ok`)."""
    mh, mc = float(int_masses[0]), float(int_masses[1])
    h_all = m / mh  # hydrogens if there were no carbon
    lo = 0.0
    # dr + vm2_C * C + vm2_H * (m - C * mc) / mh >= min_dr
    gain = vm2[1] - vm2[0] * mc / mh
    if gain > 0 and min_dr > -(1 << 39):
        lo = max(lo, (min_dr - dr - vm2[0] * h_all) / gain)
    hi = m / mc
    if rules.element_ratios:
        lo = max(lo, 1.0, need)
        # H <= ratio_max_H * C
        lo = max(lo, m / (mh * rules.ratio_max[0] + mc))
        # H + halogens >= h_min * C
        hi = min(hi, (h_all + hyd) / (rules.h_per_carbon_min + mc / mh))
    c_lo = max(0, int(math.floor(lo - 1e-6)))
    c_hi = int(math.ceil(hi + 1e-6))
    return c_lo, c_hi


@nb.njit(cache=True, inline="always")
def _rules_ok(c, dr, rules):
    """Every rule of :func:`specsweep.formula.rules.plausible_mask` (internal order; ``dr``: the
    doubled RDBE, its lower bound is checked by the caller)."""
    if rules.even_parity and dr % 2 != 0:
        return False
    if rules.max_rare < c.shape[0]:   # a bound that can bind (not the plain decomposition's)
        n_rare = 0
        for j in range(c.shape[0]):
            if c[j] > 0 and rules.rare[j]:
                n_rare += 1
        if n_rare > rules.max_rare:
            return False
    if not rules.element_ratios:
        return True
    carbons = float(c[rules.carbon]) if rules.carbon >= 0 else 0.0
    if carbons < 1:
        return False
    h = 0
    for j in range(c.shape[0]):
        h += c[j] * rules.with_hydrogen[j]
    if not h >= rules.h_per_carbon_min * carbons:
        return False
    for j in range(c.shape[0]):
        if not c[j] <= rules.ratio_max[j] * carbons + 1e-9:
            return False
    for n in range(rules.combo_low.shape[0]):
        applies = True
        within = True
        for q in range(rules.combo_idx.shape[1]):
            j = rules.combo_idx[n, q]
            if j >= 0:
                applies = applies and c[j] > rules.combo_above[n]
                within = within and c[j] < rules.combo_below[n, q]
        if applies and not within:
            return False
    return True


@nb.njit(cache=True)
def _emit_checked(c, real_masses, lo, hi, min_doubled_rdbe, valence_minus_two, order, out, n_out, rules):
    """Append the formula ``c`` (internal order) to ``out`` in the caller's element order when its
    mass lies in [lo, hi], its doubled RDBE reaches the minimum and it passes ``rules``; grows
    ``out`` (twice the rows) when full. Returns (out, count)."""
    mass = 0.0
    dr = 2
    for j in range(c.shape[0]):
        mass += c[j] * real_masses[j]
        dr += c[j] * valence_minus_two[j]
    if mass < lo or mass > hi or dr < min_doubled_rdbe:
        return out, n_out
    if not _rules_ok(c, dr, rules):
        return out, n_out
    if n_out >= out.shape[0]:  # full: twice the rows (no second search)
        grown = np.zeros((2 * out.shape[0], out.shape[1]), dtype=out.dtype)
        grown[:n_out] = out[:n_out]
        out = grown
    for j in range(c.shape[0]):
        out[n_out, order[j]] = c[j]
    return out, n_out + 1


class Decomposer:
    """Decompose masses over one alphabet; the residue table is built once.

    >>> d = Decomposer(Alphabet.parse("CHNOPS"))
    >>> rows = d.decompose(18.010565 - 1e-5, 18.010565 + 1e-5)   # H2O
    """

    def __init__(self, alphabet: Alphabet, blowup: float = DEFAULT_BLOWUP):
        self.alphabet = alphabet
        masses = alphabet.masses
        # internal order: lightest element first (it is the table modulus)
        self._order = np.argsort(masses, kind="stable").astype(np.int64)
        self._masses = masses[self._order]
        self._int_masses = np.round(self._masses * blowup).astype(np.int64)
        if np.any(self._int_masses <= 0):
            raise ValueError("blowup too small for this alphabet")
        self._bounds = alphabet.bound_array[self._order]
        self._vm2 = (alphabet.valences - 2)[self._order]
        rel_err = (self._int_masses - self._masses * blowup) / (self._masses * blowup)
        self._err_lo = min(0.0, float(rel_err.min()))
        self._err_hi = max(0.0, float(rel_err.max()))
        self.blowup = blowup
        self._table = build_residue_table(self._int_masses)
        self._no_rules = self.no_rules(len(self._order))

    @staticmethod
    def no_rules(k: int) -> KernelRules:
        """Kernel rules that keep every formula and prune nothing (plain decomposition)."""
        none = np.zeros((0, 4), dtype=np.int64)
        return KernelRules(prune=False, even_parity=False, element_ratios=False, carbon=-1,
                           ratio_max=np.full(k, np.inf), with_hydrogen=np.zeros(k, dtype=np.int64),
                           inv_ratio=np.zeros(k), h_per_carbon_min=0.0, combo_idx=none, combo_below=none,
                           combo_above=np.zeros(0, dtype=np.int64), combo_low=np.zeros(0, dtype=np.int64),
                           best_gain=np.zeros(k), rare=np.zeros(k, dtype=np.int64), max_rare=1 << 30)

    def decompose(self, lo: float, hi: float, min_rdbe: float = -math.inf,
                  max_counts: np.ndarray | None = None) -> np.ndarray:
        """All formulas with mass in [lo, hi] Da and RDBE >= min_rdbe, as an (n, k) int64 array
        in the alphabet's element order, sorted by mass then counts (deterministic).
        ``max_counts`` (alphabet order) tightens the alphabet's element bounds for this call."""
        return self.decompose_within(lo, hi, min_rdbe, max_counts)[0]

    def _kernel_rules(self, rules: DecompositionRules) -> KernelRules:
        """``rules`` in internal order. Pruning needs hydrogen and carbon as the two lightest
        elements (internal 0 and 1); without them the rules are only checked on emitted formulas."""
        k = len(self._order)
        els = [self.alphabet.elements[j] for j in self._order]
        vm2 = self._vm2.astype(np.float64)
        gain = np.zeros(k)  # best doubled-RDBE gain per integer mass among elements 0..i-1
        for i in range(1, k):
            gain[i] = max(0.0, float(np.max(vm2[:i] / self._int_masses[:i])))
        n = len(rules.combinations)
        idx = np.full((n, 4), -1, dtype=np.int64)
        below = np.zeros((n, 4), dtype=np.int64)
        above = np.zeros(n, dtype=np.int64)
        low = np.zeros(n, dtype=np.int64)
        inverse = np.argsort(self._order)  # alphabet index -> internal index
        for q, (elements, ab, lims) in enumerate(rules.combinations):
            for p, (j, lim) in enumerate(zip(elements, lims)):
                idx[q, p], below[q, p] = inverse[j], lim
            above[q] = ab
            low[q] = min(inverse[j] for j in elements)
        ratio = np.asarray(rules.ratio_max, dtype=np.float64)[self._order]
        return KernelRules(
            prune=els[:2] == ["H", "C"], even_parity=rules.even_parity, element_ratios=rules.element_ratios,
            carbon=els.index("C") if "C" in els else -1, ratio_max=ratio,
            with_hydrogen=np.asarray(rules.with_hydrogen, dtype=np.int64)[self._order],
            inv_ratio=np.where(np.isfinite(ratio), 1.0 / ratio, 0.0), h_per_carbon_min=float(rules.h_per_carbon_min),
            combo_idx=idx, combo_below=below, combo_above=above, combo_low=low, best_gain=gain,
            rare=np.asarray(rules.rare, dtype=np.int64)[self._order], max_rare=int(rules.max_rare))

    def decompose_within(self, lo: float, hi: float, min_rdbe: float = -math.inf,
                         max_counts: np.ndarray | None = None, max_steps: int = 1 << 62,
                         rules: DecompositionRules | None = None) -> tuple[np.ndarray, bool]:
        """:meth:`decompose` within a work budget of ``max_steps`` search steps (a count, so the
        result does not depend on the machine). Returns (formulas, cut): when the budget is
        spent, ``cut`` is True and the formulas are those of the integer masses nearest the
        middle of the (widened) integer interval that were finished. Integer rounding errors
        differ between elements, so this is not the same as the smallest real mass errors.

        ``rules`` (:func:`specsweep.formula.rules.decomposition_rules`): only formulas that pass
        them are returned (the same rows as filtering with :func:`~specsweep.formula.rules.
        plausible_mask` afterwards), and partial formulas that cannot pass them are not
        extended, which saves most of the search for heavy masses over many elements."""
        if hi < 0 or hi < lo:
            return np.zeros((0, len(self.alphabet.elements)), dtype=np.int64), False
        lo = max(lo, 0.0)
        int_lo = int(math.floor(lo * self.blowup * (1.0 + self._err_lo))) - 1
        int_hi = int(math.ceil(hi * self.blowup * (1.0 + self._err_hi))) + 1
        min_dr = -(1 << 40) if math.isinf(min_rdbe) else int(math.ceil(2 * min_rdbe - 1e-9))
        if rules is not None:
            min_dr = max(min_dr, rules.min_doubled_rdbe)
        bounds = self._bounds
        if max_counts is not None:
            bounds = np.minimum(bounds, np.asarray(max_counts, dtype=np.int64)[self._order])
        steps = np.zeros(2, dtype=np.int64)
        out = np.zeros((4096 if rules is not None else 256, len(self._order)), dtype=np.int64)
        out, n = _decompose_with_rules(int_lo, int_hi, self._int_masses, self._table, bounds, self._masses,
                                       lo, hi, min_dr, self._vm2, self._order, out, 0, steps, int(max_steps),
                                       self._kernel_rules(rules) if rules is not None else self._no_rules)
        out = out[:n]
        mass = out @ self.alphabet.masses
        idx = np.lexsort(tuple(out[:, j] for j in range(out.shape[1] - 1, -1, -1)) + (mass,))
        self.last_steps = int(steps[0])
        return out[idx], bool(steps[1])


def brute_force_decompose(alphabet: Alphabet, lo: float, hi: float) -> np.ndarray:
    """Reference decomposition by nested enumeration (slow; for tests and benchmarks only)."""
    masses = alphabet.masses
    bounds = alphabet.bound_array
    k = len(masses)
    found = []
    c = [0] * k

    def rec(i, mass):
        if i == k:
            if lo <= mass <= hi:
                found.append(list(c))
            return
        n = 0
        while mass + n * masses[i] <= hi and n <= bounds[i]:
            c[i] = n
            rec(i + 1, mass + n * masses[i])
            n += 1
        c[i] = 0

    rec(0, 0.0)
    arr = np.array(found, dtype=np.int64).reshape(-1, k)
    mass = arr @ masses
    idx = np.lexsort(tuple(arr[:, j] for j in range(k - 1, -1, -1)) + (mass,))
    return arr[idx]
