"""Training the rescoring model on known-answer spectra (``specsweep train-rescorer``).

Input: candidates of reference spectra searched against a database (targets; decoys are
ignored), and the spectra folder with their reference structures (``annotation_inchikey14``).
A candidate is right when its first InChIKey block equals the spectrum's.

Held-out compounds are enforced here, not by convention: every spectrum whose compound (first
InChIKey block) is on the exclusion list is dropped before anything is computed, the count is
recorded in the model file with a digest of the list, and :func:`check_disjoint` refuses a
training set that still holds one.

Compounds are split by a hash of their key into a training part and a validation part; the
regularisation strengths are chosen on validation (ranker: top-1; PEP model: log-loss over the
three classes), then both models are refitted on training + validation.

PEP training data: every spectrum appears twice, once as searched (classes ``right`` or
``outranked``; ``absent`` when the right structure was not among its candidates) and once with
the right structure's rows removed and the features recomputed (``absent``), so the model sees
what a top hit looks like when the compound is not in the database. The PEP recalibration
(:mod:`specsweep.rescore.recalibration`) is then fitted on cross-fitted simulated datasets
(:func:`recalibration_examples`).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from specsweep.rescore.features import (FEATURES, LIST_DEPTH, formula_rank_inv, list_features,
                                        read_formula_evidence, within_depth)
from specsweep.rescore.linear import fit_conditional_logit, fit_multinomial, multinomial_proba
from specsweep.rescore.model import (FORMULA_FEATURE, RescoreModel, Standardiser,
                                     pep_feature_names, top_features)
from specsweep.rescore.pep import CLASSES, adapt_priors, pep_from_proba
from specsweep.rescore.recalibration import ABSENT_FRACTIONS, Recalibration, mix_share

log = logging.getLogger("specsweep.rescore")

RANKER_FEATURES = tuple(f for f in FEATURES if f != FORMULA_FEATURE)
L2_GRID = (0.01, 0.1, 1.0, 10.0, 100.0)
# MassBank's recorded precursor m/z values are mostly computed from the structure (median error
# 0.08 ppm; ../shared/data/spectra/README.md), so the right candidate's precursor error would be
# a give-away that no measured spectrum offers. Training adds a normal error of this SD (ppm)
# per spectrum, as the `_ppm3` evaluation files do, so that the model learns what a measured
# precursor error is worth.
PPM_NOISE_SD = 3.0
CROSS_FIT_FOLDS = 5
# The PEP model learns from the richest spectrum of each compound (most peaks), the ranker from
# all. A MassBank compound has a series of spectra from near-empty (low collision energy) to
# rich; a dataset holds one spectrum per feature, usually a good one. Fitted on every spectrum
# (compound-weighted), the PEP model judged rich spectra too cautiously: on dev_full
# validation compounds (five datasets, the k-th richest spectrum of each compound, k = 1..5)
# true / estimated FDP 0.62 / 0.63 / 0.72 at PEP q 5 / 10 / 20 % with every compound present;
# trained on the richest spectrum, 0.66 / 0.77 / 0.88 (the 2 or 3 richest: in between;
# benchmarks/RESULTS.md, "rescore").
PEP_SPECTRA_PER_COMPOUND = 1
RECALIBRATION_SEED = 20261203   # which spectra of a simulated dataset lose their right structure


@dataclass
class KnownAnswers:
    """Target candidate rows of known-answer spectra as parallel arrays (one per row)."""
    spec: np.ndarray           # int64 spectrum code
    key: np.ndarray            # object: candidate's first InChIKey block
    true_key: np.ndarray       # object: per spectrum code, the reference key
    score: np.ndarray
    rank: np.ndarray
    n_matched: np.ndarray
    explained: np.ndarray
    exact_mass: np.ndarray
    ppm: np.ndarray
    n_peaks: np.ndarray        # per row
    formula_inv: np.ndarray | None = None

    def take(self, rows: np.ndarray) -> "KnownAnswers":
        f = None if self.formula_inv is None else self.formula_inv[rows]
        return KnownAnswers(self.spec[rows], self.key[rows], self.true_key, self.score[rows],
                            self.rank[rows], self.n_matched[rows], self.explained[rows],
                            self.exact_mass[rows], self.ppm[rows], self.n_peaks[rows], f)

    def is_right(self) -> np.ndarray:
        return self.key == self.true_key[self.spec]

    @property
    def with_formulas(self) -> bool:
        """True when the formula stage's results are part of the evidence (``formula_inv``)."""
        return self.formula_inv is not None

    def ranker_names(self) -> tuple[str, ...]:
        return RANKER_FEATURES + ((FORMULA_FEATURE,) if self.with_formulas else ())

    def pep_names(self) -> tuple[str, ...]:
        return pep_feature_names(self.with_formulas)

    def at_depth(self, depth: int = LIST_DEPTH) -> "KnownAnswers":
        """Each spectrum's ``depth`` best rows by search score, as the rescore stage cuts its
        lists. Cut after any removal, never before: a list cut at 50 and then losing its right
        structure holds 49 rows, a length no searched list of that window has, and the model
        would learn "49 candidates = compound absent" (it did, before this cut moved here)."""
        return self.take(np.flatnonzero(within_depth(self.spec, np.zeros(self.spec.size, bool),
                                                     self.score, self.rank, depth)))

    def features(self):
        return list_features(self.spec, np.zeros(self.spec.size, bool), self.score, self.rank,
                             self.n_matched, self.explained, self.exact_mass, self.ppm,
                             self.n_peaks, self.formula_inv)


