"""The logRank likelihood model: count tables, probabilities, JSON form.

For each precursor charge the model holds

- ``counts[bond, parent_logrank, logrank]``: how many training fragments with this bond-type
  code and parent logRank got this logRank (molDiscovery, Cao et al. 2021, Methods, eq. 7);
- ``null_counts[logrank]``: the null distribution of logRank (eq. 8 or the variant named in
  ``params["null"]``, see :mod:`specsweep.model.train`);
- ``null_cond[bond, parent_logrank, logrank]`` (null ``"unrelated-parent"``, the default): the
  null counted like ``counts``, from fragments of unrelated structures.

Probabilities add ``pseudo_count`` to every cell of a row before normalising over logRank 1..7.
The score table is ``llr[bond, parent, l] = log P(l | bond, parent) - log P(l | null[, bond,
parent])``; a fragment contributes ``llr[bond, logRank(parent), logRank(fragment)]`` to a match
score.

A missing peak is never evidence for a structure: the unmatched column ``llr[:, :, 7]`` is
capped at 0 (``evidence_cap``), so a candidate that matches no peak scores at most 0. With the
conditioned null the cap only trims noise of sparse cells (see ``specsweep.model.train``).

A charge with no training data may name another charge in ``fallback``; its tables are then that
charge's tables (MassBank [M+H]+ has no charge-2 spectra, so the shipped model's charge 2 uses
the charge-1 tables).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from specsweep.model.annotate import N_BOND_CODES, N_LOGRANK
from specsweep.params.blocks import FragmentParams

FORMAT = "specsweep-logrank-model"
VERSION = 2
READABLE_VERSIONS = (1, 2)   # version 1: no null_cond; loads and scores as before
CHARGES = (1, 2)
UNMATCHED = N_LOGRANK - 1


@dataclass
class ChargeTables:
    counts: np.ndarray        # (N_BOND_CODES, 8, 8) int64, [bond, parent logRank, logRank]
    null_counts: np.ndarray   # (8,) int64, [logRank]
    n_spectra: int = 0
    fallback: int | None = None   # charge whose tables are used instead
    note: str = ""
    null_cond: np.ndarray | None = None   # like counts, from unrelated structures; None: use null_counts

    @classmethod
    def empty(cls, conditioned: bool = False) -> "ChargeTables":
        shape = (N_BOND_CODES, N_LOGRANK, N_LOGRANK)
        return cls(np.zeros(shape, np.int64), np.zeros(N_LOGRANK, np.int64),
                   null_cond=np.zeros(shape, np.int64) if conditioned else None)


@dataclass
class LogRankModel:
    tables: dict[int, ChargeTables]
    params: dict = field(default_factory=dict)

    @property
    def pseudo_count(self) -> float:
        return float(self.params.get("pseudo_count", 1.0))

    def resolved(self, charge: int) -> ChargeTables:
        t = self.tables[charge]
        seen = {charge}
        while t.fallback is not None:
            if t.fallback in seen:
                raise ValueError(f"model: fallback loop at charge {t.fallback}")
            seen.add(t.fallback)
            t = self.tables[t.fallback]
        return t

    def probabilities(self, charge: int) -> tuple[np.ndarray, np.ndarray]:
        """(P(l | bond, parent) (N_BOND_CODES, 8, 8), P(l | null) (8,)); logRank 0 has probability 0."""
        t = self.resolved(charge)
        a = self.pseudo_count
        cond = t.counts[:, :, 1:].astype(np.float64) + a
        cond /= cond.sum(axis=2, keepdims=True)
        null = t.null_counts[1:].astype(np.float64) + a
        null /= null.sum()
        p = np.zeros((N_BOND_CODES, N_LOGRANK, N_LOGRANK))
        p[:, :, 1:] = cond
        q = np.zeros(N_LOGRANK)
        q[1:] = null
        return p, q

    @property
    def evidence_cap(self) -> bool:
        """Cap unmatched cells at 0 (default; False only to reproduce version-1 scores)."""
        return bool(self.params.get("evidence_cap", True))

    def null_probabilities(self, charge: int) -> np.ndarray:
        """P(l | null) per (bond, parent) row, (N_BOND_CODES, 8, 8); the one-row null broadcast when the
        model has no conditioned null."""
        t = self.resolved(charge)
        a = self.pseudo_count
        out = np.zeros((N_BOND_CODES, N_LOGRANK, N_LOGRANK))
        if t.null_cond is None:
            out[:, :, :] = self.probabilities(charge)[1]
            return out
        rows = t.null_cond[:, :, 1:].astype(np.float64) + a
        out[:, :, 1:] = rows / rows.sum(axis=2, keepdims=True)
        return out

    def llr_table(self, charge: int) -> np.ndarray:
        """log P(l | bond, parent) - log P(l | null[, bond, parent]), (N_BOND_CODES, 8, 8) float64 (the
        l = 0 column is 0); unmatched cells capped at 0 unless ``evidence_cap`` is off."""
        p, _ = self.probabilities(charge)
        q = self.null_probabilities(charge)
        llr = np.zeros_like(p)
        llr[:, :, 1:] = np.log(p[:, :, 1:]) - np.log(q[:, :, 1:])
        if self.evidence_cap:
            np.minimum(llr[:, :, UNMATCHED], 0.0, out=llr[:, :, UNMATCHED])
        return llr

    def llr_tables(self) -> np.ndarray:
        """Score tables for charges 1 and 2 stacked: (2, N_BOND_CODES, 8, 8); index = charge - 1."""
        return np.ascontiguousarray(np.stack([self.llr_table(c) for c in CHARGES]))

    # --- JSON --------------------------------------------------------------------------------
    def to_json(self) -> dict:
        charges = {}
        for c, t in sorted(self.tables.items()):
            entry: dict = {"n_spectra": int(t.n_spectra), "note": t.note}
            if t.fallback is not None:
                entry["fallback"] = int(t.fallback)
            else:
                rows = {}
                for bond in range(N_BOND_CODES):
                    if t.counts[bond].any():
                        rows[str(bond)] = t.counts[bond].tolist()
                entry["counts"] = rows
                entry["null_counts"] = t.null_counts.tolist()
                if t.null_cond is not None:
                    entry["null_cond"] = {str(b): t.null_cond[b].tolist()
                                          for b in range(N_BOND_CODES) if t.null_cond[b].any()}
            charges[str(c)] = entry
        return {"format": FORMAT, "version": VERSION,
                "layout": "counts[bond code][parent logRank 0..7][logRank 0..7]; "
                          "null_counts[logRank 0..7]; null_cond like counts (optional)",
                "params": self.params, "charges": charges}

    @classmethod
    def from_json(cls, obj: dict, where: str = "model") -> "LogRankModel":
        if obj.get("format") != FORMAT:
            raise ValueError(f"{where}: not a {FORMAT} file")
        if obj.get("version") not in READABLE_VERSIONS:
            raise ValueError(f"{where}: model version {obj.get('version')}, expected one of "
                             f"{READABLE_VERSIONS}")
        tables = {}
        for key, entry in obj["charges"].items():
            t = ChargeTables.empty()
            t.n_spectra = int(entry.get("n_spectra", 0))
            t.note = entry.get("note", "")
            if "fallback" in entry:
                t.fallback = int(entry["fallback"])
            else:
                for bond, rows in entry["counts"].items():
                    t.counts[int(bond)] = np.asarray(rows, dtype=np.int64)
                t.null_counts = np.asarray(entry["null_counts"], dtype=np.int64)
                if "null_cond" in entry:
                    t.null_cond = np.zeros_like(t.counts)
                    for bond, rows in entry["null_cond"].items():
                        t.null_cond[int(bond)] = np.asarray(rows, dtype=np.int64)
            tables[int(key)] = t
        params = dict(obj.get("params", {}))
        if obj["version"] == 1:
            params.setdefault("evidence_cap", False)   # version-1 files score as they did
        model = cls(tables, params)
        for c in CHARGES:
            if c not in tables:
                raise ValueError(f"{where}: no tables for charge {c}")
            model.resolved(c)
        return model


def save_model(model: LogRankModel, path) -> Path:
    from specsweep.files import write_json
    return write_json(model.to_json(), path)


def load_model(path) -> LogRankModel:
    path = Path(path)
    with open(path) as fh:
        return LogRankModel.from_json(json.load(fh), str(path))


def default_model_path(ion_mode: str = "positive") -> Path:
    """The shipped model of an ion mode: positive [M+H]+ and negative [M-H]- MassBank training
    sets (benchmarks/RESULTS.md, "search")."""
    name = "default_model_negative.json" if str(ion_mode).startswith("neg") else "default_model.json"
    return Path(__file__).resolve().parents[1] / "data" / name


def stacked_llr(positive: LogRankModel, negative: LogRankModel | None = None) -> np.ndarray:
    """Score tables for the search kernel: (2, 128, 8, 8) from one model used for both ion
    modes, or (4, 128, 8, 8) = positive charges 1, 2 then negative charges 1, 2."""
    if negative is None:
        return positive.llr_tables()
    return np.ascontiguousarray(np.concatenate([positive.llr_tables(), negative.llr_tables()]))


def model_record(model: LogRankModel, path) -> dict:
    """What a summary says about a model: file and its sha256, training spectra per charge,
    fallbacks."""
    charges = {}
    for c in CHARGES:
        t = model.tables[c]
        entry = {"training_spectra": int(t.n_spectra)}
        if t.fallback is not None:
            entry["falls_back_to_charge"] = int(t.fallback)
            entry["note"] = t.note or f"no charge-{c} training spectra"
        charges[str(c)] = entry
    from specsweep.files import sha256_file
    files = [f.get("name") for f in model.params.get("training_files", [])]
    # the file's digest names the score exactly (what the rescoring model checks a search by)
    return {"path": str(path), "sha256": sha256_file(path), "training_files": files,
            "charges": charges}


def model_fragmentation(model: LogRankModel) -> FragmentParams:
    """How the model's training structures were cut (defaults where the model does not say)."""
    recorded = dict(model.params.get("fragmentation", {}))
    if "h_shifts" in model.params:
        recorded["h_shifts"] = model.params["h_shifts"]
    return FragmentParams.from_dict(recorded)
