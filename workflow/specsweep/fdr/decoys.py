"""Decoy fragmentation graphs: the target's graph with re-drawn fragment masses.

Decoys
------
molDiscovery estimates FDR by searching spectra against target fragmentation graphs and against
"randomly shuffled" copies of them (Cao et al. 2021, Methods, "Computing FDR"); the exact shuffle is
not published, so this is our own method. One decoy is made per target, at database build time:

1. The decoy keeps the target's graph exactly: same nodes, parents, bond-type codes and depths,
   and the same precursor mass (node 0). Only the masses of the other fragments change, so the
   scoring model (which looks at bond types, depth and the parent's peak rank) treats target and
   decoy alike, and a decoy is searched in the same precursor window as its target.
2. Nodes are visited parents first (by depth). A child's decoy mass is drawn from a *pool of real
   fragment masses* (the non-root fragments of a fixed sample of database molecules, duplicates
   kept, so common fragments are drawn as often as they occur). The draw is uniform among pool
   masses within ``window_da`` of ``f * P'``, where ``f = m_child / m_parent`` is the child's
   relative size in the target and ``P'`` is the parent's *decoy* mass; the window is clipped to
   ``[min_fragment_da, P' - min_fragment_da]`` so every decoy fragment is lighter than its decoy
   parent. (If no pool mass lies in the window, a uniform value in it is used; if the parent is
   too light for the window, ``f * P'``.)
3. The two pieces of one cut are complementary in the target (their masses add up to the
   parent's). Such pairs (same parent, same bond code, masses summing to the parent's within
   1e-6 Da) stay complementary: one side is drawn as in 2., the other gets ``P' - drawn``.
   Fragments with the same target mass (same composition, other atoms, e.g. the three N-methyl
   losses of caffeine) get the same decoy mass whenever it is lighter than their decoy parent,
   so a decoy has about as many distinct fragment masses as its target (more distinct masses
   would match more random peaks and make decoys score higher than wrong targets).
4. A draw is rejected and repeated (up to ``max_tries`` times; the last draw is kept) if the
   drawn mass, or its complement, lies within ``min_separation_da`` of any target fragment mass
   shifted by -2..+2 hydrogens; so the decoy does not reproduce the target's fragment ions under
   the hydrogen shifts the search allows. The second half of the tries draws uniformly in the
   window instead of from the pool (low-mass windows hold few distinct real masses, most of
   them also in the target). A reused or complementary mass (3.) is subject to the same test.
5. Randomness: a NumPy Generator seeded from ``(global seed, BLAKE2b hash of mol_id)``, so a
   molecule's decoy depends only on the seed, the pool and its own graph, never on which shard or
   in which order it is made. The pool is made from the molecules with the smallest
   ``BLAKE2b(seed, mol_id)`` (:func:`pool_molecule_indices`), so it too does not depend on
   sharding or input order.

Decoy masses are therefore sums and differences of real fragment masses: their mass defects are
plausible, and decoys of similar precursor mass look to a spectrum like unrelated real molecules,
which is what a decoy must imitate (a wrong target).
"""

from __future__ import annotations

import hashlib

import numpy as np
from numba import njit

from specsweep.chem.masses import HYDROGEN

METHOD = "pool-redraw-v1"


def mol_seed(seed: int, mol_id: str) -> np.random.SeedSequence:
    """Seed sequence for one molecule: the global seed and a 64-bit BLAKE2b hash of its id."""
    digest = hashlib.blake2b(mol_id.encode(), digest_size=8).digest()
    return np.random.SeedSequence([int(seed) & 0xFFFFFFFF, int.from_bytes(digest, "little")])


def pool_molecule_indices(mol_ids, n: int, seed: int = 0) -> np.ndarray:
    """Indices of the ``n`` molecules whose BLAKE2b(seed, mol_id) is smallest, ascending.

    The choice depends only on the set of ids and the seed, not on their order or sharding.
    """
    keys = np.array([int.from_bytes(hashlib.blake2b(f"{seed}:{m}".encode(), digest_size=8).digest(),
                                    "big") for m in mol_ids], dtype=np.uint64)
    n = min(int(n), keys.size)
    chosen = np.argsort(keys, kind="stable")[:n]
    return np.sort(chosen)


def build_pool(mass_arrays) -> np.ndarray:
    """Sorted float64 pool of the non-root fragment masses (index 1..) of the given graphs."""
    parts = [np.asarray(m, dtype=np.float64)[1:] for m in mass_arrays]
    pool = np.concatenate(parts) if parts else np.empty(0)
    pool = pool[np.isfinite(pool) & (pool > 0)]
    return np.sort(pool, kind="stable")


