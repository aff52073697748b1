"""Molecular formulas as element-count dicts: parsing, Hill-order text, mass, RDBE."""

from __future__ import annotations

import re

from specsweep.chem.masses import ELEMENT_MASS, VALENCE

_TOKEN = re.compile(r"([A-Z][a-z]?)(\d*)")


def parse_formula(text: str, known_elements: bool = True) -> dict[str, int]:
    """Parse a neutral formula such as ``C10H10O3`` into element counts.

    Raises ValueError for stray characters, and (with ``known_elements``) for elements without a
    mass in ``ELEMENT_MASS``.
    """
    counts: dict[str, int] = {}
    pos = 0
    for m in _TOKEN.finditer(text):
        if m.start() != pos:
            raise ValueError(f"cannot parse formula {text!r} at position {pos}")
        el, n = m.group(1), m.group(2)
        if known_elements and el not in ELEMENT_MASS:
            raise ValueError(f"unknown element {el!r} in formula {text!r}")
        counts[el] = counts.get(el, 0) + (int(n) if n else 1)
        pos = m.end()
    if pos != len(text) or not counts:
        raise ValueError(f"cannot parse formula {text!r}")
    return {el: n for el, n in counts.items() if n}


def format_formula(counts: dict[str, int]) -> str:
    """Hill order: C, then H, then the rest alphabetically (alphabetical if no carbon)."""
    counts = {el: n for el, n in counts.items() if n}
    if "C" in counts:
        order = ["C"] + (["H"] if "H" in counts else []) + sorted(el for el in counts if el not in ("C", "H"))
    else:
        order = sorted(counts)
    return "".join(el + (str(counts[el]) if counts[el] != 1 else "") for el in order)


def formula_mass(counts: dict[str, int]) -> float:
    """Neutral monoisotopic mass in Da."""
    return float(sum(ELEMENT_MASS[el] * n for el, n in counts.items()))


def rdbe(counts: dict[str, int]) -> float:
    """Ring and double-bond equivalents: 1 + sum n_i (v_i - 2) / 2."""
    return 1.0 + sum(n * (VALENCE[el] - 2) for el, n in counts.items()) / 2.0
