"""Bond-type codes for fragmentation-graph edges.

A bridge that breaks one bond of class ``a`` has code ``a`` (1..11). A 2-cut that breaks bonds
of classes ``a <= b`` has code ``16 * a + b``. The root fragment has code 0.

Classes 1-3 are the bonds molDiscovery cuts (O-C, N-C, C-C; Cao et al. 2021). The others cover
groups whose main fragments come from bonds molDiscovery never breaks: sulfonamides (S-N),
organophosphates and phosphate esters (O-P, P-S), thioethers (S-C), phosphonates (P-C), sulfate
and sulfonate esters (S-O), hydrazines and hydrazides (N-N). Only single bonds are cut, in a
Kekule form, so S=O, P=O and P=S stay whole. Codes are stable: a class never changes number.
"""

from __future__ import annotations

ROOT = 0
OC, NC, CC, SC, OP, PC, OTHER, SN, PS, SO, NN = 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
MAX_CLASS = 11

CLASS_NAMES = {OC: "OC", NC: "NC", CC: "CC", SC: "SC", OP: "OP", PC: "PC", OTHER: "XX",
               SN: "SN", PS: "PS", SO: "SO", NN: "NN"}
_BY_ELEMENTS = {
    frozenset(("O", "C")): OC,
    frozenset(("N", "C")): NC,
    frozenset(("C",)): CC,
    frozenset(("S", "C")): SC,
    frozenset(("O", "P")): OP,
    frozenset(("P", "C")): PC,
    frozenset(("S", "N")): SN,
    frozenset(("P", "S")): PS,
    frozenset(("S", "O")): SO,
    frozenset(("N",)): NN,
}
NAME_TO_CLASS = {name: cls for cls, name in CLASS_NAMES.items()}


def bond_class(symbol_a: str, symbol_b: str) -> int:
    """Class of a single bond between two elements (OTHER when not a named pair)."""
    return _BY_ELEMENTS.get(frozenset((symbol_a, symbol_b)), OTHER)


def two_cut_code(class_a: int, class_b: int) -> int:
    a, b = sorted((class_a, class_b))
    return 16 * a + b


def bond_name(code: int) -> str:
    """'root', 'OC', 'NC_OC', ... for a bond-type code."""
    if code == ROOT:
        return "root"
    if code < 16:
        return CLASS_NAMES[code]
    return f"{CLASS_NAMES[code // 16]}_{CLASS_NAMES[code % 16]}"


def is_two_cut(code: int) -> bool:
    return code >= 16


BRIDGE_CODES = tuple(range(1, MAX_CLASS + 1))
TWO_CUT_CODES = tuple(16 * a + b for a in range(1, MAX_CLASS + 1) for b in range(a, MAX_CLASS + 1))
ALL_CODES = (ROOT,) + BRIDGE_CODES + TWO_CUT_CODES
