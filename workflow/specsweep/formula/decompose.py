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

import numba as nb
import numpy as np

from specsweep.formula.alphabet import Alphabet

# Integer units per Da. 5963.337687 makes the integer rounding errors of C, H, N, O, P, S small
# (the value SIRIUS uses for its decomposer); any positive value gives correct results.
DEFAULT_BLOWUP = 5963.337687
_INF = np.iinfo(np.int64).max // 4


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
def _decompose_integer_range(int_lo, int_hi, int_masses, table, bounds, real_masses, lo, hi,
                             min_doubled_rdbe, valence_minus_two, order, out, n_out, steps, max_steps):
    """Append to ``out`` (rows of counts in the caller's element order) every decomposition of
    each integer mass in [int_lo, int_hi] whose real mass lies in [lo, hi]; return the count
    (-1: ``out`` is full). Integer masses are visited from the middle of the interval outwards;
    ``steps[0]`` counts the search steps, and once it exceeds ``max_steps`` the search stops
    after the current integer mass and ``steps[1]`` is set to 1 (the decompositions of the
    integer masses closest to the middle are complete)."""
    k = int_masses.shape[0]
    a0 = int_masses[0]
    c = np.zeros(k, dtype=np.int64)
    rem = np.zeros(k, dtype=np.int64)
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
                n_out = _emit(c, real_masses, lo, hi, min_doubled_rdbe, valence_minus_two,
                              order, out, n_out)
                if n_out < 0:
                    return -1
            continue
        if big < table[big % a0, k - 1]:
            continue
        i = k - 1
        rem[i] = big
        c[i] = -1
        while i < k:
            c[i] += 1
            steps[0] += 1
            m = rem[i] - c[i] * int_masses[i]
            if m < 0 or c[i] > bounds[i]:
                i += 1
                continue
            if m < table[m % a0, i - 1]:
                continue  # the rest cannot be written with elements 0..i-1
            if i == 1:
                c0 = m // a0
                if c0 <= bounds[0]:
                    c[0] = c0
                    n_out = _emit(c, real_masses, lo, hi, min_doubled_rdbe, valence_minus_two,
                                  order, out, n_out)
                    if n_out < 0:
                        return -1
                continue
            i -= 1
            rem[i] = m
            c[i] = -1
    return n_out


@nb.njit(cache=True)
def _emit(c, real_masses, lo, hi, min_doubled_rdbe, valence_minus_two, order, out, n_out):
    mass = 0.0
    dr = 2
    for j in range(c.shape[0]):
        mass += c[j] * real_masses[j]
        dr += c[j] * valence_minus_two[j]
    if mass < lo or mass > hi or dr < min_doubled_rdbe:
        return n_out
    if n_out >= out.shape[0]:
        return -1  # buffer full: caller grows it and repeats
    for j in range(c.shape[0]):
        out[n_out, order[j]] = c[j]
    return n_out + 1


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

    def decompose(self, lo: float, hi: float, min_rdbe: float = -math.inf,
                  max_counts: np.ndarray | None = None) -> np.ndarray:
        """All formulas with mass in [lo, hi] Da and RDBE >= min_rdbe, as an (n, k) int64 array
        in the alphabet's element order, sorted by mass then counts (deterministic).
        ``max_counts`` (alphabet order) tightens the alphabet's element bounds for this call."""
        return self.decompose_within(lo, hi, min_rdbe, max_counts)[0]

    def decompose_within(self, lo: float, hi: float, min_rdbe: float = -math.inf,
                         max_counts: np.ndarray | None = None, max_steps: int = 1 << 62
                         ) -> tuple[np.ndarray, bool]:
        """:meth:`decompose` within a work budget of ``max_steps`` search steps (a count, so the
        result does not depend on the machine). Returns (formulas, cut): when the budget is
        spent, ``cut`` is True and the formulas are those of the integer masses nearest the
        middle of the (widened) integer interval that were finished. Integer rounding errors
        differ between elements, so this is not the same as the smallest real mass errors."""
        if hi < 0 or hi < lo:
            return np.zeros((0, len(self.alphabet.elements)), dtype=np.int64), False
        lo = max(lo, 0.0)
        int_lo = int(math.floor(lo * self.blowup * (1.0 + self._err_lo))) - 1
        int_hi = int(math.ceil(hi * self.blowup * (1.0 + self._err_hi))) + 1
        min_dr = -(1 << 40) if math.isinf(min_rdbe) else int(math.ceil(2 * min_rdbe - 1e-9))
        bounds = self._bounds
        if max_counts is not None:
            bounds = np.minimum(bounds, np.asarray(max_counts, dtype=np.int64)[self._order])
        size = 256
        while True:
            out = np.zeros((size, len(self._order)), dtype=np.int64)
            steps = np.zeros(2, dtype=np.int64)
            n = _decompose_integer_range(int_lo, int_hi, self._int_masses, self._table, bounds,
                                         self._masses, lo, hi, min_dr, self._vm2, self._order, out, 0,
                                         steps, int(max_steps))
            if n >= 0:
                break
            size *= 4
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
