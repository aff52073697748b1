"""How many of the accepted hits are wrong: an interval around the expected number.

The expected number of wrong hits in an accepted set is the sum of their PEPs. The true number
scatters around it for two reasons: each hit is right or wrong by chance (a Poisson-binomial
count), and the PEPs rest on class frequencies that EM estimated from the same, finite dataset
(:func:`specsweep.rescore.pep.adapt_priors`). On a few hundred spectra the second is as large as
the first: on dev_full training compounds (nested cross-validation, datasets of ~500 richest
spectra) EM's share of right top hits was off by up to 0.07, which moved the wrong count at PEP
q 5 % by half (benchmarks/RESULTS.md, "rescore", "How far the count of wrong hits can be from
its estimate").

:func:`wrong_count_intervals` takes the class frequencies' maximum-likelihood estimate and its
covariance (inverse observed information of the mixture likelihood) once per group of hits that
share one estimate (an ion mode), then for each accepted set:

- up to :data:`EXACT_DRAWS_UP_TO` accepted hits: draws frequencies from the normal
  approximation (clipped to the simplex), recomputes the accepted hits' PEPs under each draw and
  draws each hit right or wrong; the interval is the central ``coverage`` share of the counts;
- above: the delta method (the sum of PEPs is smooth in the frequencies, whose error shrinks as
  1/sqrt(hits)) plus the Poisson-binomial variance, as a normal interval. Cost O(hits), so a
  repository-wide run of millions of spectra pays seconds, not minutes.

The accepted set itself is held fixed. Seeded: the same input gives the same interval. The
model's own error (class evidence learnt on other spectra) is not in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from specsweep.rescore.pep import CLASSES, adapt_priors
from specsweep.rescore.recalibration import mix_share

COVERAGE = 0.90
INTERVAL_KEY = f"interval_{round(COVERAGE * 100)}"   # summaries' name of the interval ("interval_90")
DRAWS = 1000
SEED = 20261203
EXACT_DRAWS_UP_TO = 20_000


@dataclass(frozen=True)
class FrequencyFit:
    """EM estimate of a group's class frequencies (K,) and the covariance (K-1, K-1) of its
    first K-1 entries (the last is one minus their sum)."""
    prior: np.ndarray
    cov: np.ndarray

    def draws(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """(n, K) frequencies from the normal approximation, clipped to the simplex."""
        vals, vecs = np.linalg.eigh((self.cov + self.cov.T) / 2)
        root = vecs * np.sqrt(np.clip(vals, 0.0, None))
        free = self.prior[:-1] + rng.standard_normal((n, self.prior.size - 1)) @ root.T
        out = np.clip(np.column_stack([free, 1.0 - free.sum(axis=1)]), 1e-9, None)
        return out / out.sum(axis=1, keepdims=True)


def fit_frequencies(evidence: np.ndarray) -> FrequencyFit:
    """EM estimate of the class frequencies of ``evidence`` (rows: class likelihoods up to a
    factor, :func:`~specsweep.rescore.pep.class_evidence`) and its covariance."""
    evidence = np.asarray(evidence, np.float64)
    k = evidence.shape[1]
    _, prior = adapt_priors(evidence, np.full(k, 1.0 / k))
    no_spread = FrequencyFit(prior, np.zeros((k - 1, k - 1)))
    if evidence.shape[0] < 2:
        return no_spread
    mix = np.maximum(evidence @ prior, 1e-300)
    d = (evidence[:, :-1] - evidence[:, -1:]) / mix[:, None]   # score of the K-1 free frequencies
    d = np.where(np.isfinite(d), d, 0.0)
    try:
        return FrequencyFit(prior, np.linalg.pinv(d.T @ d))
    except np.linalg.LinAlgError:   # no usable curvature: the estimate without its spread
        return no_spread


def _peps(ev: np.ndarray, freq: np.ndarray, recal=None) -> np.ndarray:
    w = ev * freq
    pep = 1.0 - w[:, 0] / w.sum(axis=1)
    return pep if recal is None else recal.apply(pep, mix_share(freq))


def _free_to_freq(theta: np.ndarray) -> np.ndarray:
    return np.append(theta, 1.0 - theta.sum())


def _delta_moments(ev: np.ndarray, fit: FrequencyFit, recal=None) -> tuple[float, float]:
    """Mean and variance of the wrong count of hits with evidence ``ev``: sum of PEPs at the
    estimate, its variance through the frequencies (delta method, central differences in the
    K-1 free frequencies) plus the hits' own."""
    pep = _peps(ev, fit.prior, recal)
    theta = fit.prior[:-1]
    h = 1e-6
    grad = np.empty(theta.size)
    for k in range(theta.size):
        step = np.zeros(theta.size)
        step[k] = h
        grad[k] = (_peps(ev, _free_to_freq(theta + step), recal).sum()
                   - _peps(ev, _free_to_freq(theta - step), recal).sum()) / (2 * h)
    return float(pep.sum()), float(grad @ fit.cov @ grad + pep @ (1.0 - pep))


