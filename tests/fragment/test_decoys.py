"""Decoy fragmentation graphs: reproducible, same shape and precursor, other fragment masses."""

import csv

import numpy as np
import pytest

from specsweep.chem.masses import HYDROGEN
from specsweep.fragment.decoys import (DecoyMaker, build_pool, cut_pieces, isomer_pools,
                                  make_decoy_masses, mol_seed, pool_molecule_indices,
                                  same_mass_set)

# a small hand-made graph: root 300 cut into two complementary pieces, each cut again
MASS = np.array([300.1, 200.05, 100.05, 150.02, 50.03, 80.0])
PARENT = np.array([-1, 0, 0, 1, 1, 2])
BOND = np.array([0, 1, 1, 3, 3, 2])
DEPTH = np.array([0, 1, 1, 2, 2, 2])
POOL = np.sort(np.random.default_rng(7).uniform(12.0, 600.0, 20000))


def ion_distance(decoy, target):
    """Distance of each non-root decoy mass to the nearest target fragment mass shifted by -2..+2 H."""
    shifted = np.sort((np.unique(target[1:])[:, None] + np.arange(-2, 3) * HYDROGEN).ravel())
    d = decoy[1:]
    k = np.searchsorted(shifted, d)
    lo = np.abs(d - shifted[np.clip(k - 1, 0, shifted.size - 1)])
    hi = np.abs(shifted[np.clip(k, 0, shifted.size - 1)] - d)
    return np.minimum(lo, hi)


def test_array_graph_shape_precursor_and_order():
    d = make_decoy_masses(MASS, PARENT, BOND, DEPTH, POOL, 1)
    assert d.shape == MASS.shape and d.dtype == np.float64
    assert d[0] == MASS[0]
    assert (d[1:] > 0).all() and (d[1:] < d[PARENT[1:]]).all(), "child lighter than decoy parent"
    # 1 and 2 are complementary pieces of the root in the target; they stay complementary
    assert d[1] + d[2] == pytest.approx(d[0], abs=1e-9)
    assert d[3] + d[4] == pytest.approx(d[1], abs=1e-9)
    # with a separation, no decoy fragment lands on a target fragment ion (-2..+2 H)
    d = make_decoy_masses(MASS, PARENT, BOND, DEPTH, POOL, 1, min_separation_da=0.02)
    assert (ion_distance(d, MASS) >= 0.02).all()
    assert (d[1:] < d[PARENT[1:]]).all()


def test_never_the_targets_own_mass_set():
    # a pool holding only the target's own pieces would hand back the target's masses
    own = np.sort(np.tile(cut_pieces(MASS, PARENT), 50))
    for seed in range(20):
        d = make_decoy_masses(MASS, PARENT, BOND, DEPTH, own, seed)
        assert not same_mass_set(d, MASS)
        assert (d[1:] < d[PARENT[1:]]).all()
    assert same_mass_set(MASS, MASS.copy())


def test_seeded_and_reproducible():
    maker = DecoyMaker(POOL, seed=3)
    a = maker.decoy("NP000001", MASS, PARENT, BOND, DEPTH)
    # other molecules made in between (another shard layout) do not change it
    for k in range(5):
        maker.decoy(f"NP00010{k}", MASS, PARENT, BOND, DEPTH)
    b = DecoyMaker(POOL[::-1].copy(), seed=3).decoy("NP000001", MASS, PARENT, BOND, DEPTH)
    assert a.tobytes() == b.tobytes()
    assert not np.array_equal(a, maker.decoy("NP000002", MASS, PARENT, BOND, DEPTH))
    assert not np.array_equal(a, DecoyMaker(POOL, seed=4).decoy("NP000001", MASS, PARENT, BOND, DEPTH))
    assert mol_seed(0, "x").entropy != mol_seed(0, "y").entropy


def test_manifest_description_records_every_option():
    info = DecoyMaker(POOL, seed=3, window_da=3.0).describe()
    assert info["seed"] == 3 and info["window_da"] == 3.0 and info["pool_size"] == POOL.size
    assert {"min_separation_da", "min_fragment_da", "max_tries", "method", "pool_sha256"} <= set(info)
    assert info == DecoyMaker(POOL[::-1].copy(), seed=3, window_da=3.0).describe()


def test_pool_choice_ignores_input_order():
    ids = [f"NP{i:06d}" for i in range(500)]
    chosen = {ids[i] for i in pool_molecule_indices(ids, 40, seed=1)}
    shuffled = list(np.random.default_rng(0).permutation(ids))
    assert chosen == {shuffled[i] for i in pool_molecule_indices(shuffled, 40, seed=1)}
    assert len(chosen) == 40
    assert chosen != {ids[i] for i in pool_molecule_indices(ids, 40, seed=2)}


def test_isomer_pools_hold_the_other_isomers_pieces():
    g1 = (np.array([100.0, 60.0, 40.0]), np.array([-1, 0, 0]))
    g2 = (np.array([100.0, 70.0, 30.0, 20.0]), np.array([-1, 0, 0, 1]))
    g3 = (np.array([150.0, 50.0]), np.array([-1, 0]))
    np.testing.assert_allclose(cut_pieces(*g2), [30.0, 30.0, 20.0])
    pools = list(isomer_pools(["C5", "C5", "C7"], [g1, g2, g3]))
    np.testing.assert_allclose(pools[0], [20.0, 30.0, 30.0])      # g2's pieces
    np.testing.assert_allclose(pools[1], [40.0, 40.0])            # g1's pieces
    assert pools[2].size == 0                                     # no isomer: maker's own pool


