"""Element alphabets and formulas as integer count arrays.

A formula over an alphabet is an int64 vector of element counts in the alphabet's order. The
alphabet text follows the SIRIUS command line habit: ``CHNOPS`` or with upper bounds
``CHNOP[5]SCl[2]``; an element without brackets is unbounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from specsweep.chem.masses import ELEMENT_MASS, VALENCE

_ELEMENT_TOKEN = re.compile(r"([A-Z][a-z]?)(?:\[(\d+)\])?")
HALOGENS = ("F", "Cl", "Br", "I")
UNBOUNDED = 1 << 30
# multiplier for formula keys (integer hash of a count vector; see formula_keys)
_KEY_BASE = np.int64(1_000_003)


@dataclass(frozen=True)
class Alphabet:
    """Ordered elements with upper bounds; masses in Da and valences for RDBE."""

    elements: tuple[str, ...]
    bounds: tuple[int, ...] = field(default=())

    def __post_init__(self):
        if not self.elements:
            raise ValueError("empty element alphabet")
        if len(set(self.elements)) != len(self.elements):
            raise ValueError(f"duplicate element in alphabet {self.elements}")
        for el in self.elements:
            if el not in ELEMENT_MASS:
                raise ValueError(f"unknown element {el!r}; known: {', '.join(ELEMENT_MASS)}")
        if not self.bounds:
            object.__setattr__(self, "bounds", tuple(UNBOUNDED for _ in self.elements))
        if len(self.bounds) != len(self.elements):
            raise ValueError("alphabet bounds and elements differ in length")

    @classmethod
    def parse(cls, text: str) -> "Alphabet":
        """Parse ``CHNOPS`` / ``CHNOP[5]SClBr[1]``; always keeps the text's element order."""
        text = text.replace(" ", "").replace(",", "")
        elements, bounds, pos = [], [], 0
        for m in _ELEMENT_TOKEN.finditer(text):
            if m.start() != pos:
                break
            elements.append(m.group(1))
            bounds.append(int(m.group(2)) if m.group(2) else UNBOUNDED)
            pos = m.end()
        if pos != len(text) or not elements:
            raise ValueError(f"cannot parse element alphabet {text!r} (e.g. CHNOPS or CHNOP[5]SCl)")
        return cls(tuple(elements), tuple(bounds))

    def with_elements(self, extra) -> "Alphabet":
        """This alphabet plus the given elements (unbounded), order kept, no duplicates."""
        els, bds = list(self.elements), list(self.bounds)
        for el in extra:
            if el not in els:
                els.append(el)
                bds.append(UNBOUNDED)
        return Alphabet(tuple(els), tuple(bds))

    @property
    def masses(self) -> np.ndarray:
        return np.array([ELEMENT_MASS[e] for e in self.elements], dtype=np.float64)

    @property
    def valences(self) -> np.ndarray:
        return np.array([VALENCE[e] for e in self.elements], dtype=np.int64)

    @property
    def bound_array(self) -> np.ndarray:
        return np.array(self.bounds, dtype=np.int64)

    def index(self, element: str) -> int:
        return self.elements.index(element)

    def __str__(self) -> str:
        return "".join(e + (f"[{b}]" if b < UNBOUNDED else "") for e, b in zip(self.elements, self.bounds))

    # --- conversions ------------------------------------------------------------------------
    def to_array(self, counts: dict[str, int]) -> np.ndarray:
        """Count vector of a formula dict; raises ValueError if it uses an element not here."""
        vec = np.zeros(len(self.elements), dtype=np.int64)
        for el, n in counts.items():
            if n == 0:
                continue
            if el not in self.elements:
                raise ValueError(f"element {el} not in alphabet {self}")
            vec[self.elements.index(el)] = n
        return vec

    def to_dict(self, vec) -> dict[str, int]:
        return {el: int(n) for el, n in zip(self.elements, vec) if n}

    def format(self, vec) -> str:
        from specsweep.chem.formulas import format_formula
        return format_formula(self.to_dict(vec))

    def mass(self, formulas: np.ndarray) -> np.ndarray:
        """Monoisotopic neutral masses (Da) of count rows."""
        return np.asarray(formulas, dtype=np.float64) @ self.masses

    def doubled_rdbe(self, formulas: np.ndarray) -> np.ndarray:
        """2 * RDBE = 2 + sum n_i (v_i - 2); odd values mean a radical (or an intrinsic charge)."""
        return 2 + np.asarray(formulas, dtype=np.int64) @ (self.valences - 2)


def formula_keys(formulas: np.ndarray) -> np.ndarray:
    """int64 key of each count row (polynomial hash, wrapping); equal rows give equal keys."""
    formulas = np.atleast_2d(np.asarray(formulas, dtype=np.int64))
    keys = np.zeros(formulas.shape[0], dtype=np.int64)
    with np.errstate(over="ignore"):
        for j in range(formulas.shape[1]):
            keys = keys * _KEY_BASE + formulas[:, j] + 1
    return keys
