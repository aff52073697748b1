"""Refuse FDR estimates that cannot be valid: no decoys, or a broken target/decoy balance.

Target-decoy FDR assumes one decoy per target, searched together with the targets, and decoys that
win a wrong spectrum about as often as a wrong target does. Checks:

- the candidates contain no decoy at all (the database was built or searched without decoys);
- a database manifest whose decoy count differs from its target count (in total or per shard);
- decoys winning the per-spectrum competition far more often than half the time (spectra decided
  by a tie between target and decoy are left out). Correct
  identifications are won by targets and wrong ones are shared about evenly, so in a valid run
  the decoy share of winners is at most about 1/2. We reject a share whose one-sided binomial
  p-value against 1/2 is below ``alpha`` (default 1e-6): decoys that are systematically easier to
  match than targets would make every FDR estimate too high, and the reverse check catches
  decoys that never compete;
- no decoy winning any of at least ``min_winners_for_zero`` spectra (default 100): with that many
  spectra and a wrong top hit in even a small share of them, a valid run gives decoy winners.
"""

from __future__ import annotations

import math
from pathlib import Path

from specsweep.contracts.fragment_db import FragmentDatabase


class BalanceError(ValueError):
    """The input cannot give a valid target-decoy FDR estimate."""


def _binom_sf(k: int, n: int, p: float = 0.5) -> float:
    """Upper tail P(X >= k) for X ~ Binomial(n, p), summed in log space from k upwards until the
    terms are negligible. Returns 1.0 when k is not above the mean (only small tails matter here)."""
    if k <= n * p:
        return 1.0
    if k > n:
        return 0.0
    log_p, log_q = math.log(p), math.log1p(-p)
    total = 0.0
    first = None
    for i in range(k, n + 1):
        term = math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q
        if first is None:
            first = term
        total += math.exp(term - first)
        if i > k and term - first < -40:
            break
    return min(1.0, math.exp(first) * total)


def check_candidates_balance(n_candidates: int, n_decoy_candidates: int, n_winners: int,
                             n_decoy_winners: int, n_ties: int = 0, alpha: float = 1e-6,
                             min_winners_for_zero: int = 100, check_share: bool = True) -> dict:
    """Raise :class:`BalanceError` if the counts cannot come from a valid target-decoy search.

    ``n_ties``: spectra whose best target and best decoy score exactly alike (a target and its
    own decoy tie when neither matches a peak); the tie rule gives them to the decoy, so they are
    left out of the share test. With ``check_share`` False only the absence of decoys is refused.
    Returns the figures checked (for summary.json).
    """
    info = {"n_candidates": int(n_candidates), "n_decoy_candidates": int(n_decoy_candidates),
            "n_winners": int(n_winners), "n_decoy_winners": int(n_decoy_winners),
            "n_ties": int(n_ties)}
    if n_candidates == 0:
        return info
    if n_decoy_candidates == 0:
        raise BalanceError(
            f"the candidates hold no decoy hit among {n_candidates} rows: the database was built or "
            "searched without decoys, so no FDR can be estimated (rebuild it with `specsweep "
            "fragment`, which writes one decoy per target)")
    share = n_decoy_winners / n_winners if n_winners else 0.0
    info["decoy_winner_share"] = share
    n_untied, d_untied = n_winners - n_ties, n_decoy_winners - n_ties
    p_high = _binom_sf(d_untied, n_untied, 0.5)
    info["p_decoy_share_above_half"] = p_high
    info["share_checked"] = bool(check_share)
    if not check_share:
        return info
    if p_high < alpha:
        raise BalanceError(
            f"decoys win {d_untied} of {n_untied} spectra not decided by a tie "
            f"({d_untied / n_untied:.1%}); a valid search gives "
            f"at most about half (binomial p = {p_high:.2g}). Decoys are easier to match than "
            "targets: check the decoy database and the search settings")
    if n_decoy_winners == 0 and n_winners >= min_winners_for_zero:
        raise BalanceError(
            f"no decoy wins any of {n_winners} spectra although {n_decoy_candidates} decoy hits were "
            "found: decoys are not competing with targets (broken decoy database?)")
    return info


def check_db_manifest(path: str | Path) -> dict:
    """Check ``<db>/manifest.json``: every shard and the total hold as many decoys as targets."""
    db = FragmentDatabase(path)
    path = db.manifest_path
    manifest = db.read_manifest()
    shards = manifest.get("shards", [])
    n_t = n_d = 0
    for shard in shards:
        t, d = int(shard.get("n_targets", 0)), int(shard.get("n_decoys", 0))
        if t != d:
            raise BalanceError(f"{path}: shard {shard.get('file')} has {t} targets but {d} decoys; "
                               "target-decoy FDR needs exactly one decoy per target")
        n_t, n_d = n_t + t, n_d + d
    if n_d == 0:
        raise BalanceError(f"{path}: the database has no decoys (targets: {n_t})")
    return {"db_targets": n_t, "db_decoys": n_d, "db_shards": len(shards)}
