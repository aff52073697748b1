"""Intensity rank -> logRank.

molDiscovery (Cao et al., Nat Commun 2021) groups peak intensity ranks by their logarithm into
logRank 1..6 and gives fragments without a matching peak logRank 7 (the root has 0). The exact
grouping is in the paper's Supplementary Note 3, which we could not consult; we use

    logRank = floor(log2(rank)) + 1   for rank 1..63   (1 | 2-3 | 4-7 | 8-15 | 16-31 | 32-63)
    logRank = 7                        for rank >= 64 or no peak (rank < 1)

which agrees with everything the main text states (only rank 1 has logRank 1; 64 ranks grouped
into six levels plus "absent").
"""

from __future__ import annotations

import numpy as np
from numba import njit

LOG_RANK_ABSENT = 7
"""logRank of a fragment with no matching peak (or a peak ranked 64 or lower)."""

LOG_RANK_ROOT = 0
"""logRank given to the root (whole-molecule) node."""

MAX_RANKED = 63
"""Largest intensity rank that gets a logRank below LOG_RANK_ABSENT."""

# LOG_RANK_TABLE[r] for r in 0..63; r = 0 means "no peak".
LOG_RANK_TABLE = np.array([LOG_RANK_ABSENT] + [int(r).bit_length() for r in range(1, MAX_RANKED + 1)],
                          dtype=np.int8)


def log_rank(rank) -> np.ndarray:
    """logRank (int8, 1..7) of integer intensity ranks (1 = most intense); ranks < 1 mean "no peak"."""
    r = np.asarray(rank, dtype=np.int64)
    out = np.full(r.shape, LOG_RANK_ABSENT, dtype=np.int8)
    ok = (r >= 1) & (r <= MAX_RANKED)
    out[ok] = LOG_RANK_TABLE[r[ok]]
    return out


@njit(cache=True)
def log_rank_scalar(rank: int) -> int:
    """logRank of one rank, for use inside Numba kernels (same mapping as :func:`log_rank`)."""
    if rank < 1 or rank > MAX_RANKED:
        return LOG_RANK_ABSENT
    lr = 0
    while rank > 0:
        rank >>= 1
        lr += 1
    return lr
