import numpy as np

from specsweep.spectra.logrank import LOG_RANK_ABSENT, log_rank, log_rank_scalar


def test_log_rank_groups_by_powers_of_two():
    ranks = [1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 65, 1000, 0, -3]
    expected = [1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 7, 7, 7]
    out = log_rank(ranks)
    assert out.dtype == np.int8
    assert out.tolist() == expected


def test_scalar_and_array_versions_agree():
    ranks = np.arange(-2, 300)
    assert [log_rank_scalar(int(r)) for r in ranks] == log_rank(ranks).tolist()
    # each logRank 1..6 covers ranks 2**(l-1) .. 2**l - 1
    for level in range(1, 7):
        members = ranks[log_rank(ranks) == level]
        assert members.min() == 2 ** (level - 1) and members.max() == 2 ** level - 1
    assert (log_rank(ranks)[ranks >= 64] == LOG_RANK_ABSENT).all()
