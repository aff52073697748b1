"""The rescoring model file: a candidate ranker and a PEP model, as one small JSON file.

Ranker: conditional logit over standardised :data:`~specsweep.rescore.features.FEATURES`
(those listed in ``ranker.features``); its linear score ``rescore`` orders each list.
PEP model: multinomial logistic regression over :data:`PEP_FEATURES` of a list's top target,
classes :data:`~specsweep.rescore.pep.CLASSES`, fitted at the frequencies ``pep.train_prior``;
``pep_recalibration`` (optional; :mod:`specsweep.rescore.recalibration`) maps the resulting PEP
and the dataset's estimated absent share to the PEP reported.

A feature table given to :meth:`RescoreModel.check_table` must hold every feature column the
model was trained with, as float64, under the same names; anything else is refused with the
names of the missing or mistyped columns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pyarrow as pa

from specsweep.rescore.features import FEATURES, GAP_CAP, LIST_DEPTH, group_starts
from specsweep.rescore.linear import column_scale, multinomial_proba, segment_softmax
from specsweep.rescore.recalibration import Recalibration

FORMAT = "specsweep-rescorer-1"
PEP_BASE = ("rescore", "rescore_prob", "rescore_logit", "rescore_gap", "score",
            "explained_intensity", "log_matched", "matched_fraction", "delta_best",
            "log_candidates", "log_isomers", "mass_kda", "log_peaks",
            # the top hit's own precursor error and isomer competition: a close analogue of an
            # absent compound often has another formula (a larger error) or isomers that score alike
            "abs_ppm", "delta_isomer", "has_isomer", "gap_next")
# derived for the top hit only (not list features): log of the spectrum's peak count
TOP_ONLY = ("rescore", "rescore_prob", "rescore_logit", "rescore_gap", "log_peaks")
# products of pairs of these (``a*b``, squares included) let the linear model bend
PEP_PAIRED = ("rescore_logit", "rescore_gap", "score", "explained_intensity", "log_matched",
              "delta_best", "log_candidates", "log_isomers", "log_peaks", "abs_ppm")
PEP_FEATURES = PEP_BASE + tuple(f"{a}*{b}" for i, a in enumerate(PEP_PAIRED)
                                for b in PEP_PAIRED[i:])
# the formula stage's evidence (features.formula_rank_inv): used by models trained with it
FORMULA_FEATURE = "formula_rank_inv"
PEP_FORMULA = (FORMULA_FEATURE, f"rescore_logit*{FORMULA_FEATURE}")


def pep_feature_names(with_formulas: bool) -> tuple[str, ...]:
    """The PEP model's features: :data:`PEP_FEATURES`, plus the top hit's formula evidence for a
    model trained with the formula stage's results."""
    return PEP_FEATURES + (PEP_FORMULA if with_formulas else ())


def default_rescorer_path(ion_mode: str = "positive") -> Path:
    """The shipped rescoring model of an ion mode: trained on MassBank [M+H]+ (positive) or
    [M-H]- (negative) candidates (benchmarks/RESULTS.md, "rescore" and "ion modes and
    adducts"). Neither reads the formula stage's results (RESULTS.md, "The formula stage's
    evidence in the rescorer")."""
    name = "rescore_model_negative.json" if str(ion_mode).startswith("neg") else "rescore_model.json"
    return Path(str(resources.files("specsweep") / "data" / name))


@dataclass
class Standardiser:
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, features, X: np.ndarray, weight: np.ndarray | None = None) -> "Standardiser":
        return cls(tuple(features), *column_scale(X, weight))

    def apply(self, X: np.ndarray) -> np.ndarray:
        Z = (X - self.mean) / self.scale
        return np.where(np.isnan(Z), 0.0, Z)   # missing value: the training mean

    def to_json(self) -> dict:
        return {"features": list(self.features), "mean": self.mean.tolist(),
                "scale": self.scale.tolist()}

    @classmethod
    def from_json(cls, d: dict) -> "Standardiser":
        return cls(tuple(d["features"]), np.asarray(d["mean"], float), np.asarray(d["scale"], float))


