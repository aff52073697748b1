import numpy as np
import pytest

from specsweep.rescore.features import FEATURES, GAP_CAP, list_features, within_depth


def _col(X, name):
    return X[:, FEATURES.index(name)]


def test_features_of_a_hand_made_list():
    # spectrum 0: three targets (two isomers at 300.1) and one decoy; spectrum 1: one target
    spec = np.array([0, 0, 0, 0, 1])
    decoy = np.array([False, False, False, True, False])
    score = np.array([5.0, 9.0, 2.0, 7.0, 4.0])
    rank = np.array([3, 1, 4, 2, 1])
    matched = np.array([2, 6, 0, 4, 3])
    expl = np.array([0.2, 0.7, 0.0, 0.5, 0.4])
    mass = np.array([300.1, 300.1, 412.2, 300.1, 150.0])
    ppm = np.array([1.0, -2.0, 0.5, 0.0, 7.0])
    order, lists, X = list_features(spec, decoy, score, rank, matched, expl, mass, ppm,
                                    n_peaks=np.array([10, 10, 10, 10, 4]))
    # list order: spectrum 0 targets (9, 5, 2), spectrum 0 decoys (7), spectrum 1 targets (4)
    assert order.tolist() == [1, 0, 2, 3, 4]
    assert lists.tolist() == [0, 0, 0, 1, 2]
    assert _col(X, "delta_best").tolist() == [4.0, -4.0, -7.0, GAP_CAP, GAP_CAP]
    assert _col(X, "gap_next").tolist() == [4.0, 3.0, GAP_CAP, GAP_CAP, GAP_CAP]
    assert _col(X, "delta_isomer").tolist() == [4.0, -4.0, GAP_CAP, GAP_CAP, GAP_CAP]
    assert _col(X, "has_isomer").tolist() == [1, 1, 0, 0, 0]
    assert _col(X, "log_candidates") == pytest.approx(np.log([3, 3, 3, 1, 1]))
    assert _col(X, "matched_fraction") == pytest.approx([0.6, 0.2, 0.0, 0.4, 0.75])
    assert _col(X, "no_match").tolist() == [0, 0, 1, 0, 0]
    assert _col(X, "abs_ppm").tolist() == [3.0, 3.0, 3.0, 3.0, 7.0]   # floor: 3 ppm
    assert np.isnan(_col(X, "formula_rank_inv")).all()   # no formula stage: missing


def test_removing_a_candidate_changes_only_its_own_list():
    spec = np.array([0, 0, 0, 1, 1])
    decoy = np.zeros(5, bool)
    score = np.array([9.0, 5.0, 2.0, 8.0, 1.0])
    args = (np.arange(5), np.ones(5), np.full(5, 0.5), np.full(5, 200.0), np.zeros(5))
    _, _, full = list_features(spec, decoy, score, *args)
    keep = np.array([False, True, True, True, True])
    _, _, cut = list_features(spec[keep], decoy[keep], score[keep], *(a[keep] for a in args))
    assert np.array_equal(full[3:], cut[2:], equal_nan=True)   # spectrum 1 untouched
    assert _col(cut, "delta_best")[0] == 3.0                   # new leader of spectrum 0


def test_within_depth_keeps_the_best_of_each_list():
    spec = np.array([0, 0, 0, 0, 1])
    decoy = np.array([False, False, False, True, False])
    score = np.array([1.0, 3.0, 2.0, 0.5, 0.1])
    mask = within_depth(spec, decoy, score, np.arange(5), 2)
    assert mask.tolist() == [False, True, True, True, True]


def test_top_hit_knows_how_many_peaks_its_spectrum_has():
    """The PEP model sees the spectrum's peak count (log(1 + peaks)): how confident a top hit
    looks means something else for a spectrum of 3 peaks than for one of 60."""
    from specsweep.rescore.model import PEP_FEATURES, top_features
    spec = np.array([0, 0, 1, 1])
    order, lists, X = list_features(spec, np.zeros(4, bool), [5.0, 3.0, 7.0, 1.0], [1, 2, 1, 2],
                                    [2, 1, 4, 1], [0.5, 0.2, 0.7, 0.1], [300.0] * 4, [1.0] * 4,
                                    n_peaks=[3, 3, 60, 60])
    top, P = top_features(X, lists, X[:, FEATURES.index("score")])
    col = PEP_FEATURES.index("log_peaks")
    assert P[:, col] == pytest.approx(np.log1p([3, 60]))
