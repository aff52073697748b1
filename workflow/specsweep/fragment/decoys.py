"""Decoy fragmentation graphs: the target's graph with re-drawn fragment masses.

Decoys
------
molDiscovery estimates FDR by searching spectra against target fragmentation graphs and against
"randomly shuffled" copies of them (Cao et al. 2021, Methods, "Computing FDR"); the exact shuffle is
not published, so this is our own method. One decoy is made per target, at database build time.
A decoy must look, to a spectrum, like a *wrong* target of the same precursor mass; in a natural
product database those are mostly isomers that share part of the true compound's fragments.

1. The decoy keeps the target's graph exactly: same nodes, parents, bond-type codes and depths,
   and the same precursor mass (node 0). Only the masses of the other fragments change, so the
   scoring model (bond types, depth, the parent's peak rank) treats target and decoy alike, and a
   decoy is searched in the same precursor window as its target.
2. Every cut splits a parent of mass ``P`` into a child and the rest; its *smaller piece*
   (``min(child, P - child)``) is a recurring group: a small fragment such as a phenyl, or a
   neutral loss such as water or a hexose. Nodes are visited parents first (by depth). For each
   child, a smaller piece is drawn uniformly from a *pool of real smaller pieces* lying within
   ``window_da`` (default 5 Da) of the target's own smaller piece, and clipped to
   ``[min_fragment_da, P'/2]`` where ``P'`` is the parent's decoy mass. The decoy child is the
   drawn piece if the child was the smaller piece in the target, else ``P' - piece``; so every
   decoy fragment is lighter than its decoy parent, and common losses (``P' - H2O``) and common
   small fragments occur in decoys about as often as in real molecules. (No pool piece in the
   window: a uniform value in it; window empty: ``P'/2``.)
3. The pool: the smaller pieces of the molecule's *isomers* (other database molecules with the
   same formula, :func:`isomer_pools`), so a decoy shares fragments with the compounds in its
   precursor window about as much as an isomer does; for a molecule without isomers, the pieces
   of a fixed sample of database molecules (:meth:`DecoyMaker.from_smiles`). Pools keep
   duplicates, so frequent pieces are drawn as often as they occur.
4. The two pieces of one cut stay complementary (same parent, same bond code, masses summing to
   the parent's within 1e-6 Da in the target): the second gets ``P' - first``. Fragments with the
   same target mass share one decoy mass whenever it is lighter than their decoy parent, so a
   decoy has about as many distinct fragment masses as its target (more would match more random
   peaks).
5. A decoy never has its target's fragment mass set. Its masses come from other molecules, but
   a small molecule whose isomers fragment alike can draw back exactly its own set; then the
   decoy is drawn again with separation: draws within ``RESCUE_SEPARATION_DA`` (0.02 Da) of any
   target fragment mass shifted by -2..+2 H are redrawn (up to ``max_tries``, the second half
   uniform in the window). ``min_separation_da > 0`` applies that rule to every decoy; it is off
   by default because it makes decoys weaker than wrong targets (benchmarks/RESULTS.md, "fdr").
6. Randomness: a NumPy Generator seeded from ``(global seed, BLAKE2b hash of mol_id)``. A
   molecule's decoy depends only on the seed, its graph and its pool (its isomers, which share
   its exact mass and so its shard), never on shard layout or processing order. The fallback pool
   comes from the molecules with the smallest ``BLAKE2b(seed, mol_id)``
   (:func:`pool_molecule_indices`).
"""

from __future__ import annotations

import hashlib

import numpy as np
from numba import njit

from specsweep.chem.masses import HYDROGEN

METHOD = "piece-redraw-v2"
RESCUE_SEPARATION_DA = 0.02


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


def cut_pieces(mass, parent) -> np.ndarray:
    """Mass of the smaller piece of every cut of a graph: min(child, parent - child), Da.

    The smaller piece is a fragment (e.g. a phenyl) or a neutral loss (e.g. water, a hexose);
    either way it is the part of a cut that recurs across molecules."""
    mass = np.asarray(mass, dtype=np.float64)
    parent = np.asarray(parent)
    child = mass[1:]
    return np.minimum(child, mass[parent[1:]] - child)


def build_pool(graphs) -> np.ndarray:
    """Sorted float64 pool of the smaller cut pieces (:func:`cut_pieces`) of the given graphs,
    each given as ``(mass, parent)`` or an object with ``.mass`` and ``.parent``."""
    parts = []
    for g in graphs:
        mass, parent = (g.mass, g.parent) if hasattr(g, "mass") else g
        parts.append(cut_pieces(mass, parent))
    pool = np.concatenate(parts) if parts else np.empty(0)
    pool = pool[np.isfinite(pool) & (pool > 0)]
    return np.sort(pool, kind="stable")