@njit(cache=True)
def _near(sorted_masses, x, tol):
    """True if some value of the ascending array lies within tol of x."""
    k = np.searchsorted(sorted_masses, x)
    if k < sorted_masses.size and sorted_masses[k] - x < tol:
        return True
    if k > 0 and x - sorted_masses[k - 1] < tol:
        return True
    return False


@njit(cache=True)
def _forbidden(sorted_masses, x, tol, offsets):
    for o in offsets:
        if _near(sorted_masses, x + o, tol):
            return True
    return False


@njit(cache=True)
def _complement_partners(mass, parent, bond):
    """partner[i] = j when i and j are the two pieces of one cut of the same parent, else -1."""
    n = mass.size
    partner = np.full(n, -1, np.int64)
    order = np.argsort(parent, kind="mergesort")
    start = 0
    while start < n:
        p = parent[order[start]]
        stop = start
        while stop < n and parent[order[stop]] == p:
            stop += 1
        if p >= 0:
            for a in range(start, stop):
                i = order[a]
                if partner[i] >= 0:
                    continue
                for b in range(a + 1, stop):
                    j = order[b]
                    if partner[j] < 0 and bond[j] == bond[i] and \
                            abs(mass[i] + mass[j] - mass[p]) < 1e-6:
                        partner[i] = j
                        partner[j] = i
                        break
        start = stop
    return partner


@njit(cache=True)
def _draw(center, lo, hi, pool, uniforms_i, target_sorted, offsets, min_separation_da, pd,
          paired):
    """A pool mass near ``center`` in [lo, hi], drawn again while it (or its complement
    ``pd - draw`` when ``paired``) would reproduce a target fragment ion. The second half of the
    tries draws uniformly in [lo, hi] instead (for crowded low-mass windows)."""
    if hi <= lo:
        return center
    a = np.searchsorted(pool, lo)
    b = np.searchsorted(pool, hi, side="right")
    cand = center
    half = (uniforms_i.size + 1) // 2
    for t in range(uniforms_i.size):
        u = uniforms_i[t]
        if b > a and t < half:
            cand = pool[min(a + int(u * (b - a)), b - 1)]
        else:
            cand = lo + u * (hi - lo)
        if _forbidden(target_sorted, cand, min_separation_da, offsets):
            continue
        if paired and _forbidden(target_sorted, pd - cand, min_separation_da, offsets):
            continue
        break
    return cand


@njit(cache=True)
def _decoy_kernel(mass, parent, order, partner, group, n_groups, pool, uniforms, target_sorted,
                  offsets, window_da, min_fragment_da, min_separation_da):
    n = mass.size
    out = np.empty(n)
    done = np.zeros(n, np.bool_)
    gval = np.full(n_groups, np.nan)   # decoy mass given to each distinct target mass
    for k in range(n):
        i = order[k]
        if done[i]:
            continue
        p = parent[i]
        if p < 0:
            out[i] = mass[i]
            gval[group[i]] = mass[i]
            done[i] = True
            continue
        pd = out[p]
        j = partner[i]
        v = gval[group[i]]
        vj = gval[group[j]] if j >= 0 else np.nan
        cand = np.nan
        if v == v and 0.0 < v < pd and (j < 0 or not _forbidden(
                target_sorted, pd - v, min_separation_da, offsets)):
            cand = v                      # same target mass as an earlier fragment: same decoy mass
        elif vj == vj and 0.0 < vj < pd and not _forbidden(
                target_sorted, pd - vj, min_separation_da, offsets):
            cand = pd - vj                # complement of an already mapped mass
        if cand != cand:
            frac = mass[i] / mass[p] if mass[p] > 0 else 0.5
            center = frac * pd
            lo = max(center - window_da, min_fragment_da)
            hi = min(center + window_da, pd - min_fragment_da)
            cand = _draw(center, lo, hi, pool, uniforms[i], target_sorted, offsets,
                         min_separation_da, pd, j >= 0)
        out[i] = cand
        done[i] = True
        if gval[group[i]] != gval[group[i]]:
            gval[group[i]] = cand
        if j >= 0:
            out[j] = pd - cand
            done[j] = True
            if gval[group[j]] != gval[group[j]]:
                gval[group[j]] = pd - cand
    return out


