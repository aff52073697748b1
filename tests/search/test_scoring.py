"""Scoring of a hand-computed example: tiny graph, tiny spectrum, tiny model."""

from math import log

import numpy as np
import pytest

from specsweep.chem.masses import HYDROGEN, PROTON
from specsweep.model.annotate import N_BOND_CODES
from specsweep.model.tables import ChargeTables, LogRankModel
from specsweep.search.kernels import score_pairs
from specsweep.search.reference import score_plain

# Fragmentation graph (masses in Da, neutral):
#   0 root   300.0                       depth 0
#   1 OC     150.0   parent 0  bond 1    depth 1
#   2 CC     120.0   parent 0  bond 3    depth 1
#   3 NC      80.0   parent 1  bond 2    depth 2
#   4 OC     150.0   parent 2  bond 1    depth 2   (same mass as 1: loses its peak to fragment 1)
MASS = np.array([300.0, 150.0, 120.0, 80.0, 150.0])
PARENT = np.array([-1, 0, 0, 1, 2], np.int32)
BOND = np.array([0, 1, 3, 2, 1], np.int16)
DEPTH = np.array([0, 1, 1, 2, 2], np.int8)

# Spectrum: [150 + H+] with logRank 1, [80 - H + H+] (a hydrogen-shifted ion) with logRank 3,
# and a noise peak at 200.5 with logRank 2. Intensities 100, 30, 50.
PEAK_MZ = np.array([80.0 - HYDROGEN + PROTON + 0.004, 150.0 + PROTON - 0.003, 200.5])
PEAK_LR = np.array([3, 1, 2], np.int8)
PEAK_INT = np.array([30.0, 100.0, 50.0])


def tiny_model() -> LogRankModel:
    # pseudo-count 1 on every cell of logRank 1..7.
    t = ChargeTables.empty()
    t.counts[1, 0, 1] = 5          # OC from root: logRank 1 five times ...
    t.counts[1, 0, 7] = 1          # ... unmatched once  -> P(1|OC,0) = 6/13
    t.counts[2, 1, 3] = 4          # NC under a logRank-1 parent: logRank 3 -> P(3|NC,1) = 5/11
    t.counts[1, 7, 7] = 3          # OC under an unmatched parent: unmatched -> P(7|OC,7) = 4/10
    t.null_counts[1:] = [1, 1, 1, 1, 1, 1, 6]   # -> P(l|null) = 2/19 (l = 1..6), 7/19 (l = 7)
    t.n_spectra = 1
    return LogRankModel({1: t, 2: ChargeTables(t.counts, t.null_counts, 0, fallback=1)},
                        {"pseudo_count": 1.0})


# Hand computation. logRanks: f1 = 1 (peak 150+H+), f2 = 7 (nothing at 120), f3 = 3 (80-H shift),
# f4 = 7 (its peak went to f1, which has lower depth).
#   f1: log P(1|OC,0)/P(1|null) = log (6/13)/(2/19)
#   f2: log P(7|CC,0)/P(7|null) = log (1/7)/(7/19)     (no counts: uniform 1/7)
#   f3: log P(3|NC,1)/P(3|null) = log (5/11)/(2/19)
#   f4: log P(7|OC,7)/P(7|null) = log (4/10)/(7/19) > 0, capped at 0: a missing peak is never
#       evidence for a structure (LogRankModel.evidence_cap)
EXPECTED = log((6 / 13) / (2 / 19)) + log((1 / 7) / (7 / 19)) + log((5 / 11) / (2 / 19))


def _score(model, mass=MASS, tol=0.01):
    llr = model.llr_tables()
    out = (np.empty(1), np.empty(1, np.int32), np.empty(1))
    score_pairs(np.array([0]), np.array([0]), np.array([1], np.int8),
                np.array([0, 3]), PEAK_MZ, PEAK_LR, PEAK_INT,
                np.array([0, len(mass)]), mass, PARENT, BOND, DEPTH, llr, tol, 0.0,
                np.array([-1, 0, 1]), *out)
    return out[0][0], out[1][0], out[2][0]


def test_hand_computed_llr():
    score, matched, explained = _score(tiny_model())
    assert score == pytest.approx(EXPECTED, abs=1e-12)
    assert matched == 2
    assert explained == pytest.approx(130.0 / 180.0)


def test_tolerance_decides_the_match():
    # at 2 mDa neither peak (3 and 4 mDa off) matches: every fragment is 7.
    #   f1: log (2/13)/(7/19); f2: log (1/7)/(7/19); f3 (NC under 7, no counts): log (1/7)/(7/19);
    #   f4: log (4/10)/(7/19) > 0, capped at 0
    score, matched, explained = _score(tiny_model(), tol=0.002)
    expected = log((2 / 13) / (7 / 19)) + 2 * log((1 / 7) / (7 / 19))
    assert score == pytest.approx(expected, abs=1e-12)
    assert matched == 0 and explained == 0.0


def test_plain_reference_agrees():
    model = tiny_model()
    llr = model.llr_tables()[0]
    plain = score_plain(MASS, PARENT, BOND, DEPTH, PEAK_MZ, PEAK_LR, PEAK_INT, llr)
    fast = _score(model)
    assert plain[0] == fast[0] and plain[1] == fast[1]
    assert plain[2] == pytest.approx(fast[2])