def key_half(key: str, salt: str = "rescore-validation", fraction: float = 0.2) -> bool:
    """True when a compound belongs to the validation part (stable hash of its key)."""
    h = int(hashlib.sha256(f"{salt}:{key}".encode()).hexdigest()[:12], 16)
    return h / float(1 << 48) < fraction


def exclusion_digest(keys) -> str:
    return hashlib.sha256("\n".join(sorted(set(keys))).encode()).hexdigest()[:16]


def check_disjoint(training_keys, excluded) -> None:
    """Refuse a training set that holds an excluded compound."""
    bad = sorted(set(training_keys) & set(excluded))
    if bad:
        raise ValueError(f"{len(bad)} training compounds are on the exclusion list "
                         f"(e.g. {bad[0]}); refusing to train")


def ranker_lists(data: KnownAnswers):
    """Lists with the right structure present (one right row each: its best-scoring row)."""
    data = data.at_depth()
    order, lists, X = data.features()
    right = data.is_right()[order]
    n_lists = int(lists.max()) + 1 if lists.size else 0
    first_right = np.full(n_lists, -1)
    idx = np.flatnonzero(right)
    for i in idx[::-1]:               # keep the first (best-scoring) right row of each list
        first_right[lists[i]] = i
    has = first_right >= 0
    keep = has[lists] & (~right | (np.arange(lists.size) == first_right[lists]))
    return X[keep], lists[keep], right[keep], data.spec[order][keep]


def fit_ranker(X, lists, positive, group_weight, l2, names) -> tuple[Standardiser, np.ndarray]:
    cols = [FEATURES.index(f) for f in names]
    std = Standardiser.fit(names, X[:, cols])
    w = fit_conditional_logit(std.apply(X[:, cols]), lists, positive, group_weight, l2)
    return std, w


