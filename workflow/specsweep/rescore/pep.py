"""Posterior error probabilities (PEP) of top hits, adapted to the dataset, and q-values from them.

The PEP model gives, for a spectrum's top target after rescoring, probabilities of three
classes (:data:`CLASSES`): the top hit is the right structure; the right structure is among
the candidates but another one is on top; the right structure is not among the candidates at
all (not in the database). The PEP is 1 - P(right).

How often the right structure is in the database differs from dataset to dataset (nearly always
for reference spectra, rarely for an untargeted run), and the PEP depends on it. So the class
frequencies are re-estimated on each dataset by expectation-maximisation over its own top hits,
keeping the model's class-conditional evidence fixed (Saerens, Latinne & Decaestecker, *Neural
Comput* 2002, "Adjusting the outputs of a classifier to new a priori probabilities"): the
maximum-likelihood frequencies, without pseudo-counts by default (:data:`PRIOR_PSEUDO_COUNT`).
All three are re-estimated by default (:data:`ADAPT_DEFAULT`, with why "absent only" is not).

A hit that explains no peak has no evidence: its PEP is 1, whatever the model says.

q-values: sort hits by PEP ascending; the q-value of a hit is the mean PEP of all hits up to and
including it (the expected share of wrong hits in that accepted set; Käll et al., *J Proteome
Res* 2008). Hits with equal PEP share the q-value of their whole tie group.
"""

from __future__ import annotations

import numpy as np

CLASSES = ("right", "outranked", "absent")
# Pseudo-hits at the training frequencies added to the M-step. None by default: a top hit whose
# compound is absent looks much like one whose right structure was outranked, so the likelihood
# is nearly flat along "outranked <-> absent", and even a few pseudo-hits at the training
# mixture (49 % absent) moved the estimate far along it. With 20, a dataset whose compounds
# are all in the database got twice its absent share and PEPs about twice too high at the
# confident end (dev_full validation compounds: true / estimated FDP 0.28-0.61 at PEP q 5-20 %,
# against 0.61-0.77 without). The price: a dataset of a few dozen spectra gets a noisy
# estimate (use the repository-wide rescoring, fdr.global, to pool small datasets).
PRIOR_PSEUDO_COUNT = 0.0


# Which class frequencies a dataset may change (ADAPT_DEFAULT). "all": the three are
# re-estimated freely. "absent": only the share of spectra whose compound is not among the
# candidates; right : outranked keeps its training ratio. "absent" suits a database like the
# training one (dev_500 against the 81k database, every compound present: true / estimated FDP
# 0.59 / 0.75 / 0.96 at PEP q 5 / 10 / 20 %, against 0.35 / 0.65 / 0.77 with "all"), but how
# often the right structure comes first depends on the database: against 80k + 1.9M MOSES
# molecules with every compound removed, "absent" still called a quarter of the top hits right
# and accepted 8 wrong hits at PEP q 20 %, and with half removed it was optimistic 1.7-2.4
# times, where "all" accepted nothing and stayed within 1.25 times with 20 or more hits
# (benchmarks/RESULTS.md, "rescore"). So "all", cautious where "absent" is right.
ADAPT_DEFAULT = "all"


def adapt_priors(proba: np.ndarray, train_prior: np.ndarray,
                 pseudo_count: float = PRIOR_PSEUDO_COUNT, max_iter: int = 500,
                 tol: float = 1e-7, adapt: str = ADAPT_DEFAULT) -> tuple[np.ndarray, np.ndarray]:
    """EM re-estimate of the class frequencies of a dataset (Saerens et al. 2002).

    ``proba``: (n, K) posteriors under the training frequencies ``train_prior`` (K,).
    The M-step is a MAP estimate with ``pseudo_count`` virtual hits distributed as the training
    frequencies. ``adapt``: "all" re-estimates every frequency; "absent" only the last class's
    (the others keep their training ratio). Returns (adjusted posteriors (n, K), estimated
    frequencies (K,)).
    """
    proba = np.asarray(proba, np.float64)
    train_prior = np.asarray(train_prior, np.float64)
    if proba.ndim != 2 or proba.shape[1] != train_prior.shape[0]:
        raise ValueError(f"posteriors {proba.shape} do not match {train_prior.shape[0]} classes")
    if adapt not in ("all", "absent"):
        raise ValueError(f"adapt must be 'all' or 'absent', not {adapt!r}")
    if proba.shape[0] == 0:
        return proba.copy(), train_prior.copy()
    prior = train_prior.copy()
    for _ in range(max_iter):
        w = proba * (prior / train_prior)
        post = w / w.sum(axis=1, keepdims=True)
        new = (post.sum(axis=0) + pseudo_count * train_prior) / (proba.shape[0] + pseudo_count)
        if adapt == "absent":   # keep the present classes at their training ratio
            new = np.append(train_prior[:-1] * (1.0 - new[-1]) / (1.0 - train_prior[-1]), new[-1])
        done = np.max(np.abs(new - prior)) < tol
        prior = new
        if done:
            break
    w = proba * (prior / train_prior)
    return w / w.sum(axis=1, keepdims=True), prior


def class_evidence(proba: np.ndarray, train_prior: np.ndarray) -> np.ndarray:
    """Posteriors at the training frequencies divided by those frequencies, normalised per row:
    the class likelihoods up to a factor, free of the frequencies the model was trained at."""
    e = np.asarray(proba, np.float64) / np.asarray(train_prior, np.float64)
    return e / e.sum(axis=1, keepdims=True)


def peps_from_evidence(evidence: np.ndarray, n_matched: np.ndarray,
                       adapt: str = ADAPT_DEFAULT) -> tuple[np.ndarray, np.ndarray]:
    """PEPs of top hits from their :func:`class_evidence`, the class frequencies re-estimated on
    exactly these hits (any mix of datasets scored by models of the same classes). Returns
    (PEPs, estimated frequencies)."""
    evidence = np.asarray(evidence, np.float64)
    flat = np.full(evidence.shape[1], 1.0 / evidence.shape[1])
    post, prior = adapt_priors(evidence, flat, adapt=adapt)
    return pep_from_proba(post, n_matched), prior


def pep_from_proba(proba: np.ndarray, n_matched: np.ndarray) -> np.ndarray:
    """PEP = 1 - P(right); exactly 1 for hits that explain no peak."""
    pep = 1.0 - np.asarray(proba, np.float64)[:, 0]
    pep = np.clip(pep, 0.0, 1.0)
    return np.where(np.asarray(n_matched) > 0, pep, 1.0)


def pep_qvalues(pep) -> np.ndarray:
    """q-value of each hit: the mean PEP of the hits with PEP at or below its own (tie groups
    taken whole). Input order is kept."""
    pep = np.asarray(pep, np.float64)
    if pep.ndim != 1:
        raise ValueError("pep must be 1-D")
    if pep.size == 0:
        return np.empty(0)
    if np.isnan(pep).any() or (pep < 0).any() or (pep > 1).any():
        raise ValueError("PEPs must be probabilities in [0, 1] (no NaN)")
    order = np.argsort(pep, kind="stable")
    s = pep[order]
    mean = np.cumsum(s) / np.arange(1, s.size + 1)
    last = np.flatnonzero(np.append(s[1:] != s[:-1], True))   # end of each tie group
    group_end = np.repeat(last, np.diff(np.concatenate(([-1], last))))
    q = np.empty_like(pep)
    q[order] = mean[group_end]
    return q
