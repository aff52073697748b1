"""The record every reader yields, and small normalisers for values found in real files."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

_MISSING = {"", "n/a", "na", "nan", "none", "null", "-", "unknown"}
_SCAN_IN_ID = re.compile(r"(?:^|\s)(?:scan|scanId|index)=(\d+)")


@dataclass
class RawSpectrum:
    """One record as read from a file, before any checks or peak processing.

    ``index`` is the 0-based position of the record in its file. ``error`` is set (to a reason
    code) when the reader could not parse the record; ``detail`` then says why. ``ms_level`` is
    None when the file does not say (MGF: taken as MS2). ``charge_signed`` is False when the file
    wrote the charge without a sign (``CHARGE=1``), which then says nothing about the ion mode.
    ``feature_id`` is the exporter's feature id (MZmine/MS-DIAL ``FEATURE_ID``), kept so results
    join back to a feature table.
    """

    index: int
    title: str = ""
    scan: int | None = None
    ms_level: int | None = None
    precursor_mz: float | None = None
    charge: int = 0
    charge_signed: bool = True
    feature_id: str | None = None
    ion_mode: str | None = None
    adduct: str | None = None
    rt_seconds: float | None = None
    mz: np.ndarray = field(default_factory=lambda: np.empty(0))
    intensity: np.ndarray = field(default_factory=lambda: np.empty(0))
    smiles: str | None = None
    inchikey: str | None = None
    formula: str | None = None
    error: str | None = None
    detail: str = ""


def clean_text(value) -> str | None:
    """Strip a text value; None for empty or placeholder values (N/A, NaN, null, ...)."""
    if value is None:
        return None
    text = str(value).strip()
    return None if text.lower() in _MISSING else text


def ion_mode_from_text(value) -> str | None:
    """'positive' | 'negative' from texts such as Positive, POS, +, negative, N, -; else None."""
    text = clean_text(value)
    if not text:
        return None
    c = text[0].lower()
    if c in "p+":
        return "positive"
    if c in "n-":
        return "negative"
    return None


def charge_from_text(value) -> tuple[int, bool]:
    """(signed charge, whether the text had a sign) of a charge value: '1+' -> (1, True),
    '2-' -> (-2, True), '-1' -> (-1, True), '1' -> (1, False). Missing, 0 or several values
    ('2+ and 3+', '2+,3+') -> (0, False) = unknown. Raises ValueError for other texts."""
    if isinstance(value, (list, tuple)):
        return charge_from_text(value[0]) if len(value) == 1 else (0, False)
    if isinstance(value, (int, np.integer)):
        return int(value), False
    text = clean_text(value)
    if text is None:
        return 0, False
    text = text.replace(" ", "")
    m = re.fullmatch(r"([+-]?)(\d+)([+-]?)", text)
    if not m:
        if re.fullmatch(r"[\d+\-,;/andor]+", text):  # several charges: unknown
            return 0, False
        raise ValueError(f"cannot read charge {value!r}")
    sign = m.group(1) or m.group(3)
    size = int(m.group(2))
    if size == 0:
        return 0, False
    return (-size if sign == "-" else size), bool(sign)


def first_int(value) -> int | None:
    """First integer in a text such as '123', '123-125', 'scan=17'; None if there is none."""
    text = clean_text(value)
    if text is None:
        return None
    m = re.search(r"\d+", text)
    return int(m.group()) if m else None


def scan_from_native_id(native_id: str) -> int | None:
    """Scan number from a PSI native id ('controllerType=0 controllerNumber=1 scan=17'), else None."""
    m = _SCAN_IN_ID.search(native_id or "")
    return int(m.group(1)) if m else None


def inchikey14(value) -> str | None:
    """First block of an InChIKey-like text ('XXXXXXXXXXXXXX-YYYYYYYYFV-P'), else None."""
    text = clean_text(value)
    if not text:
        return None
    block = text.split("-")[0].strip().upper()
    return block if len(block) == 14 and block.isalpha() else None


def as_float(value) -> float | None:
    """``float(value)``, or None when there is no value or it is not a number."""
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def positive_float(value) -> float | None:
    """Float value if > 0; NaN for a non-finite value (so it can be reported); else None."""
    x = as_float(value)
    if x is None:
        return None
    if not math.isfinite(x):
        return math.nan
    return x if x > 0 else None