def test_each_ion_mode_scores_with_its_own_model():
    """With a negative-mode model stacked behind the positive one, a negative pair is scored with
    the negative tables (hand value for a model that has no counts: every term log(1/7)/(P null))
    and a positive pair still gets EXPECTED."""
    from specsweep.model.tables import stacked_llr
    flat = ChargeTables.empty()
    flat.null_counts[1:] = [1, 1, 1, 1, 1, 1, 6]
    flat.n_spectra = 1
    negative = LogRankModel({1: flat, 2: ChargeTables(flat.counts, flat.null_counts, 0, fallback=1)},
                            {"pseudo_count": 1.0})
    llr = stacked_llr(tiny_model(), negative)
    assert llr.shape == (4, N_BOND_CODES, 8, 8)
    # negative-mode peaks: the same fragments as deprotonated ions
    neg_mz = np.array([80.0 - HYDROGEN - PROTON + 0.004, 150.0 - PROTON - 0.003, 200.5])
    mz = np.concatenate([PEAK_MZ, neg_mz])
    lr = np.concatenate([PEAK_LR, PEAK_LR])
    inten = np.concatenate([PEAK_INT, PEAK_INT])
    out = (np.empty(2), np.empty(2, np.int32), np.empty(2))
    score_pairs(np.array([0, 1]), np.array([0, 0]), np.array([1, -1], np.int8), np.array([0, 3, 6]),
                mz, lr, inten, np.array([0, len(MASS)]), MASS, PARENT, BOND, DEPTH, llr, 0.01, 0.0,
                np.array([-1, 0, 1]), *out)
    assert out[0][0] == pytest.approx(EXPECTED, abs=1e-12)
    # negative: logRanks f1 = 1, f2 = 7, f3 = 3, f4 = 7 as in positive mode; P(l | bond, parent) = 1/7
    expected_neg = (log((1 / 7) / (2 / 19)) + log((1 / 7) / (7 / 19)) + log((1 / 7) / (2 / 19))
                    + log((1 / 7) / (7 / 19)))
    assert out[0][1] == pytest.approx(expected_neg, abs=1e-12)
    assert out[1][1] == 2


def test_sodiated_precursors_match_sodiated_fragments():
    """Peaks of the same fragments carrying Na+ instead of H+ match only when the pair is marked
    as a sodium-carrying precursor (then the score equals the protonated case's EXPECTED), and
    protonated peaks do not match under that mark."""
    from specsweep.model.annotate import SODIUM_ION
    from specsweep.search.kernels import SODIATED_PAIR
    na_mz = np.array([80.0 - HYDROGEN + SODIUM_ION + 0.004, 150.0 + SODIUM_ION - 0.003, 200.5])
    llr = tiny_model().llr_tables()
    scores = []
    for charge in (1, 1 + SODIATED_PAIR):
        out = (np.empty(1), np.empty(1, np.int32), np.empty(1))
        score_pairs(np.array([0]), np.array([0]), np.array([charge], np.int8), np.array([0, 3]),
                    na_mz, PEAK_LR, PEAK_INT, np.array([0, len(MASS)]), MASS, PARENT, BOND, DEPTH,
                    llr, 0.01, 0.0, np.array([-1, 0, 1]), *out)
        scores.append((out[0][0], out[1][0]))
    assert scores[0][1] == 0
    assert scores[1][1] == 2 and scores[1][0] == pytest.approx(EXPECTED, abs=1e-12)
    # and the protonated peaks are not sodiated ions: nothing matches under the sodium flag
    out = (np.empty(1), np.empty(1, np.int32), np.empty(1))
    score_pairs(np.array([0]), np.array([0]), np.array([1 + SODIATED_PAIR], np.int8), np.array([0, 3]),
                PEAK_MZ, PEAK_LR, PEAK_INT, np.array([0, len(MASS)]), MASS, PARENT, BOND, DEPTH,
                llr, 0.01, 0.0, np.array([-1, 0, 1]), *out)
    assert out[1][0] == 0


def test_water_loss_precursors_match_dehydrated_fragments():
    """For a precursor that lost water ([M+H-H2O]+), a fragment is tried as [f+H]+ and as
    [f-H2O+H]+; a plain [M+H]+ pair does not take the dehydrated ions."""
    from specsweep.chem.adducts import get_adduct
    from specsweep.model.annotate import WATER
    from specsweep.search.kernels import DEHYDRATED_PAIR, pair_charge_code
    assert pair_charge_code(get_adduct("[M+H-H2O]+")) == 1 + DEHYDRATED_PAIR
    assert pair_charge_code(get_adduct("[M+H]+")) == 1
    dry = PEAK_MZ - np.array([WATER, WATER, 0.0])   # both fragment peaks lost a water
    llr = tiny_model().llr_tables()
    got = {}
    for charge in (1, 1 + DEHYDRATED_PAIR):
        out = (np.empty(1), np.empty(1, np.int32), np.empty(1))
        score_pairs(np.array([0]), np.array([0]), np.array([charge], np.int8), np.array([0, 3]),
                    np.sort(dry), PEAK_LR[np.argsort(dry)], PEAK_INT[np.argsort(dry)],
                    np.array([0, len(MASS)]), MASS, PARENT, BOND, DEPTH, llr, 0.01, 0.0,
                    np.array([-1, 0, 1]), *out)
        got[charge] = (out[0][0], out[1][0])
    assert got[1][1] == 0
    assert got[1 + DEHYDRATED_PAIR][1] == 2 and got[1 + DEHYDRATED_PAIR][0] == pytest.approx(EXPECTED, abs=1e-12)
