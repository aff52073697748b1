"""Learned re-ranking of a spectrum's best formula candidates.

The fragmentation-tree posterior (``identify``) ranks all candidates; the ``report_top`` best are
then ordered again by a linear score over per-candidate features (tree score and its gap to the
best, explained peaks and intensity, precursor mass error, RDBE, element counts and ratios, the
fitted element prior, polarity). The model is a conditional logit (softmax over the candidates of
one spectrum; McFadden 1974, as in listwise learning to rank, Cao et al., ICML 2007): P(candidate
i is right | spectrum) = exp(w . u_i) / sum_j exp(w . u_j), where u holds the standardised
features and, for a degree-2 model, all their pairwise products and squares (standardised too). Later SIRIUS versions likewise combine the tree score with further evidence
(Dührkop et al., Nat Methods 16:299, 2019). Trained by :mod:`specsweep.formula.ranker_training`
on dev_full spectra of both polarities without any dev_500 compound (docs/formula.md).

The model file (JSON) names its feature list; a file whose list differs from :data:`FEATURES`
is refused (:class:`RankerSchemaError`), so a model never scores columns it was not trained on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from specsweep.formula.priors import DATA
from specsweep.rescore.linear import column_scale

DEFAULT_MODEL = DATA / "formula_ranker.json"
MODEL_KIND = "specsweep-formula-ranker"
# reference neutral mass (Da) for the mass interaction features
MASS_SCALE = 500.0

# per-candidate features, in the model's column order (the model file's "features" must match)
FEATURES = (
    "total_gap",            # posterior score minus the best of the spectrum's reported candidates
    "tree_gap",             # tree score minus the best tree score of those candidates
    "root_gap",             # root score (prior + precursor mass) minus the best root score
    "log_rank",             # ln(rank by posterior score)
    "total_gap_x_mass",     # total_gap x neutral mass / 500 Da
    "tree_gap_x_mass",      # tree_gap x neutral mass / 500 Da
    "no_tree",              # 1 when the candidate has no tree (ranked by its root score alone)
    "exact",                # 1 when its tree was solved exactly (ILP)
    "explained_peaks",      # fraction of the prepared fragment peaks in the tree
    "explained_peaks_gap",  # explained peaks minus the best, over the number of peaks
    "explained_intensity",  # fraction of intensity explained (precursor peak included)
    "explained_intensity_gap",
    "abs_ppm",              # |precursor mass error| in ppm
    "ppm_sq",               # (precursor mass error / 3 ppm)^2
    "rdbe",                 # ring and double bond equivalents of the molecule
    "rdbe_mass",            # RDBE / mass^(2/3) (the SIRIUS 3 prior's ratio)
    "prior_raw",            # SIRIUS 3 chemical formula prior (unnormalised)
    "element_prior",        # fitted element presence log odds + atom-count log prior (P S F Cl Br I)
    "log_n", "log_o", "log_p", "log_s", "log_f", "log_cl", "log_br", "log_i",  # ln(1 + count)
    "h_c", "n_c", "o_c", "hetero_c",  # atom ratios to carbon (hetero: all but C, H)
    "halogen",              # 1 when any of F, Cl, Br, I
    "p_o_deficit",          # max(0, 3 P - O): phosphorus without the oxygens of a phosphate
    "n_hetero_elements",    # number of distinct elements other than C, H, N, O
    "negative",             # 1 for negative ion mode
    "negative_x_tree_gap",
    "negative_x_log_n",
    "negative_x_log_o",
    "tree_per_peak",        # tree score / max(1, explained peaks)
    "special_fragments",    # fraction of tree fragments holding P, S, F, Cl, Br or I
    "special_unsupported",  # 1 when the molecule holds one of them but no tree fragment does
    "element_prior_x_mass",  # element_prior x neutral mass / 500 Da
)


class RankerSchemaError(ValueError):
    """A model file or feature table whose columns are not :data:`FEATURES`."""


def _counts(formulas: np.ndarray, elements: tuple[str, ...], el: str) -> np.ndarray:
    return formulas[:, elements.index(el)].astype(np.float64) if el in elements else np.zeros(formulas.shape[0])


def _element_prior(formulas: np.ndarray, elements: tuple[str, ...], params) -> np.ndarray:
    """Fitted presence log odds plus ln P(count | present) of P, S, F, Cl, Br, I (scoring.root_scores)."""
    out = np.zeros(formulas.shape[0])
    by_count = dict(params.element_count_log_prob)
    for el, odds in dict(params.element_log_odds).items():
        n = _counts(formulas, elements, el).astype(np.int64)
        out += np.where(n > 0, odds, 0.0)
        if el in by_count:
            table = np.asarray(by_count[el])
            out += np.where(n > 0, table[np.clip(n, 1, table.size) - 1], 0.0)
    return out


def _gap(values: np.ndarray) -> np.ndarray:
    return values - values.max() if values.size else values


def candidate_features(formulas: np.ndarray, alphabet, total: np.ndarray, root: np.ndarray, tree: np.ndarray,
                       mass_error_ppm: np.ndarray, n_explained: np.ndarray, explained_intensity: np.ndarray,
                       n_peaks: int, exact: np.ndarray, prior_raw: np.ndarray, special_fragments: np.ndarray,
                       params, negative: bool) -> np.ndarray:
    """Feature matrix (candidates x :data:`FEATURES`) of one spectrum's reported candidates, best
    posterior first. ``formulas``: molecule counts over ``alphabet``; ``tree``: tree scores (NaN for
    a candidate without tree); ``n_peaks``: prepared fragment peaks of the spectrum;
    ``special_fragments``: fraction of each tree's fragments holding P, S or a halogen."""
    f = np.asarray(formulas, dtype=np.int64)
    els = alphabet.elements
    k = f.shape[0]
    has_tree = np.isfinite(tree)
    tree0 = np.where(has_tree, tree, 0.0)
    mass = alphabet.mass(f)
    rdbe = alphabet.doubled_rdbe(f) / 2.0
    cnt = {el: _counts(f, els, el) for el in ("C", "H", "N", "O", "P", "S", "F", "Cl", "Br", "I")}
    c = np.maximum(cnt["C"], 1.0)
    hal = cnt["F"] + cnt["Cl"] + cnt["Br"] + cnt["I"]
    hetero = cnt["N"] + cnt["O"] + cnt["P"] + cnt["S"] + hal
    n_special = sum((cnt[el] > 0).astype(np.float64) for el in ("P", "S", "F", "Cl", "Br", "I"))
    peaks = max(int(n_peaks), 1)
    neg = 1.0 if negative else 0.0
    total_gap, tree_gap = _gap(np.asarray(total, dtype=np.float64)), _gap(tree0)
    cols = {
        "total_gap": total_gap, "tree_gap": tree_gap, "root_gap": _gap(np.asarray(root, dtype=np.float64)),
        "log_rank": np.log(np.arange(1, k + 1, dtype=np.float64)),
        "total_gap_x_mass": total_gap * mass / MASS_SCALE, "tree_gap_x_mass": tree_gap * mass / MASS_SCALE,
        "no_tree": (~has_tree).astype(np.float64), "exact": np.asarray(exact, dtype=np.float64),
        "explained_peaks": np.asarray(n_explained, dtype=np.float64) / peaks,
        "explained_peaks_gap": _gap(np.asarray(n_explained, dtype=np.float64)) / peaks,
        "explained_intensity": np.asarray(explained_intensity, dtype=np.float64),
        "explained_intensity_gap": _gap(np.asarray(explained_intensity, dtype=np.float64)),
        "abs_ppm": np.abs(mass_error_ppm), "ppm_sq": (np.asarray(mass_error_ppm) / 3.0) ** 2,
        "rdbe": rdbe, "rdbe_mass": rdbe / np.power(np.maximum(mass, 1.0), 2.0 / 3.0),
        "prior_raw": np.asarray(prior_raw, dtype=np.float64), "element_prior": _element_prior(f, els, params),
        "h_c": cnt["H"] / c, "n_c": cnt["N"] / c, "o_c": cnt["O"] / c, "hetero_c": hetero / c,
        "halogen": (hal > 0).astype(np.float64), "p_o_deficit": np.maximum(0.0, 3 * cnt["P"] - cnt["O"]),
        "n_hetero_elements": n_special, "negative": np.full(k, neg),
        "negative_x_tree_gap": neg * tree_gap,
        "negative_x_log_n": neg * np.log1p(cnt["N"]), "negative_x_log_o": neg * np.log1p(cnt["O"]),
        "tree_per_peak": tree0 / np.maximum(np.asarray(n_explained, dtype=np.float64), 1.0),
        "special_fragments": np.asarray(special_fragments, dtype=np.float64),
        "special_unsupported": ((n_special > 0) & (np.asarray(special_fragments) <= 0)).astype(np.float64),
    }
    cols["element_prior_x_mass"] = cols["element_prior"] * mass / MASS_SCALE
    for el in ("N", "O", "P", "S", "F", "Cl", "Br", "I"):
        cols["log_" + el.lower()] = np.log1p(cnt[el])
    return np.column_stack([cols[name] for name in FEATURES]) if k else np.zeros((0, len(FEATURES)))


