"""Per-spectrum target-decoy competition and the picked competition per compound."""

import numpy as np
import pytest

from specsweep.fdr.balance import BalanceError, check_candidates_balance, check_db_manifest
from specsweep.fdr.competition import best_by_side, picked_compounds, spectrum_winners


def test_best_hit_wins_and_ties_go_to_decoy():
    #                 spectrum 0 (target best) | spectrum 1 (tie) | spectrum 2 (decoy best)
    spectrum = np.array([0, 0, 0, 1, 1, 2, 2])
    score = np.array([5.0, 7.0, 6.0, 4.0, 4.0, 1.0, 2.0])
    is_decoy = np.array([True, False, False, False, True, False, True])
    rank = np.array([3, 1, 2, 1, 2, 2, 1])
    win = spectrum_winners(spectrum, score, is_decoy, rank)
    assert list(win) == [1, 4, 6]
    assert list(is_decoy[win]) == [False, True, True]


def test_equal_targets_resolved_by_rank_then_row():
    spectrum = np.array([3, 3, 3])
    score = np.array([2.0, 2.0, 2.0])
    is_decoy = np.zeros(3, bool)
    assert list(spectrum_winners(spectrum, score, is_decoy, np.array([2, 1, 3]))) == [1]
    assert list(spectrum_winners(spectrum, score, is_decoy, np.array([1, 1, 1]))) == [0]


def test_best_by_side_marks_ties():
    spectrum = np.array([0, 0, 1, 1, 2])
    score = np.array([3.0, 3.0, 5.0, 4.0, 1.0])
    is_decoy = np.array([False, True, True, False, False])
    best_t, best_d = best_by_side(spectrum, score, is_decoy, 3)
    np.testing.assert_array_equal(best_t, [3.0, 4.0, 1.0])
    np.testing.assert_array_equal(best_d, [3.0, 5.0, -np.inf])
    assert list(best_t == best_d) == [True, False, False]


def test_picked_competition_per_compound():
    # compound 0: target 10 vs its decoy 12 -> decoy; compound 1: target only -> target;
    # compound 2: tie -> decoy; compound 5: target 9 (best of two spectra) vs decoy 3 -> target 9
    compound = np.array([0, 0, 1, 2, 2, 5, 5, 5])
    score = np.array([10.0, 12.0, 4.0, 7.0, 7.0, 8.0, 9.0, 3.0])
    is_decoy = np.array([False, True, False, False, True, False, False, True])
    codes, best, decoy_won = picked_compounds(compound, score, is_decoy)
    assert list(codes) == [0, 1, 2, 5]
    assert list(decoy_won) == [True, False, True, False]
    np.testing.assert_allclose(best, [12.0, 4.0, 7.0, 9.0])


def test_no_decoys_is_an_error():
    with pytest.raises(BalanceError, match="no decoy"):
        check_candidates_balance(n_candidates=500, n_decoy_candidates=0, n_winners=100,
                                 n_decoy_winners=0)


def test_decoys_winning_too_often_is_an_error():
    # 70 % decoy winners over 1000 spectra cannot come from a valid search
    with pytest.raises(BalanceError, match="decoys win"):
        check_candidates_balance(10000, 5000, 1000, 700)
    # 52 % is within chance of one half; 30 % is a normal run with correct identifications
    check_candidates_balance(10000, 5000, 1000, 520)
    check_candidates_balance(10000, 5000, 1000, 300)
    # decoy wins decided by exact target/decoy ties (nothing matched) do not count against balance
    check_candidates_balance(10000, 5000, 1000, 700, n_ties=300)
    # never winning although decoys were found: decoys do not compete
    with pytest.raises(BalanceError, match="not competing"):
        check_candidates_balance(10000, 400, 1000, 0)
    info = check_candidates_balance(10000, 5000, 1000, 700, check_share=False)
    assert info["decoy_winner_share"] == pytest.approx(0.7)


def test_db_manifest_balance(tmp_path):
    import json

    from specsweep.schema import FRAGMENT_DB_FORMAT
    good = {"format": FRAGMENT_DB_FORMAT, "shards": [{"file": "shard-0000.parquet", "n_targets": 10, "n_decoys": 10},
                       {"file": "shard-0001.parquet", "n_targets": 3, "n_decoys": 3}]}
    (tmp_path / "manifest.json").write_text(json.dumps(good))
    assert check_db_manifest(tmp_path)["db_decoys"] == 13
    bad = {"format": FRAGMENT_DB_FORMAT, "shards": [{"file": "shard-0000.parquet", "n_targets": 10, "n_decoys": 9}]}
    (tmp_path / "manifest.json").write_text(json.dumps(bad))
    with pytest.raises(BalanceError, match="10 targets but 9 decoys"):
        check_db_manifest(tmp_path)
    none = {"format": FRAGMENT_DB_FORMAT, "shards": [{"file": "shard-0000.parquet", "n_targets": 0, "n_decoys": 0}]}
    (tmp_path / "manifest.json").write_text(json.dumps(none))
    with pytest.raises(BalanceError, match="no decoys"):
        check_db_manifest(tmp_path / "manifest.json")
