"""Glycerophospholipids in negative mode: the formula from the fatty-acyl anions and the precursor.

A deprotonated glycerophospholipid ([M-H]-) fragments into the carboxylate anions of its fatty
acyl chains (CnH(2n-1-2d)O2-, n carbons, d double bonds or rings) and into head-group ions; most
of the spectrum's intensity lies in those anions. Its formula is the glycerophospho head group
(glycerophosphate, -ethanolamine, -glycerol, -inositol, -serine) plus its chains' acids minus
one water per ester bond. The fragmentation trees cannot find this formula (docs/formula.md,
"Negative-mode glycerophospholipids"): every informative edge is a loss of 250-650 Da, which the
loss-mass prior scores far below an empty tree. Here the formula is read off the spectrum
instead, as lipid-specific rules do (the class and chains from diagnostic ions and the precursor,
in the spirit of SIRIUS's lipid detection and of rule-based lipid annotation such as LipidMatch,
Koelmel et al., BMC Bioinformatics 18:331, 2017):

- a chain is a peak within the fragment tolerance of a carboxylate anion with 10-30 carbons and
  at most 6 double bonds;
- the spectrum is a diacyl lipid of class X when the head group of X plus two observed chains'
  acids (the same chain twice allowed) minus two waters is within the precursor tolerance of the
  neutral precursor mass, or a lyso lipid with one chain and one water;
- a call needs exactly one formula among all such matches (a second formula, from another
  class or pair, means no call); diacyl matches with two different observed chains win over the
  others, as they are supported by two peaks.

A match is a claim about the formula only: the class and chain names it carries are the rule's
reading and are reported as such (two classes or chain pairs of the same formula are one call).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from specsweep.chem.formulas import format_formula, formula_mass, parse_formula
from specsweep.chem.masses import PROTON

# neutral glycerophospho head groups (the lipid with its acyl chains replaced by OH)
HEAD_GROUPS: dict[str, dict[str, int]] = {
    "PA": parse_formula("C3H9O6P"),    # glycerol 3-phosphate
    "PE": parse_formula("C5H14NO6P"),  # glycerophosphoethanolamine
    "PG": parse_formula("C6H15O8P"),   # glycerophosphoglycerol
    "PI": parse_formula("C9H19O11P"),  # glycerophosphoinositol
    "PS": parse_formula("C6H14NO8P"),  # glycerophosphoserine
}
LIPID_ADDUCT = "[M-H]-"
# fragment tolerance of the acyl anions: wider than the stage's 10 ppm, because lipid records are
# often profile or coarsely rounded spectra with 5-20 ppm errors (docs/formula.md); the call
# still needs the precursor within the stage's own tolerance
FRAGMENT_PPM = 20.0
CHAIN_CARBONS = range(10, 31)
CHAIN_MAX_DOUBLE_BONDS = 6
WATER_MASS = formula_mass(parse_formula("H2O"))


@dataclass(frozen=True)
class Chain:
    carbons: int
    double_bonds: int
    oxygens: int = 2   # 3: an oxidised chain (hydroxy, epoxy or oxo fatty acid)

    @property
    def acid(self) -> dict[str, int]:
        return {"C": self.carbons, "H": 2 * self.carbons - 2 * self.double_bonds, "O": self.oxygens}

    @property
    def anion(self) -> dict[str, int]:
        return {**self.acid, "H": self.acid["H"] - 1}

    @property
    def anion_mz(self) -> float:
        return formula_mass(self.acid) - PROTON

    def __str__(self) -> str:
        return f"{self.carbons}:{self.double_bonds}" + (";O" if self.oxygens == 3 else "")


@dataclass(frozen=True)
class LipidCall:
    formula: dict[str, int]   # neutral molecule
    lipid_class: str          # e.g. "PE"
    chains: tuple[Chain, ...]
    mass_error_da: float      # neutral precursor mass minus the formula's mass
    peaks: tuple[float, ...] = ()  # m/z of the peaks read as the acyl chains' anions

    @property
    def name(self) -> str:
        return f"{self.lipid_class} {'_'.join(str(c) for c in self.chains)}"

    def evidence(self) -> dict:
        """What the call rests on, for the stage's tree JSON: the reading, the precursor mass
        error and each acyl chain's anion (formula, theoretical and measured m/z)."""
        acyl = [c for c in self.chains if isinstance(c, Chain)]
        return {"name": self.name, "mass_error_da": round(self.mass_error_da, 6),
                "chain_anions": [{"chain": str(c), "formula": format_formula(c.anion),
                                  "theoretical_mz": round(c.anion_mz, 6), "mz": round(m, 6)}
                                 for c, m in zip(acyl, self.peaks)]}