def wrong_count_intervals(evidence: np.ndarray, n_matched: np.ndarray, accepted: dict,
                          groups: np.ndarray | None = None, coverage: float = COVERAGE,
                          draws: int = DRAWS, seed: int = SEED, recalibrations=None) -> dict:
    """{name: (low, high)}: central ``coverage`` interval of the number of wrong hits among the
    hits of each mask in ``accepted`` ({name: bool per row}).

    ``evidence``: (n, K) class evidence of every top hit of the dataset (the rows EM saw, not
    only the accepted ones), first class "right"; ``n_matched``: hits without a matched peak
    have PEP 1 and are always counted wrong; ``groups``: one label per row, the hits of one
    label share one frequency estimate (default: all one); ``recalibrations``: {label:
    :class:`~specsweep.rescore.recalibration.Recalibration` or None}, the PEP map of each
    label's hits, applied with each drawn absent share."""
    evidence = np.asarray(evidence, np.float64)
    if evidence.ndim != 2 or not np.isfinite(evidence).all():
        raise ValueError("evidence must be a finite (n, K) array (rows of top hits only)")
    masks = {name: np.asarray(m, bool) for name, m in accepted.items()}
    if any(m.shape != (evidence.shape[0],) for m in masks.values()):
        raise ValueError("each accepted mask needs one bool per row of evidence")
    if not 0.0 < coverage < 1.0:
        raise ValueError(f"coverage must be in (0, 1), not {coverage}")
    groups = np.zeros(evidence.shape[0], np.int64) if groups is None else np.asarray(groups)
    no_peak = np.asarray(n_matched) <= 0
    labels = sorted(set(groups.tolist()))
    fits = {g: fit_frequencies(evidence[groups == g]) for g in labels} if masks else {}
    recal = dict(recalibrations or {})
    tail = (1.0 - coverage) / 2.0
    z = NormalDist().inv_cdf(1.0 - tail)
    out = {}
    for name, mask in masks.items():
        n_acc = int(mask.sum())
        fixed = int((mask & no_peak).sum())
        if n_acc == fixed:
            out[name] = (fixed, fixed)
            continue
        # seeded by the set's size, not its position: the same set gets the same interval in
        # every summary that lists it
        rng = np.random.default_rng([seed, n_acc])
        if n_acc > EXACT_DRAWS_UP_TO:
            mean = var = 0.0
            for g in labels:
                rows = mask & ~no_peak & (groups == g)
                if rows.any():
                    m, v = _delta_moments(evidence[rows], fits[g], recal.get(g))
                    mean, var = mean + m, var + v
            sd = np.sqrt(var)
            low, high = max(0, int(np.floor(mean - z * sd))), min(n_acc, int(np.ceil(mean + z * sd)))
            out[name] = (low + fixed, min(n_acc, high + fixed))
            continue
        counts = np.full(draws, float(fixed))
        for g in labels:
            rows = mask & ~no_peak & (groups == g)
            if not rows.any():
                continue
            ev = evidence[rows]
            for b, freq in enumerate(fits[g].draws(draws, rng)):
                counts[b] += np.count_nonzero(rng.random(ev.shape[0]) < _peps(ev, freq, recal.get(g)))
        low, high = np.quantile(counts, [tail, 1.0 - tail], method="inverted_cdf")
        out[name] = (int(low), int(high))
    return out


def wrong_count_interval(evidence: np.ndarray, n_matched: np.ndarray, accepted: np.ndarray,
                         groups: np.ndarray | None = None, coverage: float = COVERAGE,
                         draws: int = DRAWS, seed: int = SEED,
                         recalibrations=None) -> tuple[int, int]:
    """:func:`wrong_count_intervals` of one accepted mask."""
    return wrong_count_intervals(evidence, n_matched, {"accepted": accepted}, groups, coverage,
                                 draws, seed, recalibrations)["accepted"]


def _mode_of_adduct(adducts) -> dict:
    from specsweep.chem.adducts import resolve_adduct
    return {a: getattr(resolve_adduct(a), "ion_mode", "positive") for a in set(adducts)}


def ion_mode_of_rows(table) -> np.ndarray:
    """Ion mode ("positive"/"negative") of each row of a candidates table, from its adduct: the
    hits of one ion mode share one estimate of the class frequencies (rescore stage and merged
    datasets alike)."""
    adducts = table.column("adduct").to_pylist()
    modes = _mode_of_adduct(adducts)
    return np.array([modes[a] for a in adducts], dtype=object)


def ion_modes_of(table) -> list[str]:
    """The ion modes present in a candidates table (sorted), from its distinct adducts only."""
    import pyarrow.compute as pc
    return sorted(set(_mode_of_adduct(pc.unique(table.column("adduct")).to_pylist()).values())) \
        if table.num_rows else []


def top_target_wrong_counts(top, masks: dict) -> dict:
    """{name: (expected wrong, (low, high))} for masks over ``top``, the top-target rows of a
    RESCORED table (those with a PEP): the sum of the masked PEPs and
    :func:`wrong_count_intervals` of the same hits, class frequencies per ion mode, each ion
    mode's PEP map as the table's metadata names it
    (:func:`~specsweep.rescore.recalibration.from_metadata`)."""
    from specsweep.rescore.recalibration import from_metadata
    if top.num_rows == 0:
        return {name: (0.0, (0, 0)) for name in masks}
    pep = top.column("pep").to_numpy(zero_copy_only=False).astype(np.float64)
    evidence = np.column_stack([top.column(f"evidence_{c}").to_numpy(zero_copy_only=False)
                                .astype(np.float64) for c in CLASSES])
    intervals = wrong_count_intervals(evidence, top.column("n_matched_peaks").to_numpy(
        zero_copy_only=False), masks, ion_mode_of_rows(top),
        recalibrations=from_metadata(top.schema))
    return {name: (round(float(pep[np.asarray(m, bool)].sum()), 2), intervals[name])
            for name, m in masks.items()}