def make_decoy_masses(mass, parent, bond, depth, pool, rng, *, window_da: float = 25.0,
                      min_fragment_da: float = 12.0, min_separation_da: float = 0.02,
                      max_h_shift: int = 2, max_tries: int = 16) -> np.ndarray:
    """Decoy fragment masses (float64, Da) for one target fragmentation graph.

    ``mass`` float64 (index 0 = whole molecule), ``parent`` int (-1 for the root), ``bond`` int
    bond-type codes, ``depth`` int; ``pool``: ascending real fragment masses (:func:`build_pool`);
    ``rng``: a ``numpy.random.Generator`` or anything ``default_rng`` accepts. The result has the
    same length; the root keeps its mass; every other node gets a re-drawn mass below its decoy
    parent's (see the module docstring for the method). Graph shape, bond codes and depths are
    the target's and are not returned.
    """
    mass = np.ascontiguousarray(mass, dtype=np.float64)
    parent = np.ascontiguousarray(parent, dtype=np.int64)
    bond = np.ascontiguousarray(bond, dtype=np.int64)
    depth = np.ascontiguousarray(depth, dtype=np.int64)
    pool = np.ascontiguousarray(pool, dtype=np.float64)
    n = mass.size
    if not (parent.size == bond.size == depth.size == n):
        raise ValueError("mass, parent, bond and depth must have one entry per fragment")
    if n == 0:
        return mass.copy()
    if parent[0] != -1:
        raise ValueError("fragment 0 must be the root (parent -1)")
    if ((parent < -1) | (parent >= n)).any():
        raise ValueError("parent index out of range")
    if pool.size > 1 and (np.diff(pool) < 0).any():
        raise ValueError("pool must be sorted ascending")
    order = np.argsort(depth, kind="stable")
    has_parent = parent >= 0
    if (depth[has_parent] <= depth[parent[has_parent]]).any():
        raise ValueError("every fragment must be deeper than its parent")
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    uniforms = rng.random((n, max(1, int(max_tries))))
    offsets = np.arange(-max_h_shift, max_h_shift + 1, dtype=np.float64) * HYDROGEN
    partner = _complement_partners(mass, parent, bond)
    # fragments with equal target mass (different atoms, same composition) get one decoy mass
    target_sorted, group = np.unique(np.round(mass, 6), return_inverse=True)
    return _decoy_kernel(mass, parent, order, partner, group.astype(np.int64), target_sorted.size,
                         pool, uniforms, target_sorted, offsets, float(window_da),
                         float(min_fragment_da), float(min_separation_da))


class DecoyMaker:
    """Makes the decoy of each target with one pool and one global seed.

    >>> maker = DecoyMaker(pool, seed=0)
    >>> decoy_mass = maker.decoy(mol_id, fg.mass, fg.parent, fg.bond, fg.depth)
    """

    def __init__(self, pool, seed: int = 0, **options):
        self.pool = np.sort(np.asarray(pool, dtype=np.float64), kind="stable")
        if self.pool.size == 0:
            raise ValueError("decoy pool is empty: no fragment masses to draw from")
        self.seed = int(seed)
        self.options = options

    @classmethod
    def from_smiles(cls, mol_ids, smiles, params=None, seed: int = 0, n_pool_molecules: int = 2000,
                    **options) -> "DecoyMaker":
        """Pool from the fragment graphs of ``n_pool_molecules`` molecules chosen by
        :func:`pool_molecule_indices`, fragmented with the database's ``FragmentParams``."""
        from specsweep.fragment.graph import FragmentParams, fragment_smiles
        params = params or FragmentParams()
        idx = pool_molecule_indices(mol_ids, n_pool_molecules, seed)
        masses = []
        for i in idx:
            try:
                masses.append(fragment_smiles(smiles[i], params).mass)
            except ValueError:
                continue
        return cls(build_pool(masses), seed=seed, **options)

    def decoy(self, mol_id: str, mass, parent, bond, depth) -> np.ndarray:
        """Decoy fragment masses for target ``mol_id`` (same length as ``mass``)."""
        rng = np.random.default_rng(mol_seed(self.seed, mol_id))
        return make_decoy_masses(mass, parent, bond, depth, self.pool, rng, **self.options)

    def describe(self) -> dict:
        """Parameters to record in the database manifest."""
        h = hashlib.sha256(self.pool.tobytes()).hexdigest()
        return {"method": METHOD, "seed": self.seed, "pool_size": int(self.pool.size),
                "pool_sha256": h, **{k: v for k, v in sorted(self.options.items())}}
