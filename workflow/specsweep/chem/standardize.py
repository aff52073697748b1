"""Structure standardisation with RDKit: one canonical parent structure per input record.

Rules (applied in order): parse; keep the largest fragment (salts, solvents); neutralise
charges where a neutral form exists; optionally drop isotope labels; then check elements,
carbon, net charge and mass. A record that fails a rule gets a reason code instead of a structure.

Isotope labels (``[13CH3]``, ``[2H]``, ``[37Cl]``) are kept unless ``drop_isotopes``: a labelled
structure has its own mass, so it is a molecule of its own. Its InChIKey first block is that of
the unlabelled structure (labels live in a later InChI layer), so :attr:`Standardized.dedup_key`
adds the labels (``<block>-13C2.2H3``) and prepare-db never merges a labelled structure with the
unlabelled one, nor lets one represent the other.

Permanent charges: a structure that stays charged after neutralisation (quaternary ammonium such
as choline ``C[N+](C)(C)CCO``, sulfonium, pyridinium) is a permanent cation when its net charge
is +1. Its ``exact_mass`` is the mass of its atoms as neutral atoms (the cation's mass plus one
electron): the same convention as every other molecule, so that the search's ``[M]+`` entry of
the adduct table (m/z = M - one electron) gives the cation's own m/z, which is its precursor.
Its formula keeps the sign (``C5H14NO+``), which is how later stages know it. Any other net
charge (permanent anions, dications) is rejected as ``unsupported_charge``: the search models
no ion for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdkit import Chem, RDLogger
from rdkit.Chem import Descriptors, rdMolDescriptors
from rdkit.Chem.MolStandardize import rdMolStandardize

from specsweep.chem.masses import ELECTRON

RDLogger.DisableLog("rdApp.*")

DEFAULT_ELEMENTS = frozenset({"C", "H", "N", "O", "P", "S", "F", "Cl", "Br", "I", "Si", "B", "Se"})

# Reason codes written to rejects files.
UNPARSABLE_SMILES = "unparsable_smiles"
NO_CARBON = "no_carbon"
MASS_ABOVE_MAX = "mass_above_max"
UNSUPPORTED_ELEMENT = "unsupported_element"
UNSUPPORTED_CHARGE = "unsupported_charge"


@dataclass(frozen=True)
class Standardized:
    smiles: str
    inchikey: str
    formula: str
    exact_mass: float  # monoisotopic mass of the atoms as neutral atoms, Da
    labels: str = ""   # isotope labels, e.g. '13C2.2H3' ('' = unlabelled)

    @property
    def dedup_key(self) -> str:
        """Key under which records are the same molecule: InChIKey first block, plus the labels."""
        return self.inchikey[:14] + (f"-{self.labels}" if self.labels else "")

    @property
    def permanent_cation(self) -> bool:
        return self.formula.endswith("+")


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
        if Chem.GetFormalCharge(mol) not in (0, 1):
            return UNSUPPORTED_CHARGE
        if neutral_atoms_mass(mol) > self.max_mass:
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
            exact_mass=neutral_atoms_mass(mol),
            labels=isotope_labels(mol),
        )


def neutral_atoms_mass(mol) -> float:
    """Monoisotopic mass (Da) of a molecule's atoms as neutral atoms (isotope labels included).

    RDKit's ExactMolWt takes off one electron per positive charge; a permanent cation's stored
    mass adds it back (see the module doc)."""
    return float(Descriptors.ExactMolWt(mol)) + Chem.GetFormalCharge(mol) * ELECTRON


def isotope_labels(mol) -> str:
    """Isotope labels of a molecule as '<mass><element><count>' joined by '.', sorted
    ('13C2.2H3'); '' when it has none. Explicit labelled hydrogens are counted too."""
    counts: dict[str, int] = {}
    for atom in mol.GetAtoms():
        if atom.GetIsotope():
            label = f"{atom.GetIsotope()}{atom.GetSymbol()}"
            counts[label] = counts.get(label, 0) + 1
    return ".".join(f"{k}{v}" for k, v in sorted(counts.items()))


def inchikey14(smiles: str) -> str | None:
    """First InChIKey block of a SMILES as RDKit computes it, or None if it does not parse."""
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return None
    key = Chem.MolToInchiKey(mol)
    return key[:14] if key else None
