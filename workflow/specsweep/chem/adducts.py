"""Adduct ions: how a neutral mass M becomes a precursor m/z and back.

m/z = (n_mol * M + mass_shift) / |charge|, where mass_shift already includes the electrons
gained or lost. Names follow the usual bracket notation (``[M+H]+``).
"""

from __future__ import annotations

from dataclasses import dataclass

from specsweep.chem.masses import ELECTRON, ELEMENT_MASS, PROTON


@dataclass(frozen=True)
class Adduct:
    name: str
    charge: int
    mass_shift: float  # Da added to n_mol * M, electrons included
    n_mol: int = 1

    def mz(self, neutral_mass: float) -> float:
        """Precursor m/z (Th) of a neutral monoisotopic mass (Da)."""
        return (self.n_mol * neutral_mass + self.mass_shift) / abs(self.charge)

    def neutral_mass(self, mz: float) -> float:
        """Neutral monoisotopic mass (Da) that gives this precursor m/z (Th)."""
        return (mz * abs(self.charge) - self.mass_shift) / self.n_mol


_H = ELEMENT_MASS["H"]
_NA = ELEMENT_MASS["Na"] - ELECTRON
_K = ELEMENT_MASS["K"] - ELECTRON
_NH4 = ELEMENT_MASS["N"] + 4 * _H - ELECTRON
_CL = ELEMENT_MASS["Cl"] + ELECTRON
_FA_H = ELEMENT_MASS["C"] + 2 * ELEMENT_MASS["O"] + _H + ELECTRON  # HCOO-

ADDUCTS: dict[str, Adduct] = {
    a.name: a
    for a in (
        Adduct("[M+H]+", 1, PROTON),
        Adduct("[M+Na]+", 1, _NA),
        Adduct("[M+K]+", 1, _K),
        Adduct("[M+NH4]+", 1, _NH4),
        Adduct("[M+H-H2O]+", 1, PROTON - 2 * _H - ELEMENT_MASS["O"]),
        Adduct("[M+2H]2+", 2, 2 * PROTON),
        Adduct("[M+H+Na]2+", 2, PROTON + _NA),
        Adduct("[M-H]-", -1, -PROTON),
        Adduct("[M+Cl]-", -1, _CL),
        Adduct("[M+FA-H]-", -1, _FA_H),
        Adduct("[M-2H]2-", -2, -2 * PROTON),
    )
}

_ALIASES = {"M+H": "[M+H]+", "M+Na": "[M+Na]+", "M+K": "[M+K]+", "M+NH4": "[M+NH4]+",
            "M+2H": "[M+2H]2+", "M-H": "[M-H]-", "M+Cl": "[M+Cl]-", "M+FA-H": "[M+FA-H]-",
            "M+HCOO": "[M+FA-H]-", "[M+HCOO]-": "[M+FA-H]-", "M+H-H2O": "[M+H-H2O]+"}


def get_adduct(name: str) -> Adduct:
    """Look up an adduct by name; raise ValueError naming the known ones."""
    key = name.strip()
    key = _ALIASES.get(key, key)
    if key not in ADDUCTS:
        raise ValueError(f"unknown adduct {name!r}; known: {', '.join(ADDUCTS)}")
    return ADDUCTS[key]


def default_adducts(ion_mode: str) -> list[Adduct]:
    """Adducts tried when a spectrum names none: by ion mode ('positive'/'negative')."""
    if ion_mode.startswith("neg"):
        return [ADDUCTS[n] for n in ("[M-H]-", "[M+Cl]-", "[M+FA-H]-", "[M-2H]2-")]
    return [ADDUCTS[n] for n in ("[M+H]+", "[M+Na]+", "[M+K]+", "[M+NH4]+", "[M+2H]2+")]