def expand(z: np.ndarray, degree: int) -> np.ndarray:
    """Model columns from standardised features ``z``: themselves (degree 1), plus every product
    z_i z_j with i <= j (degree 2: squares and pairwise interactions)."""
    if degree == 1:
        return z
    if degree == 2:
        i, j = np.triu_indices(z.shape[1])
        return np.column_stack([z, z[:, i] * z[:, j]])
    raise RankerSchemaError(f"formula ranker: degree {degree} not supported (1 or 2)")


def n_columns(degree: int, n_features: int = len(FEATURES)) -> int:
    return n_features + (n_features * (n_features + 1) // 2 if degree == 2 else 0)


@dataclass(frozen=True)
class FormulaRanker:
    """Conditional-logit scorer: score = w . (u - mean2) / scale2, u = expand((x - mean) / scale)."""

    features: tuple[str, ...]
    degree: int
    mean: np.ndarray      # per feature, training mean
    scale: np.ndarray     # per feature, training standard deviation (1 where constant)
    mean2: np.ndarray     # per model column (expand), training mean
    scale2: np.ndarray    # per model column, training standard deviation
    weights: np.ndarray   # per model column
    meta: dict

    def check(self, n_feature_columns: int | None = None) -> None:
        if tuple(self.features) != FEATURES:
            missing = [f for f in FEATURES if f not in self.features]
            extra = [f for f in self.features if f not in FEATURES]
            raise RankerSchemaError(f"formula ranker: feature schema differs from this code's (missing {missing}, "
                                    f"unexpected {extra}, or another order); retrain it with "
                                    "`python -m specsweep.formula.ranker_training`")
        if self.degree not in (1, 2):
            raise RankerSchemaError(f"formula ranker: degree {self.degree} not supported (1 or 2)")
        sizes = {"mean": len(FEATURES), "scale": len(FEATURES), "mean2": n_columns(self.degree),
                 "scale2": n_columns(self.degree), "weights": n_columns(self.degree)}
        for name, size in sizes.items():
            if getattr(self, name).shape != (size,):
                raise RankerSchemaError(f"formula ranker: {name} has {getattr(self, name).size} values, "
                                        f"expected {size}")
        if n_feature_columns is not None and n_feature_columns != len(FEATURES):
            raise RankerSchemaError(f"formula ranker: feature table has {n_feature_columns} columns, expected "
                                    f"{len(FEATURES)} ({', '.join(FEATURES)})")

    def columns(self, x: np.ndarray) -> np.ndarray:
        """Standardised model columns of feature rows ``x``."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2:
            raise RankerSchemaError(f"formula ranker: feature table must be 2-D, got shape {x.shape}")
        self.check(x.shape[1])
        return (expand((x - self.mean) / self.scale, self.degree) - self.mean2) / self.scale2

    def scores(self, x: np.ndarray) -> np.ndarray:
        """Log-odds score per candidate (rows of ``x``, columns :data:`FEATURES`)."""
        return self.columns(x) @ self.weights

    def order(self, x: np.ndarray) -> np.ndarray:
        """Candidate positions, best first (ties keep the posterior order)."""
        return np.argsort(-self.scores(x), kind="stable")

    def to_json(self) -> str:
        return json.dumps({"kind": MODEL_KIND, "features": list(self.features), "degree": self.degree,
                           **{name: [float(v) for v in getattr(self, name)]
                              for name in ("mean", "scale", "mean2", "scale2", "weights")},
                           "meta": self.meta}, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str = "<text>") -> "FormulaRanker":
        try:
            d = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RankerSchemaError(f"{source}: not a JSON formula ranker ({exc})") from exc
        if not isinstance(d, dict) or d.get("kind") != MODEL_KIND:
            raise RankerSchemaError(f"{source}: not a formula ranker file (kind {MODEL_KIND!r} expected)")
        try:
            arrays = {name: np.asarray(d[name], dtype=np.float64)
                      for name in ("mean", "scale", "mean2", "scale2", "weights")}
            model = cls(tuple(d["features"]), int(d["degree"]), meta=d.get("meta", {}), **arrays)
        except (KeyError, TypeError, ValueError) as exc:
            raise RankerSchemaError(f"{source}: malformed formula ranker ({exc!r})") from exc
        try:
            model.check()
        except RankerSchemaError as exc:
            raise RankerSchemaError(f"{source}: {exc}") from None
        if not (np.all(np.isfinite(model.weights)) and np.all(model.scale > 0) and np.all(model.scale2 > 0)):
            raise RankerSchemaError(f"{source}: non-finite weights or non-positive scales")
        return model


def fit_ranker(x: np.ndarray, group: np.ndarray, label: np.ndarray, degree: int, l2: float,
               meta: dict | None = None) -> FormulaRanker:
    """A :class:`FormulaRanker` fitted on feature rows ``x`` of candidates grouped by spectrum
    (``group`` sorted; one ``label`` 1 per group)."""
    mean, scale = column_scale(x)
    u = expand((x - mean) / scale, degree)
    mean2, scale2 = column_scale(u)
    w = fit_conditional_logit((u - mean2) / scale2, group, label, l2)
    return FormulaRanker(FEATURES, degree, mean, scale, mean2, scale2, w, meta or {})


@lru_cache(maxsize=8)
def load_ranker(path: str | Path = DEFAULT_MODEL) -> FormulaRanker:
    """The ranker stored at ``path`` (default: the shipped model), checked against :data:`FEATURES`."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"formula ranker {p} not found (retrain: python -m specsweep.formula.ranker_training)")
    return FormulaRanker.from_json(p.read_text(), str(p))


def fit_conditional_logit(x: np.ndarray, group: np.ndarray, label: np.ndarray, l2: float) -> np.ndarray:
    """Weights of a conditional logit (softmax within each ``group``; one ``label`` 1 per group)
    with L2 penalty ``l2`` x |w|^2 / 2 on standardised columns: the rescoring ranker's fit
    (:func:`specsweep.rescore.linear.fit_conditional_logit`, Newton's method, deterministic)
    with every spectrum weighted alike. ``group`` must be sorted."""
    from specsweep.rescore.linear import fit_conditional_logit as fit
    return fit(x, group, np.asarray(label) > 0, None, l2)