@dataclass
class RescoreModel:
    ranker: Standardiser
    ranker_w: np.ndarray
    pep: Standardiser
    pep_W: np.ndarray
    train_prior: np.ndarray
    info: dict = field(default_factory=dict)
    list_depth: int = LIST_DEPTH
    recalibration: Recalibration | None = None   # PEP map by the dataset's absent share

    # --- file ------------------------------------------------------------------------------
    def to_json(self) -> dict:
        return {"format": FORMAT,
                "ranker": {**self.ranker.to_json(), "weights": self.ranker_w.tolist()},
                "pep": {**self.pep.to_json(), "coef": self.pep_W.tolist(),
                        "train_prior": self.train_prior.tolist()},
                "list_depth": self.list_depth, "info": self.info,
                "pep_recalibration": (self.recalibration.to_json()
                                      if self.recalibration is not None else None)}

    def save(self, path) -> None:
        from specsweep.files import write_json
        write_json(self.to_json(), Path(path))

    @classmethod
    def load(cls, path) -> "RescoreModel":
        path = Path(path)
        try:
            d = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: cannot read the rescoring model ({exc})") from exc
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise ValueError(f"{path}: not a rescoring model (format {FORMAT!r} expected)")
        known_top = set(FEATURES) | set(TOP_ONLY)
        unknown = [f for f in d["ranker"]["features"] if f not in FEATURES] + [
            f for f in d["pep"]["features"] if not set(f.split("*")) <= known_top]
        if unknown:
            raise ValueError(f"{path}: the model uses features this version does not compute: "
                             f"{unknown}")
        return cls(Standardiser.from_json(d["ranker"]), np.asarray(d["ranker"]["weights"], float),
                   Standardiser.from_json(d["pep"]), np.asarray(d["pep"]["coef"], float),
                   np.asarray(d["pep"]["train_prior"], float), d.get("info", {}),
                   int(d["list_depth"]),
                   Recalibration.from_json(d["pep_recalibration"])
                   if d.get("pep_recalibration") else None)

    @property
    def uses_formulas(self) -> bool:
        """True when the model reads the formula stage's results (trained with them)."""
        return FORMULA_FEATURE in self.ranker.features or FORMULA_FEATURE in self.pep.features

    # --- schema ----------------------------------------------------------------------------
    def check_table(self, table: pa.Table, name: str = "feature table") -> np.ndarray:
        """The feature matrix (columns :data:`FEATURES`) of a table, after checking that it has
        every feature the ranker uses, as float64."""
        missing = [f for f in self.ranker.features if f not in table.column_names]
        typed = [f"{f} ({table.schema.field(f).type})" for f in self.ranker.features
                 if f in table.column_names and table.schema.field(f).type != pa.float64()]
        if missing or typed:
            raise ValueError(
                f"{name}: does not match the rescoring model: "
                + (f"missing feature columns {missing}" if missing else "")
                + ("; " if missing and typed else "")
                + (f"columns not float64: {typed}" if typed else "")
                + f"; the model needs {list(self.ranker.features)}")
        return np.column_stack([table.column(f).to_numpy(zero_copy_only=False).astype(float)
                                if f in table.column_names else np.full(table.num_rows, np.nan)
                                for f in FEATURES])

    # --- use -------------------------------------------------------------------------------
    def rescore(self, X: np.ndarray) -> np.ndarray:
        """Linear ranking score of each row of X (columns :data:`FEATURES`)."""
        cols = [FEATURES.index(f) for f in self.ranker.features]
        return self.ranker.apply(X[:, cols]) @ self.ranker_w

    def top_proba(self, P: np.ndarray) -> np.ndarray:
        """Class probabilities at the training frequencies for top hits' :data:`PEP_FEATURES`."""
        return multinomial_proba(self.pep_W, self.pep.apply(P))


def top_features(X: np.ndarray, lists: np.ndarray, u: np.ndarray,
                 names=PEP_FEATURES) -> tuple[np.ndarray, np.ndarray]:
    """Row of each list's top candidate by ``u`` and its :data:`PEP_FEATURES` matrix.

    X, lists, u in list order (lists sorted). Within a list the top is the largest u (ties: the
    earlier row).
    """
    if u.shape[0] == 0:
        return np.zeros(0, np.int64), np.zeros((0, len(names)))
    starts, sizes = group_starts(lists)
    order = np.lexsort((np.arange(u.shape[0]), -u, lists))
    top = order[starts]
    second = np.where(sizes > 1, order[np.minimum(starts + 1, u.shape[0] - 1)], -1)
    prob = segment_softmax(u, lists)
    gap = np.where(second >= 0, u[top] - u[np.maximum(second, 0)], GAP_CAP)
    f = {name: X[top, FEATURES.index(name)] for name in FEATURES}
    p_top = np.clip(prob[top], 1e-6, 1 - 1e-6)
    gap = np.minimum(gap, GAP_CAP)
    matched = np.expm1(f["log_matched"])
    peaks = np.where(f["matched_fraction"] > 0, matched / np.maximum(f["matched_fraction"], 1e-12), 0.0)
    cols = {"rescore": u[top], "rescore_prob": prob[top], "log_peaks": np.log1p(peaks),
            "rescore_logit": np.log(p_top / (1 - p_top)), "rescore_gap": gap, **f}
    for name in names:
        if "*" in name:
            a, b = name.split("*")
            cols[name] = cols[a] * cols[b]
    return top, np.column_stack([cols[n] for n in names])