def pep_examples(data: KnownAnswers, std: Standardiser, w: np.ndarray):
    """PEP features, class labels and spectrum codes: each spectrum as searched and with its
    right structure removed."""
    model = RescoreModel(std, w, None, None, None)
    out_P, out_y, out_spec, out_removed = [], [], [], []
    for removed in (False, True):
        part = (data.take(np.flatnonzero(~data.is_right())) if removed else data).at_depth()
        order, lists, X = part.features()
        u = model.rescore(X)
        top, P = top_features(X, lists, u, data.pep_names())
        spec = part.spec[order][top]
        right = part.is_right()[order]
        if removed:
            y = np.full(top.size, 2)
        else:
            any_right = np.zeros(int(lists.max()) + 1 if lists.size else 0, bool)
            any_right[lists[right]] = True
            y = np.where(right[top], 0, np.where(any_right, 1, 2))
        out_P.append(P), out_y.append(y), out_spec.append(spec)
        out_removed.append(np.full(top.size, removed))
    return (np.concatenate(out_P), np.concatenate(out_y), np.concatenate(out_spec),
            np.concatenate(out_removed))


def richest_spectra(data: KnownAnswers, per_compound: int = PEP_SPECTRA_PER_COMPOUND) -> np.ndarray:
    """Bool per spectrum code: the spectrum is among the ``per_compound`` of its compound with the
    most peaks (ties: the lower code). Codes without rows count as empty spectra."""
    n = data.true_key.size
    peaks = np.zeros(n)
    np.maximum.at(peaks, data.spec, data.n_peaks)
    keys = data.true_key.astype(str)
    order = np.lexsort((np.arange(n), -peaks, keys))
    ks = keys[order]
    start = np.r_[0, np.flatnonzero(ks[1:] != ks[:-1]) + 1] if n else np.zeros(0, np.int64)
    rank = np.arange(n) - np.repeat(start, np.diff(np.r_[start, n]))
    keep = np.zeros(n, bool)
    keep[order[rank < per_compound]] = True
    return keep


def pep_examples_crossfit(data: KnownAnswers, l2_rank: float, folds: int = CROSS_FIT_FOLDS,
                          keep: np.ndarray | None = None):
    """:func:`pep_examples` with every spectrum's rescore taken from a ranker that did not see
    its compound (folds by a hash of the compound key), and those rankers. A ranker scores its
    own training spectra a little too well; a PEP model fitted on those would trust the rescore
    more than new data deserve. ``keep`` (bool per spectrum code): the spectra whose examples
    are made (all by default); the rankers learn from all. Returns (P, y, spec, removed,
    rankers)."""
    fold_of_key = {k: int(hashlib.sha256(f"fold:{k}".encode()).hexdigest()[:8], 16) % folds
                   for k in set(data.true_key.tolist())}
    fold = np.array([fold_of_key[k] for k in data.true_key])[data.spec]
    parts, rankers = [], []
    for f in range(folds):
        X, lists, pos, spec = ranker_lists(data.take(np.flatnonzero(fold != f)))
        gw = compound_weights(data, spec[np.r_[0, np.flatnonzero(np.diff(lists)) + 1]])
        std, w = fit_ranker(X, lists, pos, gw, l2_rank, data.ranker_names())
        rankers.append((std, w))
        use = fold == f if keep is None else (fold == f) & keep[data.spec]
        parts.append(pep_examples(data.take(np.flatnonzero(use)), std, w))
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(4)) + (rankers,)


def average_ranker(rankers, std: Standardiser) -> np.ndarray:
    """Weights, on ``std``'s scale, of the mean of linear rankers given with their own
    standardisers (the mean score differs from theirs by a constant only, which changes no
    ranking and no softmax share).

    The shipped ranker is this mean of the cross-fitted rankers whose scores the PEP model
    learnt from, not a ranker refitted on all compounds: that one has larger weights (more
    data, same penalty), so it scores new spectra more confidently than anything the PEP model
    saw, and the PEP model then called too many hits right. On dev_full validation compounds it
    made the estimated "absent" share 0.15-0.3 too low where compounds were missing, and the
    PEPs optimistic (true / estimated FDP 1.4-1.9 with half the compounds removed); ranking is
    the same either way (top-1 within 0.2 points)."""
    raw = np.mean([w / s.scale for s, w in rankers], axis=0)
    return raw * std.scale


