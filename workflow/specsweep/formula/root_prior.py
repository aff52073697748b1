"""Learned prior of precursor (root) formulas: a conditional logit over formula features.

SIRIUS 3's root prior (Böcker & Dührkop, "Fragmentation trees reloaded", J. Cheminform. 8:5,
2016; :func:`specsweep.formula.scoring.formula_prior_raw`) was fitted on organic compound
databases; with element log odds for P, S, F, Cl, Br, I it still pushes down formulas that
spectral repositories hold in numbers (perfluorinated acids and sulfonates, nucleotide and sugar
phosphates, sulfates). This prior is instead fitted on the formulas of our training compounds
against their competitors: for each compound, the other decompositions of its neutral mass within
the stage's precursor window over the fixed alphabet CHNOPSFClBrI that pass the stage's chemistry
rules (:mod:`specsweep.formula.rules`, after Kind & Fiehn, BMC Bioinformatics 8:105, 2007). A
conditional logit (McFadden 1974; :func:`specsweep.rescore.linear.fit_conditional_logit`) learns
which of them is the true formula from the features of :func:`root_features`; its linear score is
the prior (a log odds, up to a constant shared by all candidates of one mass). The weights, the
feature means and scales are shipped in ``data/root_prior.json`` and refitted by
``python -m specsweep.formula.fit_root_prior`` (docs/formula.md, "Root prior").
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from specsweep.formula.alphabet import Alphabet
from specsweep.formula.priors import DATA

DEFAULT_MODEL = DATA / "root_prior.json"
HETERO = ("P", "S", "F", "Cl", "Br", "I")

# feature names, in column order of root_features
FEATURES: tuple[str, ...] = (
    ("sirius_prior", "rdbe_per_mass23", "rdbe_per_mass23_sq", "rdbe_per_c", "h_per_c", "h_per_c_sq",
     "n_per_c", "n_per_c_sq", "o_per_c", "o_per_c_sq", "f_per_c", "clbri_per_c", "hetero_per_c",
     "n_per_100da", "o_per_100da", "no_nitrogen", "no_oxygen")
    + tuple(f"has_{el}" for el in HETERO) + tuple(f"log_count_{el}" for el in HETERO)
    + ("phosphate_o", "phosphorus_low_o", "sulfur_o3", "perfluoro")
)


def _col(f: np.ndarray, alphabet: Alphabet, el: str) -> np.ndarray:
    if el in alphabet.elements:
        return f[:, alphabet.index(el)]
    return np.zeros(f.shape[0])


def root_features(formulas: np.ndarray, alphabet: Alphabet) -> np.ndarray:
    """(n, len(FEATURES)) features of neutral molecule formulas (count rows over ``alphabet``):
    SIRIUS 3's raw prior, RDBE per mass^(2/3) and per carbon, element-to-carbon ratios (with
    squares: the linear score may then prefer a middle range), N and O per 100 Da, presence and
    log count of each hetero element, and group patterns: phosphorus with at least 3 O per P
    (phosphates, phosphonates), phosphorus with fewer than 2 O per P (SIRIUS's phosphorus rule),
    sulfur with at least 3 O per S (sulfates, sulfonates), at least as many F as C."""
    from specsweep.formula.scoring import ScoringParams, formula_prior_raw

    f = np.asarray(formulas, dtype=np.float64).reshape(-1, len(alphabet.elements))
    ints = np.asarray(formulas, dtype=np.int64).reshape(f.shape)
    c = np.maximum(_col(f, alphabet, "C"), 1.0)
    h, n, o = (_col(f, alphabet, el) for el in ("H", "N", "O"))
    el = {e: _col(f, alphabet, e) for e in HETERO}
    mass = np.maximum(alphabet.mass(ints), 1.0)
    rdbe = alphabet.doubled_rdbe(ints) / 2.0
    r23 = rdbe / np.power(mass, 2.0 / 3.0)
    hal = el["Cl"] + el["Br"] + el["I"]
    hetero = n + o + sum(el.values())
    cols = [
        formula_prior_raw(ints, alphabet, ScoringParams()), r23, r23 ** 2, rdbe / c, h / c, (h / c) ** 2,
        n / c, (n / c) ** 2, o / c, (o / c) ** 2, el["F"] / c, hal / c, hetero / c,
        100.0 * n / mass, 100.0 * o / mass, (n == 0).astype(float), (o == 0).astype(float),
    ]
    cols += [(el[e] > 0).astype(float) for e in HETERO]
    cols += [np.log(np.maximum(el[e], 1.0)) for e in HETERO]
    p, s = el["P"], el["S"]
    cols += [((p > 0) & (o >= 3 * p)).astype(float), ((p > 0) & (o < 2 * p)).astype(float),
             ((s > 0) & (o >= 3 * s)).astype(float), ((el["F"] > 0) & (el["F"] >= c)).astype(float)]
    return np.column_stack(cols)


class RootPrior:
    """Linear score w . (x - mean) / scale - offset of :func:`root_features`; ``offset`` makes the
    mean score of the training compounds' true formulas 0."""

    def __init__(self, weights, mean, scale, offset: float):
        self.weights = np.asarray(weights, dtype=np.float64)
        self.mean = np.asarray(mean, dtype=np.float64)
        self.scale = np.asarray(scale, dtype=np.float64)
        self.offset = float(offset)

    def score(self, formulas: np.ndarray, alphabet: Alphabet) -> np.ndarray:
        x = root_features(formulas, alphabet)
        return ((x - self.mean) / self.scale) @ self.weights - self.offset

    def to_json(self) -> dict:
        return {"features": list(FEATURES), "weights": self.weights.tolist(), "mean": self.mean.tolist(),
                "scale": self.scale.tolist(), "offset": self.offset}


@lru_cache(maxsize=4)
def load_root_prior(path: str | Path = DEFAULT_MODEL) -> RootPrior:
    data = json.loads(Path(path).read_text())
    if list(data["features"]) != list(FEATURES):
        raise ValueError(f"{path}: root prior features {data['features']} differ from this version's "
                         f"{list(FEATURES)}; refit with python -m specsweep.formula.fit_root_prior")
    return RootPrior(data["weights"], data["mean"], data["scale"], data["offset"])
