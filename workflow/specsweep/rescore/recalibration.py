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

A map learnt from datasets searched against databases of different sizes also reads how crowded
the dataset's precursor windows are (:func:`crowding`: the mean log size of the top hits'
target lists), scaled to 0 at the least crowded training dataset and 1 at the most crowded and
clipped there: the same EM absent share means more missing compounds against a larger database.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import numpy as np

from specsweep.rescore.linear import fit_multinomial, multinomial_proba

log = logging.getLogger("specsweep.rescore")

KNOTS = (0.003, 0.01, 0.03, 0.1, 0.3)       # PEPs where the slope in logit(PEP) may change
ABSENT_FRACTIONS = (0.0, 0.25, 0.5, 0.75, 1.0)  # shares of spectra whose compound is removed
# ridge penalty of the map; chosen by nested cross-validation on dev_full compounds (0.1 gave
# an optimistic 1 % level, 10 a cautious 5 % level; benchmarks/RESULTS.md, "rescore")
L2 = 1.0
PEP_FLOOR = 1e-5
MIN_CROWDING_SPREAD = 0.1   # log units of list size between the training datasets, at least
METADATA_KEY = b"specsweep.pep_recalibration"   # Parquet key of the maps used, by ion mode


def mix_share(frequencies) -> float:
    """The dataset's share the map reads, from its estimated class frequencies (right,
    outranked, absent): the absent share."""
    return float(np.asarray(frequencies, np.float64)[-1])


def crowding(log_candidates) -> float:
    """The dataset's crowding as the map reads it: the mean over its top hits of the log number
    of target candidates in their lists (``log_candidates``, lists cut at the model's depth);
    NaN without hits."""
    x = np.asarray(log_candidates, np.float64)
    x = x[np.isfinite(x)]
    return float(x.mean()) if x.size else float("nan")


def _logit(pep: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(pep, np.float64), PEP_FLOOR, 1.0 - PEP_FLOOR)
    return np.log(p / (1.0 - p))


def basis(pep, absent, knots=KNOTS, crowd=None) -> np.ndarray:
    """Columns: logit(PEP), its hinges above logit(knot), each of those times the absent share,
    and the absent share (one value per hit or one for all); with ``crowd`` (the scaled
    crowding, one value per hit or one for all) the same again times it, and it."""
    x = _logit(pep)
    a = np.broadcast_to(np.asarray(absent, np.float64), x.shape)
    cols = [x] + [np.maximum(x - k, 0.0) for k in _logit(np.asarray(knots))]
    out = cols + [a * c for c in cols] + [a]
    if crowd is not None:
        d = np.broadcast_to(np.asarray(crowd, np.float64), x.shape)
        out += [d * c for c in cols] + [d]
    return np.column_stack(out)


def _n_basis(n_knots: int, crowded: bool) -> int:
    return (3 if crowded else 2) * (n_knots + 1) + (2 if crowded else 1)


@dataclass(frozen=True)
class Recalibration:
    coef: np.ndarray              # (2, n_basis + 1) of fit_multinomial; class 1 = wrong
    knots: tuple = KNOTS
    # crowding (:func:`crowding`) of the least and the most crowded training datasets; None:
    # learnt against one database, the map does not read it
    crowding_range: tuple | None = None

    def scaled_crowding(self, crowd) -> float | None:
        """``crowd`` on the map's scale (0 to 1, clipped); None for a map that does not read it.
        An error when the map reads it and it is not given."""
        if self.crowding_range is None:
            return None
        if crowd is None or not np.isfinite(crowd):
            raise ValueError("this PEP map also reads the dataset's crowding (the mean log size "
                             "of its top hits' candidate lists); give it")
        lo, hi = self.crowding_range
        return float(np.clip((crowd - lo) / (hi - lo), 0.0, 1.0))

    def apply(self, pep, absent, crowd=None) -> np.ndarray:
        """Recalibrated PEPs for a dataset with that estimated absent share (and crowding, for a
        map that reads it); a PEP of 1 (no matched peak) stays 1."""
        pep = np.asarray(pep, np.float64)
        if pep.size == 0:
            return pep.copy()
        B = basis(pep, absent, self.knots, self.scaled_crowding(crowd))
        out = multinomial_proba(self.coef, B)[:, 1]
        return np.where(pep >= 1.0, 1.0, out)

    def for_dataset(self, crowd) -> "DatasetMap":
        """The map with the dataset's crowding fixed, applied as ``.apply(pep, absent)``."""
        return DatasetMap(self, None if self.crowding_range is None else float(crowd))

    def to_json(self) -> dict:
        out = {"coef": self.coef.tolist(), "knots": list(self.knots), "l2": L2,
               "absent_fractions": list(ABSENT_FRACTIONS)}
        if self.crowding_range is not None:
            out["crowding_range"] = list(self.crowding_range)
        return out

    @classmethod
    def from_json(cls, d: dict) -> "Recalibration":
        coef = np.asarray(d["coef"], np.float64)
        knots = tuple(float(k) for k in d["knots"])
        crowd = d.get("crowding_range")
        crowd = None if crowd is None else (float(crowd[0]), float(crowd[1]))
        if coef.shape != (2, _n_basis(len(knots), crowd is not None) + 1):
            raise ValueError(f"PEP recalibration: coefficients {coef.shape} do not fit "
                             f"{len(knots)} knots" + (" and crowding" if crowd else ""))
        return cls(coef, knots, crowd)

    @classmethod
    def fit(cls, pep, absent, wrong, crowd=None, l2: float = L2) -> "Recalibration | None":
        """Fit on hits (PEP, their dataset's absent share, wrong or not; ``crowd``: their
        dataset's :func:`crowding`, to learn against several databases, ignored with a warning
        when the datasets are about equally crowded); hits with PEP 1 are left out. None when
        the hits hold only one outcome (nothing to learn)."""
        pep, wrong = np.asarray(pep, np.float64), np.asarray(wrong, bool)
        use = pep < 1.0
        if use.sum() < 2 or wrong[use].all() or not wrong[use].any():
            return None
        crowd_range, scaled = None, None
        if crowd is not None:
            c = np.asarray(crowd, np.float64)[use]
            lo, hi = float(c.min()), float(c.max())
            if hi - lo < MIN_CROWDING_SPREAD:
                log.warning("the training datasets' crowding spans %.3f only (databases of about "
                            "one size): the PEP map does not read it", hi - lo)
            else:
                crowd_range, scaled = (lo, hi), (c - lo) / (hi - lo)
        B = basis(pep[use], np.asarray(absent, np.float64)[use], crowd=scaled)
        return cls(fit_multinomial(B, wrong[use].astype(np.int64), 2, None, l2), KNOTS,
                   crowd_range)


@dataclass(frozen=True)
class DatasetMap:
    """A :class:`Recalibration` with one dataset's crowding fixed (see
    :meth:`Recalibration.for_dataset`)."""
    recalibration: Recalibration
    crowd: float | None

    def apply(self, pep, absent) -> np.ndarray:
        return self.recalibration.apply(pep, absent, self.crowd)


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
