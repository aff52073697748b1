"""q-values on hand-made score lists, and against a direct reading of the definition."""

import numpy as np
import pytest

from specsweep.fdr.qvalues import decoy_free_mask, fdr_curve, qvalues

T, D = False, True


def brute_force_q(scores, is_decoy):
    """q(s_i) = min over thresholds t <= s_i of min(1, (D(t)+1)/T(t)), thresholds = observed scores."""
    scores = np.asarray(scores, float)
    is_decoy = np.asarray(is_decoy, bool)
    fdr = {}
    for t in np.unique(scores):
        acc = scores >= t
        n_t = int((acc & ~is_decoy).sum())
        n_d = int((acc & is_decoy).sum())
        fdr[t] = min(1.0, (n_d + 1) / n_t) if n_t else 1.0
    return np.array([min(v for t, v in fdr.items() if t <= s) for s in scores])


def test_hand_computed_list():
    # score:    10  9  8  7  6  5  4
    # decoy:     T  T  D  T  T  D  T
    # (D+1)/T: 1/1 1/2 2/2 2/3 2/4 3/4 3/5 -> running minimum from the bottom
    scores = [10, 9, 8, 7, 6, 5, 4]
    is_decoy = [T, T, D, T, T, D, T]
    q = qvalues(scores, is_decoy)
    np.testing.assert_allclose(q, [0.5, 0.5, 0.5, 0.5, 0.5, 0.6, 0.6])


def test_ties_are_accepted_together():
    # four targets at 10; at 8 two targets and a decoy tie. A per-row cumulative count that put
    # targets before the tied decoy would give the 8s (0+1)/6; the threshold sees T=6, D=1.
    scores = [10, 10, 10, 10, 8, 8, 8]
    is_decoy = [T, T, T, T, T, D, T]
    q = qvalues(scores, is_decoy)
    np.testing.assert_allclose(q[:4], 0.25)
    np.testing.assert_allclose(q[4:], 2 / 6)
    # order of the input rows must not matter
    perm = np.array([5, 0, 6, 1, 4, 2, 3])
    np.testing.assert_allclose(qvalues(np.array(scores)[perm], np.array(is_decoy)[perm]), q[perm])
    thr, n_t, n_d, fdr = fdr_curve(scores, is_decoy)
    assert list(thr) == [10, 8] and list(n_t) == [4, 6] and list(n_d) == [0, 1]


def test_all_decoys_give_q_one_and_no_zero_level():
    scores = [5.0, 4.0, 3.0]
    q = qvalues(scores, [D, D, D])
    np.testing.assert_array_equal(q, 1.0)
    assert not decoy_free_mask(scores, [D, D, D]).any()


def test_no_decoys_still_counts_the_plus_one():
    q = qvalues([3.0, 2.0, 1.0, 0.5], [T, T, T, T])
    np.testing.assert_allclose(q, [0.25, 0.25, 0.25, 0.25])
    assert decoy_free_mask([3.0, 2.0], [T, T]).all()


def test_zero_level_is_above_best_decoy():
    scores = np.array([9.0, 8.0, 7.0, 7.0, 3.0])
    is_decoy = np.array([T, T, D, T, T])
    np.testing.assert_array_equal(decoy_free_mask(scores, is_decoy), [True, True, False, False, False])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_monotone_and_equal_to_definition(seed):
    rng = np.random.default_rng(seed)
    n = 300
    is_decoy = rng.random(n) < 0.3
    # targets score higher on average; rounding creates many ties
    scores = np.round(rng.normal(0, 1, n) + 1.5 * ~is_decoy, 1)
    q = qvalues(scores, is_decoy)
    np.testing.assert_allclose(q, brute_force_q(scores, is_decoy))
    order = np.argsort(-scores, kind="stable")
    assert (np.diff(q[order]) >= -1e-15).all(), "q must not decrease as the score decreases"
    assert ((q > 0) & (q <= 1)).all()


def test_empty_and_bad_input():
    assert qvalues([], []).size == 0
    with pytest.raises(ValueError):
        qvalues([1.0, np.nan], [T, D])
    with pytest.raises(ValueError):
        qvalues([1.0, 2.0], [T])


def test_calibration_counts_false_targets():
    from specsweep.fdr.calibration import calibration_table, fdp_curve
    # score:   10  9  8  7  6  5  4   (q from test_hand_computed_list: .5 x5, .6 x2)
    scores = np.array([10, 9, 8, 7, 6, 5, 4], float)
    is_decoy = np.array([T, T, D, T, T, D, T])
    is_false = np.array([False, True, False, False, True, False, True])
    q = qvalues(scores, is_decoy)
    rows = calibration_table(scores, is_decoy, q, is_false, [0.1, 0.5, 1.0])
    assert rows[0]["accepted"] == 0
    # q <= 0.5 accepts the targets at 10, 9, 7, 6: two of them false; cut at 6: T=4, D=1
    assert (rows[1]["accepted"], rows[1]["false"], rows[1]["true_fdp"]) == (4, 2, 0.5)
    assert (rows[1]["targets_at_cut"], rows[1]["decoys_at_cut"], rows[1]["d1_over_t"]) == (4, 1, 0.5)
    assert (rows[2]["accepted"], rows[2]["false"]) == (5, 3)
    fdr, d_over_t, fdp = fdp_curve(scores, is_decoy, is_false)
    np.testing.assert_allclose(fdp, [0, 1 / 2, 1 / 2, 1 / 3, 2 / 4, 2 / 4, 3 / 5])
    np.testing.assert_allclose(d_over_t, [0, 0, 1 / 2, 1 / 3, 1 / 4, 2 / 4, 2 / 5])