def fit_pep(P, y, weight, l2, names) -> tuple[Standardiser, np.ndarray, np.ndarray]:
    std = Standardiser.fit(names, P, weight)
    W = fit_multinomial(std.apply(P), y, len(CLASSES), weight, l2)
    prior = np.array([weight[y == k].sum() for k in range(len(CLASSES))]) / weight.sum()
    return std, W, prior


def compound_weights(data: KnownAnswers, spec: np.ndarray) -> np.ndarray:
    """1 / (spectra of the compound), so that every compound counts once."""
    keys = data.true_key[spec]
    _, inv, counts = np.unique(keys.astype(str), return_inverse=True, return_counts=True)
    return 1.0 / counts[inv]


def top1(data: KnownAnswers, std, w) -> float:
    """Share of spectra with the right structure among the candidates whose top row is right."""
    X, lists, positive, _ = ranker_lists(data)
    u = RescoreModel(std, w, None, None, None).rescore(X)
    top, _ = top_features(X, lists, u)
    return float(positive[top].mean()) if top.size else 0.0


def log_loss(W, std, P, y, weight) -> float:
    p = multinomial_proba(W, std.apply(P))
    return float(-np.sum(weight * np.log(np.maximum(p[np.arange(y.size), y], 1e-15))) / weight.sum())


def train(data: KnownAnswers, validation: np.ndarray, info: dict,
          refit_on_all: bool = True, other_databases=()) -> RescoreModel:
    """Choose l2 on the validation spectra (bool per spectrum code), refit on all (or, with
    ``refit_on_all=False``, on the training part only, to check the model on validation), return
    the model. ``info`` is stored in the model file."""
    if any(o.with_formulas != data.with_formulas for o in other_databases):
        raise ValueError("the map's other databases need the formula stage's results exactly when "
                         "the training candidates have them")
    val_rows = validation[data.spec]
    tr, va = data.take(np.flatnonzero(~val_rows)), data.take(np.flatnonzero(val_rows))
    X, lists, pos, spec = ranker_lists(tr)
    gw = compound_weights(tr, spec[np.r_[0, np.flatnonzero(np.diff(lists)) + 1]]) if lists.size \
        else np.zeros(0)
    cols = [FEATURES.index(f) for f in RANKER_FEATURES]
    by_score = (Standardiser.fit(RANKER_FEATURES, X[:, cols]),
                np.array([1.0 if f == "score" else 0.0 for f in RANKER_FEATURES]))
    base = top1(va, *by_score)   # the search score alone, same lists
    grid = {}
    for l2 in L2_GRID:
        grid[l2] = top1(va, *fit_ranker(X, lists, pos, gw, l2, data.ranker_names()))
        log.info("ranker l2=%g: validation top-1 %.4f", l2, grid[l2])
    l2_rank = max(L2_GRID, key=lambda v: (grid[v], v))
    std, w = fit_ranker(X, lists, pos, gw, l2_rank, data.ranker_names())
    richest = richest_spectra(data)
    P, y, spec, _, rankers = pep_examples_crossfit(tr, l2_rank, keep=richest)
    std, w = std, average_ranker(rankers, std)   # what the PEP model will be applied to
    Pv, yv, specv, _ = pep_examples(va.take(np.flatnonzero(richest[va.spec])), std, w)
    wt, wv = compound_weights(tr, spec), compound_weights(va, specv)
    pep_grid = {}
    for l2 in L2_GRID:
        s, W, _ = fit_pep(P, y, wt, l2, data.pep_names())
        pep_grid[l2] = log_loss(W, s, Pv, yv, wv)
        log.info("PEP l2=%g: validation log-loss %.4f", l2, pep_grid[l2])
    l2_pep = min(L2_GRID, key=lambda v: (pep_grid[v], -v))
    # refit both on training + validation with the chosen settings
    data = data if refit_on_all else tr
    X, lists, pos, spec = ranker_lists(data)
    gw = compound_weights(data, spec[np.r_[0, np.flatnonzero(np.diff(lists)) + 1]])
    std, _ = fit_ranker(X, lists, pos, gw, l2_rank, data.ranker_names())   # its scale; weights: the mean
    P, y, spec, _, rankers = pep_examples_crossfit(data, l2_rank, keep=richest)
    w = average_ranker(rankers, std)
    p_std, W, prior = fit_pep(P, y, compound_weights(data, spec), l2_pep, data.pep_names())
    recal_pep, recal_absent, recal_wrong = recalibration_examples(
        data, richest, l2_rank, l2_pep, other_databases=other_databases)
    recalibration = Recalibration.fit(recal_pep, recal_absent, recal_wrong)
    info = {**info, "ranker_l2": l2_rank, "pep_l2": l2_pep,
            "pep_recalibration_hits": int(recal_pep.size),
            "pep_spectra_per_compound": PEP_SPECTRA_PER_COMPOUND,
            "validation": {"ranker_top1_by_l2": {str(k): round(v, 4) for k, v in grid.items()},
                           "search_score_top1": round(base, 4),
                           "pep_logloss_by_l2": {str(k): round(v, 4) for k, v in pep_grid.items()}}}
    return RescoreModel(std, w, p_std, W, prior, info, recalibration=recalibration)


