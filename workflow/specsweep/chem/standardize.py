"""Structure standardisation with RDKit: one canonical parent structure per input record.

Rules (applied in order): parse; keep the largest fragment (salts, solvents); neutralise
charges where a neutral form exists; optionally drop isotope labels; then check elements,
carbon and mass. A record that fails a rule gets a reason code instead of a structure.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdkit import Chem, RDLogger
from rdkit.Chem import Descriptors, rdMolDescriptors
from rdkit.Chem.MolStandardize import rdMolStandardize

RDLogger.DisableLog("rdApp.*")

DEFAULT_ELEMENTS = frozenset({"C", "H", "N", "O", "P", "S", "F", "Cl", "Br", "I", "Si", "B", "Se"})

# Reason codes written to rejects files.
UNPARSABLE_SMILES = "unparsable_smiles"
NO_CARBON = "no_carbon"
MASS_ABOVE_MAX = "mass_above_max"
UNSUPPORTED_ELEMENT = "unsupported_element"


@dataclass(frozen=True)
class Standardized:
    smiles: str
    inchikey: str
    formula: str
    exact_mass: float  # neutral monoisotopic mass, Da


class Standardizer:
    """Callable that maps a SMILES to a :class:`Standardized` record or a reason code."""

    def __init__(self, max_mass: float = 2000.0, elements=DEFAULT_ELEMENTS, drop_isotopes: bool = False):
        self.max_mass = max_mass
        self.elements = frozenset(elements)
        self.drop_isotopes = drop_isotopes
        self._largest = rdMolStandardize.LargestFragmentChooser(preferOrganic=True)
        self._uncharger = rdMolStandardize.Uncharger()

    def mol(self, smiles: str):
        """Standardised RDKit molecule, or a reason code string."""
        mol = Chem.MolFromSmiles(smiles) if smiles else None
        if mol is None:
            return UNPARSABLE_SMILES
        mol = self._largest.choose(mol)
        mol = self._uncharger.uncharge(mol)
        if self.drop_isotopes:
            for atom in mol.GetAtoms():
                atom.SetIsotope(0)
        symbols = {a.GetSymbol() for a in mol.GetAtoms()}
        if not symbols <= self.elements:
            return UNSUPPORTED_ELEMENT
        if "C" not in symbols:
            return NO_CARBON
        if Descriptors.ExactMolWt(mol) > self.max_mass:
            return MASS_ABOVE_MAX
        return mol

    def __call__(self, smiles: str) -> Standardized | str:
        mol = self.mol(smiles)
        if isinstance(mol, str):
            return mol
        inchikey = Chem.MolToInchiKey(mol)
        if not inchikey:
            return UNPARSABLE_SMILES
        return Standardized(
            smiles=Chem.MolToSmiles(mol),
            inchikey=inchikey,
            formula=rdMolDescriptors.CalcMolFormula(mol),
            exact_mass=float(Descriptors.ExactMolWt(mol)),
        )


def inchikey14(smiles: str) -> str | None:
    """First InChIKey block of a SMILES as RDKit computes it, or None if it does not parse."""
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return None
    key = Chem.MolToInchiKey(mol)
    return key[:14] if key else None
