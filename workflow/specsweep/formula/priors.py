"""Prior tables (common losses, fragments, radicals, hetero-element losses) as lookup arrays.

The bundled ``data/sirius313_tables.json`` holds the lists and log-scores of SIRIUS 3.1.3
(Böcker & Dührkop 2016; values read from the SIRIUS source at release 3.1.3 and collected in
../shared/reference/sirius-tables/). ``data/fitted_priors.json``, when present, holds tables we
fitted ourselves from fragmentation trees of our training spectra (see ``fit_priors``); its
entries replace the SIRIUS ones of the same kind. ``data/fitted_priors_negative.json`` holds the same
tables fitted from negative-mode trees and replaces the first for negative-mode spectra.

Formulas become count vectors over the alphabet of a spectrum and then int64 keys
(:func:`specsweep.formula.alphabet.formula_keys`); lookups are binary searches in sorted keys.
Entries that use an element outside the alphabet are left out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from specsweep.chem.formulas import parse_formula
from specsweep.formula.alphabet import Alphabet, formula_keys

DATA = Path(__file__).resolve().parent / "data"
SIRIUS_TABLES = DATA / "sirius313_tables.json"
FITTED_PRIORS = DATA / "fitted_priors.json"
# the same tables fitted from [M-H]- trees (``fit_priors --adduct [M-H]-``), for negative-mode spectra
FITTED_PRIORS_NEGATIVE = DATA / "fitted_priors_negative.json"
# fitted common losses / fragments update the SIRIUS lists (True) or replace them (False)
MERGE_FITTED_LISTS = True


def fitted_priors_path(negative: bool = False) -> Path:
    """The fitted tables of an ion mode: negative-mode spectra get ``FITTED_PRIORS_NEGATIVE`` when it
    is bundled, everything else (and negative mode without it) ``FITTED_PRIORS``."""
    return FITTED_PRIORS_NEGATIVE if negative and FITTED_PRIORS_NEGATIVE.exists() else FITTED_PRIORS


@lru_cache(maxsize=8)
def load_tables(path: str | None = None, fitted: bool = True) -> dict:
    """Prior tables as a dict: SIRIUS 3.1.3 values, overlaid with fitted ones (``path``, else
    the bundled fitted file if present) unless ``fitted`` is False."""
    tables = json.loads(SIRIUS_TABLES.read_text())
    fitted = (Path(path) if path else FITTED_PRIORS) if fitted else None
    if fitted is not None and fitted.exists():
        extra = json.loads(fitted.read_text())
        for key, value in extra.items():
            if MERGE_FITTED_LISTS and isinstance(value, dict) and isinstance(tables.get(key), dict):
                tables[key] = {**tables[key], **value}  # refitted entries win, others stay
            else:
                tables[key] = value
        tables["fitted_from"] = str(fitted.name)
    return tables


@dataclass
class Lookup:
    """Sorted formula keys with one score each (score 0 where a plain set is wanted)."""

    keys: np.ndarray
    scores: np.ndarray

    @classmethod
    def build(cls, alphabet: Alphabet, entries: dict[str, float] | list[str]) -> "Lookup":
        if isinstance(entries, list):
            entries = {f: 0.0 for f in entries}
        rows, scores = [], []
        for text, score in entries.items():
            counts = parse_formula(text)
            if any(el not in alphabet.elements for el in counts):
                continue
            rows.append(alphabet.to_array(counts))
            scores.append(score)
        if not rows:
            return cls(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))
        keys = formula_keys(np.array(rows))
        order = np.argsort(keys, kind="stable")
        return cls(keys[order], np.asarray(scores, dtype=np.float64)[order])

    def get(self, keys: np.ndarray, default: float = np.nan) -> np.ndarray:
        """Score per key; ``default`` where absent."""
        keys = np.asarray(keys, dtype=np.int64)
        out = np.full(keys.shape, default, dtype=np.float64)
        if self.keys.size == 0:
            return out
        pos = np.clip(np.searchsorted(self.keys, keys), 0, self.keys.size - 1)
        hit = self.keys[pos] == keys
        out[hit] = self.scores[pos[hit]]
        return out