def test_bad_graphs_are_refused():
    with pytest.raises(ValueError, match="root"):
        make_decoy_masses(MASS, np.array([0, 0, 0, 1, 1, 2]), BOND, DEPTH, POOL, 0)
    with pytest.raises(ValueError, match="deeper"):
        make_decoy_masses(MASS, PARENT, BOND, np.array([0, 1, 1, 1, 2, 2]), POOL, 0)
    with pytest.raises(ValueError, match="empty"):
        DecoyMaker(np.empty(0))


def ion_overlap(a, b):
    """Share of a's distinct non-root masses lying on one of b's fragment ions (0.01 Da, -1..+1 H)."""
    ions = (np.unique(b[1:])[:, None] + np.arange(-1, 2) * HYDROGEN).ravel()
    ua = np.unique(np.round(a[1:], 6))
    return float((np.abs(ua[:, None] - ions[None, :]) <= 0.01).any(axis=1).mean())


@pytest.fixture(scope="module")
def real_graphs(demo_molecules):
    graph = pytest.importorskip("specsweep.fragment.graph")
    from rdkit import Chem
    from rdkit.Chem.rdMolDescriptors import CalcMolFormula
    with open(demo_molecules) as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    formula = {r["id"]: CalcMolFormula(Chem.MolFromSmiles(r["smiles"])) for r in rows}
    groups: dict = {}
    for r in rows:
        groups.setdefault(formula[r["id"]], []).append(r)
    # isomer groups of 3-6 molecules (a spectrum's wrong candidates are mostly isomers)
    iso = [g[:6] for f, g in sorted(groups.items()) if len(g) >= 3][:12]
    iso = [[(r["id"], graph.fragment_smiles(r["smiles"])) for r in g] for g in iso]
    pool = build_pool(graph.fragment_smiles(r["smiles"]) for r in rows[1::60])
    return iso, pool


def test_real_molecules_keep_shape_and_differ_from_target(real_graphs):
    iso, pool = real_graphs
    maker = DecoyMaker(pool, seed=0)
    decoy_overlap, isomer_overlap, distinct_ratio = [], [], []
    n_checked = 0
    for group in iso:
        ids = [m for m, _ in group]
        graphs = [g for _, g in group]
        decoys = list(maker.decoys(ids, ["same"] * len(ids), graphs))
        for k, (fg, d) in enumerate(zip(graphs, decoys)):
            assert d.shape == fg.mass.shape and d[0] == fg.mass[0]
            assert (d[1:] > 0).all() and (d[1:] < d[fg.parent[1:]]).all()
            n_distinct = np.unique(np.round(fg.mass[1:], 6)).size
            if n_distinct < 5:
                continue
            n_checked += 1
            decoy_overlap.append(ion_overlap(d, fg.mass))
            # never the target's own fragment mass set
            assert not np.array_equal(np.unique(np.round(d, 3)), np.unique(np.round(fg.mass, 3)))
            isomer_overlap.append(np.mean([ion_overlap(o.mass, fg.mass)
                                           for j, o in enumerate(graphs) if j != k]))
            distinct_ratio.append(np.unique(np.round(d[1:], 6)).size / n_distinct)
            # pieces of one cut stay complementary
            for i in range(1, len(fg) - 1):
                j, p = i + 1, fg.parent[i]
                if fg.parent[j] == p and fg.bond[i] == fg.bond[j] and \
                        abs(fg.mass[i] + fg.mass[j] - fg.mass[p]) < 1e-6:
                    assert d[i] + d[j] == pytest.approx(d[p], abs=1e-6)
    assert n_checked >= 20
    decoy_overlap = np.array(decoy_overlap)
    # on average a decoy shares no more of its target's fragment ions than the target's isomers
    # do (small isomers share nearly all, so single decoys may too)
    assert decoy_overlap.mean() <= np.mean(isomer_overlap) + 0.05
    assert np.median(decoy_overlap) < 0.9
    # about as many distinct fragment masses as the target (else decoys would match more peaks)
    assert 0.8 < np.mean(distinct_ratio) < 1.25


def test_separation_keeps_decoys_off_target_ions(real_graphs):
    iso, pool = real_graphs
    maker = DecoyMaker(pool, seed=0, min_separation_da=0.02)
    near = total = 0
    for group in iso[:6]:
        for mol_id, fg in group:
            d = maker.decoy(mol_id, fg.mass, fg.parent, fg.bond, fg.depth)
            dist = ion_distance(d, fg.mass)
            near += int((dist < 0.02).sum())
            total += dist.size
    assert total > 300 and near / total < 0.01


def test_equal_target_masses_share_a_decoy_mass():
    graph = pytest.importorskip("specsweep.fragment.graph")
    fg = graph.fragment_smiles("CN1C=NC2=C1C(=O)N(C(=O)N2C)C")   # caffeine: three N-methyl losses
    root_children = np.flatnonzero(fg.parent == 0)
    masses = np.round(fg.mass[root_children], 6)
    values, counts = np.unique(masses, return_counts=True)
    assert counts.max() >= 2
    pool = np.sort(np.random.default_rng(1).uniform(12.0, 190.0, 5000))
    d = DecoyMaker(pool, seed=0).decoy("caffeine", fg.mass, fg.parent, fg.bond, fg.depth)
    for v in values[counts >= 2]:
        same = root_children[masses == v]
        assert np.unique(np.round(d[same], 9)).size == 1