def _map_fold(key: str, folds: int) -> int:
    return int(hashlib.sha256(f"recalibration:{key}".encode()).hexdigest()[:8], 16) % folds


def recalibration_examples(data: KnownAnswers, richest: np.ndarray, l2_rank: float, l2_pep: float,
                           folds: int = CROSS_FIT_FOLDS, other_databases=()):
    """Top hits of simulated datasets for fitting :class:`Recalibration`: per fold of compounds
    (hash of the key), ranker and PEP model are fitted on the other folds with the chosen
    settings; the fold's richest spectra form one dataset per share in ``ABSENT_FRACTIONS``
    (that share of its spectra with the right structure removed, chosen by a seeded draw), whose
    class frequencies EM re-estimates as the rescore stage does. ``other_databases``: known
    answers of the same kind of spectra searched against other databases (their richest
    spectra of the fold's compounds make further datasets, scored by the same fold models).
    Returns (PEP, the dataset's mix share, wrong) per hit."""
    fold = np.array([_map_fold(k, folds) for k in data.true_key], np.int64)
    others = [(o, np.array([_map_fold(k, folds) for k in o.true_key], np.int64), richest_spectra(o))
              for o in other_databases]
    peps, absent, wrong = [], [], []
    matched_col = data.pep_names().index("log_matched")
    for f in range(folds):
        rest = data.take(np.flatnonzero(fold[data.spec] != f))
        held = [data.take(np.flatnonzero((fold[data.spec] == f) & richest[data.spec]))] + [
            o.take(np.flatnonzero((o_fold[o.spec] == f) & o_rich[o.spec])) for o, o_fold, o_rich in others]
        if not rest.spec.size:
            continue
        P, y, spec, _, rankers = pep_examples_crossfit(rest, l2_rank, keep=richest)
        if np.unique(y).size < 2:
            continue
        std0 = rankers[0][0]
        w = average_ranker(rankers, std0)
        p_std, W, prior = fit_pep(P, y, compound_weights(rest, spec), l2_pep, data.pep_names())
        model = RescoreModel(std0, w, p_std, W, prior)
        for h, part in enumerate(held):
            if not part.spec.size:
                continue
            Pv, yv, specv, removed = pep_examples(part, std0, w)
            raw = model.top_proba(Pv)
            matched = np.expm1(Pv[:, matched_col])
            draw = np.random.default_rng([RECALIBRATION_SEED, f, h]).random(part.true_key.size)
            for share in ABSENT_FRACTIONS:
                sel = removed == (draw[specv] < share)
                if not sel.any():
                    continue
                proba, est = adapt_priors(raw[sel], prior)
                peps.append(pep_from_proba(proba, matched[sel]))
                absent.append(np.full(int(sel.sum()), mix_share(est)))
                wrong.append(yv[sel] != 0)
    if not peps:
        return np.zeros(0), np.zeros(0), np.zeros(0, bool)
    return np.concatenate(peps), np.concatenate(absent), np.concatenate(wrong)


