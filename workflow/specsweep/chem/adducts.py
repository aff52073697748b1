"""Adduct ions: the one table of adducts every stage uses, and how names found in files map to it.

An adduct is written ``[nM+A-B]z±``: ``n_mol`` molecules M, atoms added (``+A``) and removed
(``-B``), and the ion's charge. Each entry of :data:`ADDUCTS` holds its **composition** (element
counts added to ``n_mol`` neutral molecules; negative = removed), its signed charge and
``n_mol``; the mass shift is derived from them:

    mass_shift = mass(composition) - charge * ELECTRON
    m/z        = (n_mol * M + mass_shift) / |charge|

so ``[M+H]+`` shifts by a proton, ``[M-H]-`` by minus a proton, ``[M+Cl]-`` by a chlorine atom plus
an electron. ``[M]+`` is the molecule itself with one electron fewer (a radical cation); a
molecule that carries a permanent charge is entered with the mass of its neutral form as the
database stores it, so under ``[M]+`` its m/z is that mass less one electron.

Names in files vary (``M+H``, ``[M-H2O+H]+``, ``[M+HCOO]-``, ``[M+CH3COO]-``, ``[M+Ac-H]-``).
:func:`resolve_adduct` reads a name into (n_mol, composition, charge) with the groups of
:data:`GROUPS` (``FA`` = formic acid, ``Hac``/``Ac``/``AcOH`` = acetic acid, ``HCOO`` = formate,
``CH3COO``/``OAc`` = acetate, ``ACN`` = acetonitrile, plain formulas such as ``H2O``) and returns the
table entry with the same n_mol and composition (and charge, when the name gives one). A name
that matches no entry is unknown: callers count it as a reject (``unknown_adduct``) and never
replace it by a default set. docs/adducts.md lists the table and the spellings understood.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
import math
from functools import lru_cache

from specsweep.chem.masses import ELECTRON, ELEMENT_MASS


@dataclass(frozen=True)
class Adduct:
    name: str
    charge: int                               # signed charge of the ion
    composition: tuple[tuple[str, int], ...]  # (element, count) added to n_mol * M; < 0 removed
    n_mol: int = 1

    @property
    def atoms(self) -> dict[str, int]:
        """Composition as a dict (element -> count added; negative = removed)."""
        return dict(self.composition)

    @property
    def mass_shift(self) -> float:
        """Da added to n_mol * M, electrons included."""
        return sum(ELEMENT_MASS[e] * n for e, n in self.composition) - self.charge * ELECTRON

    @property
    def ion_mode(self) -> str:
        return "positive" if self.charge > 0 else "negative"

    def mz(self, neutral_mass: float) -> float:
        """Precursor m/z (Th) of a neutral monoisotopic mass (Da)."""
        return (self.n_mol * neutral_mass + self.mass_shift) / abs(self.charge)

    def neutral_mass(self, mz: float) -> float:
        """Neutral monoisotopic mass (Da) that gives this precursor m/z (Th)."""
        return (mz * abs(self.charge) - self.mass_shift) / self.n_mol

    def ion_formula_delta(self) -> dict[str, int]:
        """Atoms added to M to get the ion's 'neutral equivalent' formula (one molecule, |charge| 1):
        the ion is that formula with one proton added (positive) or removed (negative). This is how
        the formula stage writes its root vertex; e.g. [M+Na]+ -> {Na: 1, H: -1}, [M+Cl]- -> {Cl: 1, H: 1}."""
        delta = self.atoms
        sign = 1 if self.charge > 0 else -1
        delta["H"] = delta.get("H", 0) - sign
        return {e: n for e, n in delta.items() if n}


def _adduct(name: str, charge: int, n_mol: int = 1, **atoms: int) -> Adduct:
    return Adduct(name, charge, tuple(sorted((e, n) for e, n in atoms.items() if n)), n_mol)


# Order matters only for readers of saved models that index adducts by position; append new ones.
ADDUCTS: dict[str, Adduct] = {
    a.name: a
    for a in (
        _adduct("[M+H]+", 1, H=1),
        _adduct("[M+Na]+", 1, Na=1),
        _adduct("[M+K]+", 1, K=1),
        _adduct("[M+NH4]+", 1, N=1, H=4),
        _adduct("[M+H-H2O]+", 1, H=-1, O=-1),
        _adduct("[M+2H]2+", 2, H=2),
        _adduct("[M+H+Na]2+", 2, H=1, Na=1),
        _adduct("[M-H]-", -1, H=-1),
        _adduct("[M+Cl]-", -1, Cl=1),
        _adduct("[M+FA-H]-", -1, C=1, H=1, O=2),
        _adduct("[M-2H]2-", -2, H=-2),
        _adduct("[M+Hac-H]-", -1, C=2, H=3, O=2),
        _adduct("[M]+", 1),
        _adduct("[M-H2O-H]-", -1, H=-3, O=-1),
        _adduct("[M+Br]-", -1, Br=1),
        _adduct("[2M+H]+", 1, 2, H=1),
        _adduct("[2M+Na]+", 1, 2, Na=1),
        _adduct("[2M-H]-", -1, 2, H=-1),
    )
}

# Named groups of adduct notation (besides element symbols and plain formulas).
GROUPS: dict[str, dict[str, int]] = {
    "FA": {"C": 1, "H": 2, "O": 2}, "HCOOH": {"C": 1, "H": 2, "O": 2},   # formic acid
    "HCOO": {"C": 1, "H": 1, "O": 2},                                      # formate
    "Hac": {"C": 2, "H": 4, "O": 2}, "HAc": {"C": 2, "H": 4, "O": 2},     # acetic acid
    "AcOH": {"C": 2, "H": 4, "O": 2}, "CH3COOH": {"C": 2, "H": 4, "O": 2},
    "Ac": {"C": 2, "H": 4, "O": 2},   # as in '[M+Ac-H]-' (MS-DIAL, GNPS): acetic acid
    "CH3COO": {"C": 2, "H": 3, "O": 2}, "OAc": {"C": 2, "H": 3, "O": 2},  # acetate
    "TFA": {"C": 2, "H": 1, "F": 3, "O": 2},
    "ACN": {"C": 2, "H": 3, "N": 1}, "MeOH": {"C": 1, "H": 4, "O": 1}, "IsoProp": {"C": 3, "H": 8, "O": 1},
    "DMSO": {"C": 2, "H": 6, "O": 1, "S": 1},
}

# Spellings seen in public libraries and exporters that the rules above map to a table entry
# (kept as a checked list: tests assert each resolves to the entry named here).
ALIASES: dict[str, str] = {
    "M+H": "[M+H]+", "[M+H]": "[M+H]+", "M+H+": "[M+H]+", "[M+H]1+": "[M+H]+", "[M+H]+1": "[M+H]+",
    "M-H": "[M-H]-", "[M-H]": "[M-H]-", "[M-H]1-": "[M-H]-",
    "M+Na": "[M+Na]+", "M+K": "[M+K]+", "M+NH4": "[M+NH4]+", "M+2H": "[M+2H]2+", "[M+2H]++": "[M+2H]2+",
    "M+H-H2O": "[M+H-H2O]+", "[M-H2O+H]+": "[M+H-H2O]+", "M-H2O+H": "[M+H-H2O]+",
    "M+Cl": "[M+Cl]-", "M+FA-H": "[M+FA-H]-", "M+HCOO": "[M+FA-H]-", "[M+HCOO]-": "[M+FA-H]-",
    "[M-H+HCOOH]-": "[M+FA-H]-", "[M+CH3COO]-": "[M+Hac-H]-", "M+CH3COO": "[M+Hac-H]-",
    "[M+Ac-H]-": "[M+Hac-H]-", "[M+OAc]-": "[M+Hac-H]-", "M-2H": "[M-2H]2-", "[M-2H]--": "[M-2H]2-",
    "M+": "[M]+", "[M]+*": "[M]+", "M-H2O-H": "[M-H2O-H]-",
    # the radical cation, with its dot before or after the charge ([M]+. and [M]+• are read by the rules)
    "[M]•+": "[M]+", "[M]*+": "[M]+", "[M].+": "[M]+", "M+.": "[M]+", "M+•": "[M]+", "M•+": "[M]+",
    "M.+": "[M]+", "2M+H": "[2M+H]+", "2M-H": "[2M-H]-",
}

_BRACKETED = re.compile(r"^\[(?P<body>[^\]]+)\](?P<charge>\d*[+-]+\d*)?[*•.]?$")
_BARE = re.compile(r"^(?P<body>\d*M(?:[+-]\d*[A-Za-z][A-Za-z0-9]*)*)(?P<charge>[+-])?$")
_TERM = re.compile(r"([+-])(\d*)([A-Za-z][A-Za-z0-9]*)")
_FORMULA_TOKEN = re.compile(r"([A-Z][a-z]?)(\d*)")


def _group_atoms(text: str) -> dict[str, int] | None:
    if text in GROUPS:
        return dict(GROUPS[text])
    counts: dict[str, int] = {}
    pos = 0
    for m in _FORMULA_TOKEN.finditer(text):
        if m.start() != pos or m.group(1) not in ELEMENT_MASS:
            return None
        counts[m.group(1)] = counts.get(m.group(1), 0) + (int(m.group(2)) if m.group(2) else 1)
        pos = m.end()
    return counts if pos == len(text) and counts else None


def _charge_of(text: str | None) -> int | None:
    """'+' -> 1, '2-' -> -2, '-2' -> -2, '++' -> 2; None when the name gives no charge."""
    if not text:
        return None
    signs = text.strip("0123456789")
    digits = text.replace("+", "").replace("-", "")
    if len(set(signs)) != 1:
        return None
    size = int(digits) if digits else len(signs)
    return size if signs[0] == "+" else -size


def parse_adduct_name(name: str) -> tuple[int, dict[str, int], int | None] | None:
    """(n_mol, composition, charge or None) of an adduct name, or None if it cannot be read."""
    text = re.sub(r"\s+", "", str(name))
    m = _BRACKETED.match(text) or _BARE.match(text)
    if not m:
        return None
    body = m.group("body")
    head = re.match(r"^(\d*)M", body)
    if not head:
        return None
    n_mol = int(head.group(1)) if head.group(1) else 1
    rest = body[head.end():]
    comp: dict[str, int] = {}
    pos = 0
    for t in _TERM.finditer(rest):
        if t.start() != pos:
            return None
        atoms = _group_atoms(t.group(3))
        if atoms is None:
            return None
        k = (int(t.group(2)) if t.group(2) else 1) * (1 if t.group(1) == "+" else -1)
        for e, n in atoms.items():
            comp[e] = comp.get(e, 0) + k * n
        pos = t.end()
    if pos != len(rest) or n_mol < 1:
        return None
    charge = _charge_of(m.group("charge"))
    if m.group("charge") and charge is None:
        return None
    return n_mol, {e: n for e, n in comp.items() if n}, charge


@lru_cache(maxsize=4096)
def resolve_adduct(name: str | None) -> Adduct | None:
    """The table entry a name stands for, or None when it is not understood."""
    if name is None:
        return None
    key = str(name).strip()
    if key in ADDUCTS:
        return ADDUCTS[key]
    parsed = parse_adduct_name(ALIASES.get(key, key))
    if parsed is None:
        return None
    n_mol, comp, charge = parsed
    comp_key = tuple(sorted(comp.items()))
    hits = [a for a in ADDUCTS.values() if a.n_mol == n_mol and a.composition == comp_key
            and (charge is None or a.charge == charge)]
    return hits[0] if len(hits) == 1 else None


def get_adduct(name: str) -> Adduct:
    """Look up an adduct by name (any spelling :func:`resolve_adduct` understands); raise
    ValueError naming the known ones otherwise."""
    adduct = resolve_adduct(name)
    if adduct is None:
        raise ValueError(f"unknown adduct {name!r}; known: {', '.join(ADDUCTS)} (see docs/adducts.md)")
    return adduct


# Adducts tried when a spectrum names none. An adduct earns its place when what it can gain,
# at most its prior share of spectra (ADDUCT_PRIOR), exceeds what it costs the protonated /
# deprotonated majority (wrong candidates under it outranking the right one), measured on a
# validation split of dev_full without any dev_500 compound (benchmarks/adduct_validation.py;
# benchmarks/RESULTS.md, "ion modes and adducts"). [M+H-H2O]+ does not: it costs 2.0 points of
# top-1 on [M+H]+ spectra (its candidates, hydrates of the right compound, match as is or minus
# water) against a gain of at most 1.5, and its ion is also [M'+H]+ of the dehydrated molecule.
# A spectrum or dataset that names [M+H-H2O]+ is still searched with it.
DEFAULT_ADDUCTS: dict[str, tuple[str, ...]] = {
    "positive": ("[M+H]+", "[M+Na]+", "[M+K]+", "[M+NH4]+", "[M+2H]2+"),
    "negative": ("[M-H]-", "[M+Cl]-", "[M+FA-H]-", "[M+Hac-H]-", "[M-2H]2-"),
}

# Prior probability of each adduct among the spectra of its ion mode, used when a spectrum does
# not name its adduct and a set is tried (search adds log(prior / prior of the most likely adduct)
# to each candidate's score, so the most likely adduct scores as if it had been named). Fixed a
# priori, not fitted on any evaluation set: in the licence-filtered MassBank MS2 records the
# protonated ion is about 91 % of positive-mode spectra (README of ../shared/data/spectra:
# 4,547 records of other precursor types against ~48,500 [M+H]+ records reaching that rule);
# the rest is spread in the order usual in ESI (Na > NH4 > K, in-source water loss), and the same
# split is taken for negative mode (formate > chloride = acetate). Adducts without an entry get
# ADDUCT_PRIOR_OTHER. docs/adducts.md shows the table.
ADDUCT_PRIOR: dict[str, float] = {
    "[M+H]+": 0.90, "[M+Na]+": 0.04, "[M+NH4]+": 0.025, "[M+H-H2O]+": 0.015, "[M+K]+": 0.01,
    "[M+2H]2+": 0.01,
    "[M-H]-": 0.90, "[M+FA-H]-": 0.04, "[M+Cl]-": 0.02, "[M+Hac-H]-": 0.02, "[M-2H]2-": 0.01,
}
ADDUCT_PRIOR_OTHER = 0.005


def adduct_log_prior(adduct: Adduct) -> float:
    """log(prior of ``adduct`` / prior of the most likely adduct of its ion mode), <= 0."""
    top = max(p for n, p in ADDUCT_PRIOR.items() if ADDUCTS[n].ion_mode == adduct.ion_mode)
    return math.log(ADDUCT_PRIOR.get(adduct.name, ADDUCT_PRIOR_OTHER) / top)


def default_adducts(ion_mode: str) -> list[Adduct]:
    """Adducts tried when a spectrum names none: by ion mode ('positive'/'negative')."""
    mode = "negative" if str(ion_mode).lower().startswith("neg") else "positive"
    return [ADDUCTS[n] for n in DEFAULT_ADDUCTS[mode]]
