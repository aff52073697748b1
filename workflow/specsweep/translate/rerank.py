"""Re-ranking of beam candidates by the pipeline's own evidence.

For each spectrum the raw beam strings are parsed with RDKit (invalid ones are dropped), written
as canonical SMILES without stereochemistry and de-duplicated by first InChIKey block (keeping
the best beam score). Each candidate then gets:

- ``mass_error_ppm``: its [M+adduct] m/z against the observed precursor m/z;
- ``formula_match``: its formula equals the formula given for the spectrum (the top formula of
  the formula stage, or a known formula in an evaluation);
- ``fragment_score``: an optional score of the candidate's own fragmentation graph against the
  spectrum (any callable; NaN when not given).

rerank_score = beam_logprob + mass_bonus * [|ppm| <= tol] + formula_bonus * [formula match]
               + fragment_weight * fragment_score.
The bonuses are larger than typical beam score gaps, so precursor agreement and formula agreement
act almost as filters, and the beam order decides within each group.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rdkit import Chem, RDLogger
from rdkit.Chem import Descriptors, rdMolDescriptors

from specsweep.chem.adducts import get_adduct
from specsweep.chem.formulas import parse_formula

RDLogger.DisableLog("rdApp.*")


@dataclass(frozen=True)
class RerankWeights:
    mass_tol_ppm: float = 10.0
    mass_bonus: float = 20.0
    formula_bonus: float = 20.0
    fragment_weight: float = 0.0


@dataclass
class Candidate:
    smiles: str
    inchikey14: str
    formula: str
    exact_mass: float
    beam_logprob: float
    mass_error_ppm: float = float("nan")
    formula_match: bool = False
    fragment_score: float = float("nan")
    rerank_score: float = float("nan")


def parse_candidates(raw: list[str], logprobs) -> tuple[list[Candidate], int]:
    """Valid, de-duplicated candidates (best beam score kept) and the number of invalid strings
    (strings that do not parse, or beams with a non-finite score)."""
    best: dict[str, Candidate] = {}
    invalid = 0
    for s, lp in zip(raw, logprobs):
        # a beam that ran into a dead end under constrained decoding scores -inf: not a candidate
        mol = Chem.MolFromSmiles(s) if s and math.isfinite(lp) else None
        if mol is None:
            invalid += 1
            continue
        Chem.RemoveStereochemistry(mol)
        try:  # RDKit parses some strange strings that it then cannot kekulize for InChI or SMILES
            key = Chem.MolToInchiKey(mol)
            c = Candidate(Chem.MolToSmiles(mol), key[:14], rdMolDescriptors.CalcMolFormula(mol),
                          float(Descriptors.ExactMolWt(mol)), float(lp))
        except (Chem.rdchem.MolSanitizeException, ValueError, RuntimeError):
            key = ""
        if not key:
            invalid += 1
            continue
        if c.inchikey14 not in best or best[c.inchikey14].beam_logprob < c.beam_logprob:
            best[c.inchikey14] = c
    return list(best.values()), invalid


def _same_formula(a: str, b: str) -> bool:
    try:
        return parse_formula(a) == parse_formula(b)
    except ValueError:
        return False


def rerank(cands: list[Candidate], precursor_mz: float, adduct: str | None, formula: str | None = None,
           fragment_score=None, weights: RerankWeights = RerankWeights()) -> list[Candidate]:
    """Fill the evidence columns and return candidates sorted by rerank_score (ties: SMILES)."""
    add = get_adduct(adduct or "[M+H]+")
    for c in cands:
        theo = add.mz(c.exact_mass)
        c.mass_error_ppm = (precursor_mz - theo) / theo * 1e6
        c.formula_match = bool(formula) and _same_formula(c.formula, formula)
        if fragment_score is not None:
            c.fragment_score = float(fragment_score(c.smiles))
        score = c.beam_logprob
        if abs(c.mass_error_ppm) <= weights.mass_tol_ppm:
            score += weights.mass_bonus
        if c.formula_match:
            score += weights.formula_bonus
        if weights.fragment_weight and not math.isnan(c.fragment_score):
            score += weights.fragment_weight * c.fragment_score
        c.rerank_score = score
    return sorted(cands, key=lambda c: (-c.rerank_score, c.smiles))