def precursor_noise_ppm(spectrum_ids, sd: float) -> np.ndarray:
    """One seeded normal draw (ppm) per spectrum id, from a hash of the id."""
    out = np.empty(len(spectrum_ids))
    for i, sid in enumerate(spectrum_ids):
        seed = int(hashlib.sha256(f"ppm-noise:{sid}".encode()).hexdigest()[:16], 16)
        out[i] = np.random.default_rng(seed).normal(0.0, sd)
    return out


def known_answers(candidates, annotation: dict, n_peaks: dict, excluded=frozenset(),
                  keep_spectra=None, ppm_noise_sd: float = 0.0,
                  formulas=None) -> tuple[KnownAnswers, dict]:
    """Target rows of annotated spectra as :class:`KnownAnswers`, excluded compounds dropped.

    ``candidates``: a CANDIDATES table; ``annotation``: spectrum_id -> first InChIKey block;
    ``keep_spectra``: optional set of spectrum ids to use; ``ppm_noise_sd``: add a seeded
    normal error (ppm) per spectrum to the candidates' precursor errors; ``formulas``: the
    formula stage's results for (some of) these spectra (FORMULAS table), which then become
    evidence (:func:`~specsweep.rescore.features.formula_rank_inv`; missing for spectra it
    has no rows for). Returns the data and counts.
    """
    import pyarrow.compute as pc
    t = candidates.filter(pc.invert(candidates.column("is_decoy")))
    ids = t.column("spectrum_id").to_pylist()
    excluded = set(excluded)
    counts = {"spectra": len(set(ids)), "dropped_excluded": 0, "dropped_unannotated": 0}
    seen_spec: dict[str, int] = {}
    true_keys: list[str] = []
    keep = np.zeros(len(ids), bool)
    spec = np.full(len(ids), -1, np.int64)   # -1: not used
    status: dict[str, str] = {}
    for i, sid in enumerate(ids):
        if sid not in status:
            key = annotation.get(sid)
            status[sid] = ("unannotated" if not key else "excluded" if key in excluded
                           else "skip" if keep_spectra is not None and sid not in keep_spectra
                           else "ok")
            if status[sid] in ("unannotated", "excluded"):
                counts[f"dropped_{status[sid]}"] += 1
            if status[sid] == "ok":
                seen_spec[sid] = len(true_keys)
                true_keys.append(key)
        if status[sid] == "ok":
            keep[i] = True
            spec[i] = seen_spec[sid]
    check_disjoint(true_keys, excluded)
    keys = np.asarray(t.column("inchikey14").to_pylist(), object)
    # rows any list can need: the LIST_DEPTH best as searched, and the LIST_DEPTH best once the
    # right structure is removed (KnownAnswers.at_depth cuts each copy itself)
    score, rank = t.column("score").to_numpy(), t.column("rank").to_numpy()
    right = keep & (keys == np.asarray(true_keys + [None], object)[spec])
    no_decoy = np.zeros(len(ids), bool)
    keep &= (within_depth(spec, no_decoy, score, rank, LIST_DEPTH)
             | within_depth(np.where(right, -1, spec), no_decoy, score, rank, LIST_DEPTH) & ~right)
    rows = np.flatnonzero(keep)
    col = {c: t.column(c).to_numpy(zero_copy_only=False) for c in
           ("score", "rank", "n_matched_peaks", "explained_intensity", "exact_mass",
            "precursor_error_ppm")}
    peaks = np.array([n_peaks.get(ids[i], 0) for i in rows], np.float64)
    data = KnownAnswers(spec[rows], keys[rows], np.asarray(true_keys, object),
                        col["score"][rows].astype(float), col["rank"][rows],
                        col["n_matched_peaks"][rows], col["explained_intensity"][rows],
                        col["exact_mass"][rows], col["precursor_error_ppm"][rows], peaks)
    if formulas is not None:
        row_ids = [ids[i] for i in rows]
        data.formula_inv = formula_rank_inv(row_ids, data.exact_mass, formulas)
        counts["with_formulas"] = len(set(row_ids) & set(formulas.column("spectrum_id").to_pylist()))
    if ppm_noise_sd > 0:   # measured-like precursors (see PPM_NOISE_SD)
        data.ppm = data.ppm + precursor_noise_ppm(np.asarray(list(seen_spec)), ppm_noise_sd)[data.spec]
    counts["used"] = len(true_keys)
    counts["compounds"] = len(set(true_keys))
    return data, counts