def isomer_pools(group_keys, graphs):
    """For each molecule, the sorted cut pieces of the *other* molecules with the same key.

    ``group_keys``: one key per molecule (the molecular formula, so the group is the molecule's
    isomers, which share its precursor window); ``graphs``: ``(mass, parent)`` pairs or objects
    with ``.mass`` and ``.parent``, same order. Yields one float64 array per molecule, in input
    order; empty when the molecule has no isomer (then :class:`DecoyMaker` uses its own pool).
    Isomers have one exact mass, so they always fall in the same mass shard.
    """
    graphs = list(graphs)
    keys = list(group_keys)
    members: dict = {}
    for i, k in enumerate(keys):
        members.setdefault(k, []).append(i)
    cache: dict = {}
    for i, k in enumerate(keys):
        group = members[k]
        if len(group) == 1:
            yield np.empty(0)
            continue
        if k not in cache:
            cache.clear()
            pieces = []
            owner = []
            for j in group:
                g = graphs[j]
                mass, parent = (g.mass, g.parent) if hasattr(g, "mass") else g
                pc = cut_pieces(mass, parent)
                pieces.append(pc)
                owner.append(np.full(pc.size, j, np.int64))
            pieces = np.concatenate(pieces)
            owner = np.concatenate(owner)
            order = np.argsort(pieces, kind="stable")
            cache[k] = (pieces[order], owner[order])
        sorted_pieces, owner = cache[k]
        yield sorted_pieces[owner != i]


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
          paired, small_child=True):
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
        if min_separation_da <= 0.0:
            break
        child = cand if small_child else pd - cand
        if _forbidden(target_sorted, child, min_separation_da, offsets):
            continue
        if paired and _forbidden(target_sorted, pd - child, min_separation_da, offsets):
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
            # draw the smaller piece of the cut from real pieces of similar size
            piece = min(mass[i], mass[p] - mass[i])
            small_child = mass[i] <= mass[p] - mass[i]
            lo = max(piece - window_da, min_fragment_da)
            hi = min(piece + window_da, 0.5 * pd)
            center = min(max(piece, lo), hi) if hi > lo else 0.5 * pd
            drawn = _draw(center, lo, hi, pool, uniforms[i], target_sorted, offsets,
                          min_separation_da, pd, True, small_child)
            cand = drawn if small_child else pd - drawn
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


def make_decoy_masses(mass, parent, bond, depth, pool, rng, *, window_da: float = 5.0,
                      min_fragment_da: float = 12.0, min_separation_da: float = 0.0,
                      max_h_shift: int = 2, max_tries: int = 16) -> np.ndarray:
    """Decoy fragment masses (float64, Da) for one target fragmentation graph.

    ``mass`` float64 (index 0 = whole molecule), ``parent`` int (-1 for the root), ``bond`` int
    bond-type codes, ``depth`` int; ``pool``: ascending real smaller cut pieces, Da
    (:func:`build_pool`, :func:`isomer_pools`);
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
    group = group.astype(np.int64)
    out = _decoy_kernel(mass, parent, order, partner, group, target_sorted.size, pool, uniforms,
                        target_sorted, offsets, float(window_da), float(min_fragment_da),
                        float(min_separation_da))
    if n > 1 and same_mass_set(out, mass):
        # the draws gave back the target's own masses (small molecules whose isomers fragment
        # alike): draw again, away from the target's fragment ions
        out = _decoy_kernel(mass, parent, order, partner, group, target_sorted.size, pool,
                            uniforms, target_sorted, offsets, float(window_da),
                            float(min_fragment_da), max(float(min_separation_da), RESCUE_SEPARATION_DA))
    return out


def same_mass_set(a, b, resolution_da: float = 1e-3) -> bool:
    """True if two graphs have the same set of distinct non-root fragment masses (at 1 mDa)."""
    ua = np.unique(np.round(np.asarray(a)[1:] / resolution_da))
    ub = np.unique(np.round(np.asarray(b)[1:] / resolution_da))
    return bool(np.array_equal(ua, ub))


class DecoyMaker:
    """Makes the decoy of each target with one pool and one global seed.

    >>> maker = DecoyMaker.from_smiles(all_mol_ids, all_smiles, params, seed=0)
    >>> for decoy_mass in maker.decoys(shard_mol_ids, shard_formulas, shard_graphs): ...
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
                masses.append(fragment_smiles(smiles[i], params))
            except ValueError:
                continue
        return cls(build_pool(masses), seed=seed, **options)

    def decoy(self, mol_id: str, mass, parent, bond, depth, pool=None) -> np.ndarray:
        """Decoy fragment masses for target ``mol_id`` (same length as ``mass``).

        ``pool``: ascending cut pieces to draw from for this molecule (its isomers' pieces,
        :func:`isomer_pools`); None or empty: the maker's own pool."""
        rng = np.random.default_rng(mol_seed(self.seed, mol_id))
        use = self.pool if pool is None or len(pool) == 0 else pool
        return make_decoy_masses(mass, parent, bond, depth, use, rng, **self.options)

    def decoys(self, mol_ids, formulas, graphs):
        """Decoy masses for a batch of targets, in order, each drawn from its isomers' pieces.

        The batch must hold every database molecule of the formulas it contains (a whole mass
        shard does: isomers share one exact mass), else decoys would depend on the batching.
        ``graphs``: FragmentGraph objects (``.mass``, ``.parent``, ``.bond``, ``.depth``).
        """
        graphs = list(graphs)
        for mol_id, fg, pool in zip(mol_ids, graphs, isomer_pools(formulas, graphs)):
            yield self.decoy(mol_id, fg.mass, fg.parent, fg.bond, fg.depth, pool=pool)

    def describe(self) -> dict:
        """Parameters to record in the database manifest (every option, defaults included)."""
        import inspect
        h = hashlib.sha256(self.pool.tobytes()).hexdigest()
        options = {name: p.default for name, p in inspect.signature(make_decoy_masses).parameters.items()
                   if p.kind is inspect.Parameter.KEYWORD_ONLY}
        options.update(self.options)
        return {"method": METHOD, "seed": self.seed, "pool_size": int(self.pool.size),
                "pool_sha256": h, "rescue_separation_da": RESCUE_SEPARATION_DA,
                **dict(sorted(options.items()))}
