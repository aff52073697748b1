"""How many of the accepted hits are wrong: an interval around the expected number.

The expected number of wrong hits in an accepted set is the sum of their PEPs. The true number
scatters around it for two reasons: each hit is right or wrong by chance (a Poisson-binomial
count), and the PEPs rest on class frequencies that EM estimated from the same, finite dataset
(:func:`specsweep.rescore.pep.adapt_priors`). On a few hundred spectra the second is as large as
the first: on dev_full training compounds (nested out-of-fold, datasets of ~500 richest spectra)
EM's share of right top hits was off by up to 0.04, which moved the wrong count at PEP q 5 % by a
third (benchmarks/RESULTS.md, "rescore", "How far the count of wrong hits can be from its
estimate").

:func:`wrong_count_interval` draws class frequencies from the normal approximation of their
maximum-likelihood estimate (covariance: inverse observed information of the mixture
likelihood, per group of hits that share one estimate, e.g. an ion mode), recomputes the
accepted hits' PEPs under each draw, and draws each hit right or wrong; the interval is the
central ``coverage`` share of the wrong counts. The accepted set itself is held fixed. Seeded:
the same input gives the same interval. Model error (class evidence learnt on other spectra)
is not in it.
"""

from __future__ import annotations

import numpy as np

from specsweep.rescore.pep import adapt_priors

COVERAGE = 0.90
DRAWS = 400
SEED = 20261203
# above this many accepted hits the right/wrong draws are replaced by their normal approximation
# (mean sum p, variance sum p(1-p)): exact draws would cost draws x hits random numbers
EXACT_DRAWS_UP_TO = 20_000


def frequency_draws(evidence: np.ndarray, draws: int, rng: np.random.Generator) -> np.ndarray:
    """(draws, K) class frequencies around the EM estimate of ``evidence`` (rows: class
    likelihoods up to a factor, :func:`~specsweep.rescore.pep.class_evidence`), from the normal
    approximation with the inverse observed information; clipped to the simplex."""
    evidence = np.asarray(evidence, np.float64)
    k = evidence.shape[1]
    _, prior = adapt_priors(evidence, np.full(k, 1.0 / k))
    if evidence.shape[0] < 2:
        return np.repeat(prior[None, :], draws, axis=0)
    mix = np.maximum(evidence @ prior, 1e-300)
    d = (evidence[:, :-1] - evidence[:, -1:]) / mix[:, None]   # score of the K-1 free frequencies
    d = np.where(np.isfinite(d), d, 0.0)
    try:
        cov = np.linalg.pinv(d.T @ d)
        vals, vecs = np.linalg.eigh((cov + cov.T) / 2)
    except np.linalg.LinAlgError:   # no usable curvature: the estimate without its spread
        return np.repeat(prior[None, :], draws, axis=0)
    root = vecs * np.sqrt(np.clip(vals, 0.0, None))
    free = prior[:-1] + rng.standard_normal((draws, k - 1)) @ root.T
    out = np.column_stack([free, 1.0 - free.sum(axis=1)])
    out = np.clip(out, 1e-9, None)
    return out / out.sum(axis=1, keepdims=True)


def wrong_count_interval(evidence: np.ndarray, n_matched: np.ndarray, accepted: np.ndarray,
                         groups: np.ndarray | None = None, coverage: float = COVERAGE,
                         draws: int = DRAWS, seed: int = SEED) -> tuple[int, int]:
    """Central ``coverage`` interval (low, high) of the number of wrong hits among the
    ``accepted`` ones (bool per row).

    ``evidence``: (n, K) class evidence of every top hit of the dataset (the rows EM saw, not only
    the accepted ones), first class "right"; ``n_matched``: hits without a matched peak have
    PEP 1 and are always counted wrong; ``groups``: one label per row, hits of one label share
    one frequency estimate (default: all one)."""
    evidence = np.asarray(evidence, np.float64)
    accepted = np.asarray(accepted, bool)
    if evidence.ndim != 2 or accepted.shape != (evidence.shape[0],):
        raise ValueError("evidence must be (n, K) and accepted one bool per row")
    if not np.isfinite(evidence).all():
        raise ValueError("evidence must be finite (rows of top hits only)")
    if not 0.0 < coverage < 1.0:
        raise ValueError(f"coverage must be in (0, 1), not {coverage}")
    if not accepted.any():
        return 0, 0
    groups = np.zeros(evidence.shape[0], np.int64) if groups is None else np.asarray(groups)
    no_peak = np.asarray(n_matched) <= 0
    rng = np.random.default_rng(seed)
    mean = np.zeros(draws)
    var = np.zeros(draws)
    exact = np.zeros(draws)
    n_acc = int(accepted.sum())
    for g in sorted(set(groups.tolist())):
        rows = groups == g
        acc = rows & accepted & ~no_peak
        if not acc.any():
            continue
        freq = frequency_draws(evidence[rows], draws, rng)
        ev = evidence[acc]
        for b in range(draws):
            w = ev * freq[b]
            pep = 1.0 - w[:, 0] / w.sum(axis=1)
            if n_acc <= EXACT_DRAWS_UP_TO:
                exact[b] += np.count_nonzero(rng.random(pep.size) < pep)
            else:
                mean[b] += pep.sum()
                var[b] += float(pep @ (1.0 - pep))
    if n_acc > EXACT_DRAWS_UP_TO:
        exact = np.round(mean + np.sqrt(var) * rng.standard_normal(draws))
    counts = exact + int((accepted & no_peak).sum())
    tail = (1.0 - coverage) / 2.0
    low, high = np.quantile(counts, [tail, 1.0 - tail], method="inverted_cdf")
    return int(low), int(high)
