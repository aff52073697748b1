"""Model training counts on a tiny annotated example, and the model file round trip."""

import json

import numpy as np
import pytest

from specsweep.chem.masses import HYDROGEN, PROTON
from specsweep.model.tables import LogRankModel, load_model, save_model
from specsweep.model.train import Graph, build_model, train_counts

# compound A: root 300; f1 OC 150 (depth 1); f2 CC 120 (depth 1); f3 NC 80 under f1 (depth 2)
A = Graph([300.0, 150.0, 120.0, 80.0], [-1, 0, 0, 1], [0, 1, 3, 2], [0, 1, 1, 2])
# compound B (the unrelated neighbour in mass): root 310; f1 OC 120 (depth 1)
B = Graph([310.0, 120.0], [-1, 0], [0, 1], [0, 1])


def spectrum(ions, lrs):
    mz = np.array(ions)
    order = np.argsort(mz)
    return mz[order], np.array(lrs, np.int8)[order]


def test_counts_follow_the_annotation():
    # spectrum 1: f1 at logRank 2, f3 (with a -H shift) at logRank 4; f2 unmatched
    mz1, lr1 = spectrum([150 + PROTON, 80 - HYDROGEN + PROTON, 250.0], [2, 4, 1])
    # spectrum 2: only f2, at logRank 1
    mz2, lr2 = spectrum([120 + PROTON, 99.0], [1, 3])
    pairs = [("A", 1, mz1, lr1), ("A", 1, mz2, lr2)]
    tables = train_counts(pairs, {"A": A, "B": B}, null="peaks")
    c = tables[1].counts
    # spectrum 1: (OC, 0 -> 2), (CC, 0 -> 7), (NC, 2 -> 4); spectrum 2: (OC, 0 -> 7),
    # (CC, 0 -> 1), (NC, 7 -> 7)
    expected = {(1, 0, 2): 1, (3, 0, 7): 1, (2, 2, 4): 1, (1, 0, 7): 1, (3, 0, 1): 1,
                (2, 7, 7): 1}
    assert c.sum() == 6
    for key, n in expected.items():
        assert c[key] == n, key
    # paper's null: every peak counted under its logRank
    assert tables[1].null_counts.tolist() == [0, 2, 1, 1, 1, 0, 0, 0]
    assert tables[1].n_spectra == 2 and tables[2].n_spectra == 0


def test_unrelated_null_uses_the_neighbour_graph():
    mz1, lr1 = spectrum([150 + PROTON, 80 - HYDROGEN + PROTON, 250.0], [2, 4, 1])
    mz2, lr2 = spectrum([120 + PROTON, 99.0], [1, 3])
    tables = train_counts([("A", 1, mz1, lr1), ("A", 1, mz2, lr2)], {"A": A, "B": B})
    # B's single fragment (120) is unmatched in spectrum 1 and takes logRank 1 in spectrum 2
    assert tables[1].null_counts.tolist() == [0, 1, 0, 0, 0, 0, 0, 1]


def test_json_round_trip_and_charge2_fallback(tmp_path):
    mz, lr = spectrum([150 + PROTON, 120 + PROTON], [1, 2])
    model = build_model(train_counts([("A", 1, mz, lr)], {"A": A, "B": B}),
                        {"pseudo_count": 0.5})
    assert model.tables[2].fallback == 1 and "no charge-2" in model.tables[2].note
    path = save_model(model, tmp_path / "m.json")
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.llr_tables(), model.llr_tables())
    # charge 2 scores with the charge-1 tables
    np.testing.assert_array_equal(loaded.llr_table(2), loaded.llr_table(1))
    # probabilities: each (bond, parent) row sums to 1 over logRank 1..7
    p, q = loaded.probabilities(1)
    np.testing.assert_allclose(p[:, :, 1:].sum(axis=2), 1.0)
    assert q.sum() == pytest.approx(1.0)
    # with pseudo-count 0.5: P(1 | OC, 0) = (1 + 0.5) / (1 + 7 * 0.5)
    assert p[1, 0, 1] == pytest.approx(1.5 / 4.5)
    bad = json.loads(path.read_text())
    bad["format"] = "other"
    with pytest.raises(ValueError):
        LogRankModel.from_json(bad)
