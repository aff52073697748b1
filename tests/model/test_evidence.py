"""A score needs evidence: fragments that match no peak never raise it.

The old null (one logRank distribution over all fragments of an unrelated structure) let every
unmatched fragment under an unmatched parent add log(0.996 / 0.991) > 0; a saponin of the demo
database with 16,602 fragments scored +42 without matching a single peak. The conditioned null
(``null_cond[bond, parent logRank, logRank]``) and the cap on unmatched cells fix that.
"""

import csv

import numpy as np
import pytest

from specsweep.chem.masses import PROTON
from specsweep.model.tables import LogRankModel, default_model_path, load_model
from specsweep.model.train import Graph, build_model, train_counts

A = Graph([300.0, 150.0, 120.0, 80.0], [-1, 0, 0, 1], [0, 1, 3, 2], [0, 1, 1, 2])
B = Graph([310.0, 120.0], [-1, 0], [0, 1], [0, 1])   # A's unrelated neighbour in mass

SAPONIN = "NP058007"   # demo database molecule, 1216.6 Da, many OC/OC 2-cuts (sugar rings)


def test_conditioned_null_counts_unrelated_fragments_like_true_ones():
    mz1, lr1 = np.array([150 + PROTON, 250.0]), np.array([2, 1], np.int8)
    mz2, lr2 = np.array([99.0, 120 + PROTON]), np.array([3, 1], np.int8)
    tables = train_counts([("A", 1, mz1, lr1), ("A", 1, mz2, lr2)], {"A": A, "B": B})
    cond = tables[1].null_cond
    # B's one fragment (OC under the root): unmatched in spectrum 1, logRank 1 in spectrum 2
    assert cond.sum() == 2 and cond[1, 0, 7] == 1 and cond[1, 0, 1] == 1
    assert tables[1].null_counts.tolist() == [0, 1, 0, 0, 0, 0, 0, 1]
    model = build_model(tables, {"pseudo_count": 1.0})
    llr = model.llr_table(1)
    # a (bond, parent) row without data on either side carries no evidence either way
    assert not llr[50].any() and not llr[2, 0].any()
    # P(7 | OC, 0) = 2/8 for A's fragments against 2/8 for B's: ratio 1
    assert llr[1, 0, 7] == pytest.approx(0.0)


def test_unmatched_cells_of_the_shipped_model_are_never_positive():
    llr = load_model(default_model_path()).llr_tables()
    assert llr[:, :, :, 7].max() <= 0.0


def test_old_null_rewarded_missing_peaks_the_new_one_does_not():
    """Same training counts, two nulls: the pooled one gives some unmatched cells a positive
    score, the conditioned one (and the cap) none."""
    shipped = load_model(default_model_path())
    t = shipped.resolved(1)
    assert shipped.params["null"] == "unrelated-parent" and t.null_cond is not None
    pooled = LogRankModel({1: t, 2: shipped.tables[2]}, {"pseudo_count": 1.0,
                                                          "evidence_cap": False})
    pooled_t = pooled.tables[1]
    saved = pooled_t.null_cond
    try:
        pooled_t.null_cond = None          # score against the pooled null_counts
        assert pooled.llr_table(1)[:, :, 7].max() > 0.0
    finally:
        pooled_t.null_cond = saved


def _demo_smiles(test_data, mol_id):
    with open(test_data / "demo_molecules.tsv") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row["id"] == mol_id:
                return row["smiles"]
    raise KeyError(mol_id)


def _score(fg, mz, lr, llr):
    from specsweep.search.kernels import score_pairs
    out = (np.empty(1), np.empty(1, np.int32), np.empty(1))
    score_pairs(np.array([0]), np.array([0]), np.array([1], np.int8),
                np.array([0, mz.shape[0]]), mz, lr, np.ones(mz.shape[0]),
                np.array([0, fg.mass.shape[0]]), fg.mass, fg.parent.astype(np.int32),
                fg.bond.astype(np.int16), fg.depth.astype(np.int8), llr, 0.01, 0.0,
                np.array([-1, 0, 1]), *out)
    return out[0][0], out[1][0]


def test_large_graph_without_matches_scores_at_most_zero(test_data, demo_spectra_records):
    """A real molecule with many fragments, scored against real spectra it does not explain."""
    from specsweep.fragment.graph import fragment_smiles
    fg = fragment_smiles(_demo_smiles(test_data, SAPONIN))
    assert fg.mass.shape[0] > 10_000
    llr = load_model(default_model_path()).llr_tables()
    unexplained = 0
    for mz, lr in demo_spectra_records:
        score, matched = _score(fg, mz, lr, llr)
        if matched == 0:
            unexplained += 1
            assert score <= 0.0
    assert unexplained >= 10


@pytest.fixture(scope="module")
def demo_spectra_records(demo_mgf, tmp_path_factory):
    """(m/z, logRank) of every demo spectrum, through the ingest stage's peak processing."""
    import pyarrow.parquet as pq
    from specsweep.spectra.ingest import ingest
    out = tmp_path_factory.mktemp("evidence") / "spectra"
    ingest([demo_mgf], out)
    rows = []
    for part in sorted(out.glob("part-*.parquet")):
        t = pq.read_table(part, columns=["mz", "log_rank"]).to_pydict()
        rows += [(np.asarray(m, np.float64), np.asarray(r, np.int8))
                 for m, r in zip(t["mz"], t["log_rank"])]
    return rows