@dataclass(frozen=True)
class EtherChain:
    """An sn-1 alkyl (or, with one more double bond, alkenyl) ether chain: it leaves no anion."""
    carbons: int
    double_bonds: int

    @property
    def alcohol(self) -> dict[str, int]:
        return {"C": self.carbons, "H": 2 * self.carbons + 2 - 2 * self.double_bonds, "O": 1}

    def __str__(self) -> str:
        return f"O-{self.carbons}:{self.double_bonds}"


ETHER_CHAINS = tuple(EtherChain(n, d) for n in range(12, 25) for d in range(0, 3))
ALL_CHAINS = tuple(Chain(n, d, o) for o in (2, 3) for n in CHAIN_CARBONS
                   for d in range(CHAIN_MAX_DOUBLE_BONDS + 1))
# masses computed once: the rule runs on every [M-H]- spectrum
_HEAD_MASS = {cls: formula_mass(f) for cls, f in HEAD_GROUPS.items()}
_ANION_MZ = np.array([ch.anion_mz for ch in ALL_CHAINS])
_ACID_MASS = {ch: formula_mass(ch.acid) for ch in ALL_CHAINS}
_ALCOHOL_MASS = {e: formula_mass(e.alcohol) for e in ETHER_CHAINS}


def _combine(*parts: dict[str, int], waters: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in parts:
        for e, n in p.items():
            out[e] = out.get(e, 0) + n
    out["H"] -= 2 * waters
    out["O"] -= waters
    return {e: n for e, n in out.items() if n}


def observed_chains(mz: np.ndarray, tolerance_da) -> dict[Chain, float]:
    """Chains whose carboxylate anion m/z lies within ``tolerance_da(m/z)`` of a peak, with the
    nearest such peak's m/z."""
    mz = np.sort(np.asarray(mz, dtype=float))
    if mz.size == 0:
        return {}
    i = np.searchsorted(mz, _ANION_MZ)
    below = mz[np.clip(i - 1, 0, mz.size - 1)]
    above = mz[np.clip(i, 0, mz.size - 1)]
    nearest = np.where(np.abs(below - _ANION_MZ) <= np.abs(above - _ANION_MZ), below, above)
    return {ch: float(nearest[k]) for k, ch in enumerate(ALL_CHAINS)
            if abs(nearest[k] - _ANION_MZ[k]) <= float(tolerance_da(_ANION_MZ[k]))}


def lipid_matches(neutral_mass: float, mz: np.ndarray, fragment_tolerance_da,
                  precursor_tolerance_da: float) -> list[LipidCall]:
    """Every class and chain combination (two observed acyl chains; one, with or without an ether
    chain) whose formula is within ``precursor_tolerance_da`` of ``neutral_mass``; the best
    supported first. Peaks at or above the precursor (its ion and isotopes) are not read."""
    mz = np.asarray(mz, dtype=float)
    found = observed_chains(mz[mz < neutral_mass - PROTON - 1.0], fragment_tolerance_da)
    chains = list(found)
    out: list[LipidCall] = []

    def add(cls, named, masses, waters):
        err = neutral_mass - (_HEAD_MASS[cls] + sum(masses) - waters * WATER_MASS)
        if abs(err) <= precursor_tolerance_da:   # the formula is built only for a match
            parts = [c.acid if isinstance(c, Chain) else c.alcohol for c in named]
            f = _combine(HEAD_GROUPS[cls], *parts, waters=waters)
            out.append(LipidCall(f, cls, named, neutral_mass - formula_mass(f),
                                 tuple(found[c] for c in named if c in found)))

    for cls in HEAD_GROUPS:
        for i, a in enumerate(chains):
            for b in chains[i:]:
                add(cls, (a, b), (_ACID_MASS[a], _ACID_MASS[b]), 2)
            add(cls, (a,), (_ACID_MASS[a],), 1)
            for e in ETHER_CHAINS:
                add(cls, (e, a), (_ACID_MASS[a], _ALCOHOL_MASS[e]), 2)
    out.sort(key=lambda c: (-_support(c), abs(c.mass_error_da)))
    return out


def _support(call: LipidCall) -> int:
    """Observed peaks behind the call: 2 for two different acyl chains, else 1."""
    return len({c for c in call.chains if isinstance(c, Chain)})


def call_lipid(neutral_mass: float, mz: np.ndarray, precursor_tolerance_da: float,
               fragment_ppm: float = FRAGMENT_PPM, fragment_min_da: float = 0.002) -> LipidCall | None:
    """The glycerophospholipid formula an [M-H]- spectrum of neutral mass ``neutral_mass`` shows,
    or None (no match, or matches of more than one formula at the best support). Acyl anions
    are read within ``fragment_ppm``, at least ``fragment_min_da``."""
    matches = lipid_matches(neutral_mass, mz, lambda m: max(fragment_ppm * 1e-6 * m, fragment_min_da),
                            precursor_tolerance_da)
    if not matches:
        return None
    best = _support(matches[0])
    formulas = {tuple(sorted(m.formula.items())) for m in matches if _support(m) == best}
    return matches[0] if len(formulas) == 1 else None
