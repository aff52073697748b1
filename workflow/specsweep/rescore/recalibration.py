"""A map from a top hit's PEP and its dataset's estimated absent share to a recalibrated PEP.

The PEP of :mod:`specsweep.rescore.pep` combines the model's class evidence with class
frequencies re-estimated on the dataset. Measured by nested cross-validation on dev_full
compounds (benchmarks/RESULTS.md, "rescore"), it was about twice too cautious between PEP 0.01
and 0.15 when every compound was in the database, and too optimistic there when half of them
were missing (the wrong confident hits are then close analogues of the missing compounds):
the class evidence alone does not carry how far the dataset's mix bends that band.

The map is a logistic regression of "the top hit is wrong" on a piecewise-linear basis of
logit(PEP) (hinges at :data:`KNOTS`), the same basis times the dataset's estimated absent share
(EM's third class frequency), and that share. It is fitted at training time on datasets
simulated from compounds the fitted models did not see (cross-fitting), with the right
structure removed for a share :data:`ABSENT_FRACTIONS` of their spectra, so it learns how the
PEP should move with the mix; and, when given, on the same compounds searched against a larger
database (``train-rescorer --map-candidates``): there a missing compound's top hit passes for an
outranked one more often, EM reads a lower absent share, and a map learnt against the small
database alone was optimistic (benchmarks/RESULTS.md, "The map learns against a larger database
too"). Hits without a matched peak keep PEP 1.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from specsweep.rescore.linear import fit_multinomial, multinomial_proba

KNOTS = (0.003, 0.01, 0.03, 0.1, 0.3)       # PEPs where the slope in logit(PEP) may change
ABSENT_FRACTIONS = (0.0, 0.25, 0.5, 0.75, 1.0)  # shares of spectra whose compound is removed
# ridge penalty of the map; chosen by nested cross-validation on dev_full compounds (0.1 gave
# an optimistic 1 % level, 10 a cautious 5 % level; benchmarks/RESULTS.md, "rescore")
L2 = 1.0
PEP_FLOOR = 1e-5
METADATA_KEY = b"specsweep.pep_recalibration"   # Parquet key of the maps used, by ion mode


def mix_share(frequencies) -> float:
    """The dataset's share the map reads, from its estimated class frequencies (right,
    outranked, absent): the absent share."""
    return float(np.asarray(frequencies, np.float64)[-1])


def _logit(pep: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(pep, np.float64), PEP_FLOOR, 1.0 - PEP_FLOOR)
    return np.log(p / (1.0 - p))


def basis(pep, absent, knots=KNOTS) -> np.ndarray:
    """Columns: logit(PEP), its hinges above logit(knot), each of those times the absent share,
    and the absent share (one value per hit or one for all)."""
    x = _logit(pep)
    a = np.broadcast_to(np.asarray(absent, np.float64), x.shape)
    cols = [x] + [np.maximum(x - k, 0.0) for k in _logit(np.asarray(knots))]
    return np.column_stack(cols + [a * c for c in cols] + [a])


@dataclass(frozen=True)
class Recalibration:
    coef: np.ndarray              # (2, n_basis + 1) of fit_multinomial; class 1 = wrong
    knots: tuple = KNOTS

    def apply(self, pep, absent) -> np.ndarray:
        """Recalibrated PEPs; a PEP of 1 (no matched peak) stays 1."""
        pep = np.asarray(pep, np.float64)
        if pep.size == 0:
            return pep.copy()
        out = multinomial_proba(self.coef, basis(pep, absent, self.knots))[:, 1]
        return np.where(pep >= 1.0, 1.0, out)

    def to_json(self) -> dict:
        return {"coef": self.coef.tolist(), "knots": list(self.knots), "l2": L2,
                "absent_fractions": list(ABSENT_FRACTIONS)}

    @classmethod
    def from_json(cls, d: dict) -> "Recalibration":
        coef = np.asarray(d["coef"], np.float64)
        knots = tuple(float(k) for k in d["knots"])
        if coef.shape != (2, 2 * (len(knots) + 1) + 2):
            raise ValueError(f"PEP recalibration: coefficients {coef.shape} do not fit "
                             f"{len(knots)} knots")
        return cls(coef, knots)

    @classmethod
    def fit(cls, pep, absent, wrong, l2: float = L2) -> "Recalibration | None":
        """Fit on hits (PEP, their dataset's absent share, wrong or not); hits with PEP 1 are
        left out. None when the hits hold only one outcome (nothing to learn)."""
        pep, wrong = np.asarray(pep, np.float64), np.asarray(wrong, bool)
        use = pep < 1.0
        if use.sum() < 2 or wrong[use].all() or not wrong[use].any():
            return None
        B = basis(pep[use], np.asarray(absent, np.float64)[use])
        return cls(fit_multinomial(B, wrong[use].astype(np.int64), 2, None, l2))


def to_metadata(maps: dict) -> dict:
    """Parquet file metadata naming the map used per ion mode (None: the PEPs were not
    recalibrated)."""
    return {METADATA_KEY: json.dumps({m: (r.to_json() if r is not None else None)
                                      for m, r in sorted(maps.items())}, sort_keys=True)}


def concat_rescored(tables, names=None):
    """RESCORED tables as one, the metadata naming each ion mode's map; an error when two
    tables were rescored with different maps for one ion mode (their PEPs cannot be pooled).
    ``names``: what to call the tables in that error (default: their positions)."""
    import pyarrow as pa
    names = [str(n) for n in names] if names is not None else [f"table {i}" for i in range(len(tables))]
    maps, seen = {}, {}
    for t, name in zip(tables, names):
        for mode, recal in from_metadata(t.schema).items():
            text = None if recal is None else recal.to_json()
            if mode in seen and seen[mode][0] != text:
                raise ValueError(f"{name} and {seen[mode][1]} were rescored with different "
                                 f"{mode}-mode models (PEP recalibration differs); rescore all "
                                 "datasets of a run with one model before merging them")
            seen[mode] = (text, name)
            maps[mode] = recal
    table = pa.concat_tables([t.replace_schema_metadata(None) for t in tables])
    return table.replace_schema_metadata(to_metadata(maps)) if maps else table


def from_metadata(schema) -> dict:
    """{ion mode: Recalibration or None} from a RESCORED table's schema ({} when absent)."""
    raw = (schema.metadata or {}).get(METADATA_KEY)
    if not raw:
        return {}
    return {m: (Recalibration.from_json(d) if d is not None else None)
            for m, d in json.loads(raw).items()}