def training_set(candidate_paths, spectra_paths, excluded,
                 formula_paths=()) -> tuple[KnownAnswers, np.ndarray, dict]:
    """Known answers from files, the validation flag per spectrum code, and the record of what
    was used (stored in the model file). ``formula_paths``: the formula stage's results for
    these spectra (their precursor m/z moved by :func:`precursor_noise_ppm`, as the training
    moves the candidates' precursor errors; docs/fdr.md); with them the model uses the formula
    evidence."""
    import pyarrow as pa
    from specsweep.files import read_table
    from specsweep.rescore.stage import peak_counts
    from specsweep.schema import CANDIDATES
    from specsweep.spectra.parts import read_spectra
    annotation: dict = {}
    n_peaks: dict = {}
    ion_modes: set = set()
    for folder in spectra_paths:
        t = read_spectra(folder, columns=["spectrum_id", "annotation_inchikey14", "ion_mode"])
        annotation.update(zip(t.column("spectrum_id").to_pylist(),
                              t.column("annotation_inchikey14").to_pylist()))
        ion_modes.update(m for m, k in zip(t.column("ion_mode").to_pylist(),
                                           t.column("annotation_inchikey14").to_pylist()) if k)
        n_peaks.update(peak_counts(folder))
    table = pa.concat_tables([read_table(p, CANDIDATES) for p in candidate_paths])
    formulas = read_formula_evidence(formula_paths) if formula_paths else None
    data, counts = known_answers(table, annotation, n_peaks, excluded,
                                 ppm_noise_sd=PPM_NOISE_SD, formulas=formulas)
    validation = np.array([key_half(k) for k in data.true_key], bool)
    info = {"trained_on": {"candidates": [Path(p).name for p in candidate_paths], **counts,
                           "validation_spectra": int(validation.sum())},
            "precursor_noise_ppm_sd": PPM_NOISE_SD, "list_depth": LIST_DEPTH,
            "excluded": {"compounds": len(set(excluded)), "sha256_16": exclusion_digest(excluded)},
            "search": training_search(candidate_paths, sorted(ion_modes))}
    if formula_paths:
        info["formulas"] = [Path(p).name for p in formula_paths]
    return data, validation, info


def training_search(candidate_paths, ion_modes) -> dict | None:
    """The search the training candidates came from (:mod:`specsweep.rescore.provenance`),
    from the summaries next to them; None (with a warning) when one is missing."""
    from specsweep.rescore.provenance import (common_record, read_search_summary,
                                              search_record, search_summary_path)
    summaries = [read_search_summary(search_summary_path(p)) for p in candidate_paths]
    if any(s is None for s in summaries):
        log.warning("no search summary next to %s: the model will not record its search, and "
                    "the rescore stage cannot check candidates against it",
                    [str(p) for p, s in zip(candidate_paths, summaries) if s is None])
        return None
    record = common_record([search_record(s, ion_modes) for s in summaries],
                           [str(p) for p in candidate_paths])
    return {**record, "ion_modes": list(ion_modes)}
