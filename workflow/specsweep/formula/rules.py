"""Chemical plausibility of candidate precursor (neutral molecule) formulas.

Applied to the neutral molecule M of every candidate, before any tree is computed:

1. Even-electron rule for the ion type. For protonated, deprotonated and cationised/anionised
   ions ([M+H]+, [M-H]-, [M+Na]+, [M+Cl]-, [M+NH4]+, ...) the molecule is an ordinary closed-shell
   molecule: its ring-plus-double-bond equivalent (RDBE = 1 + sum n_i (v_i - 2) / 2, with the
   lowest common valences) is an integer >= 0. Exceptions: ions that are the molecule itself
   ([M]+, [M]-; radical ions from electron loss/capture, or compounds that carry a permanent
   charge, whose formula as written has a half-integer RDBE) accept half-integer RDBE >= -0.5.
2. Element ratios to carbon (Kind & Fiehn, "Seven Golden Rules for heuristic filtering of
   molecular formulas obtained by accurate mass spectrometry", BMC Bioinformatics 8:105, 2007;
   rule 4 and 5): H/C, N/C, O/C, P/C, S/C, F/C, Cl/C, Br/C within the "common range" of that paper,
   which held 99.7 % of the formulas of their databases. Iodine is not in their table: the Br/C
   bound is used for I/C. At least one carbon atom.
3. Element-count combinations (their rule 6, "HNOPS probability"): when N, O, P and S are all
   present at > 1, N < 10, O < 20, P < 4, S < 3; N, O, P > 3: N < 11, O < 22, P < 6;
   P, S, N > 1: P < 3, S < 3, N < 4; N, O, S > 6: N < 19, O < 14, S < 8. Their O, P, S rule
   (all > 1: O < 14, P < 3, S < 3) is left out: it rejects ethion (C9H22O4P2S4), an
   organophosphate pesticide of our training data.

4. At most ``max_rare_elements`` (default 4) distinct elements other than C, H, N and O. Of the
   3,788 MassBank compounds listed in ``../shared/data/spectra/massbank_compounds.tsv.gz``
   2,414 have none, 1,056 one, 280 two, 37 three and one four (profenofos, C11H15BrClO3PS, an
   organophosphate pesticide). Over CHNOPSFClBrI most decompositions of a large mass combine
   four to six of them (42 % of the ~250,000 plausible formulas of a 900 Da precursor hold five
   or six), so the bound prunes the search where those elements are placed.

Bounds: the "extended range" of Kind & Fiehn (99.99 % of their formulas), since the common range
rejects 1.5 % of our training compounds (perfluorinated acids, small N- and P-rich molecules). The
lower H/C bound counts halogens with hydrogen ((H + F + Cl + Br + I) / C >= 0.1): perfluorinated
compounds such as C8HF15O2 would fail it otherwise.

How often the true formulas of our training compounds (dev_full minus dev_500) break each rule
is measured by ``benchmarks/formula_rules_check.py`` (see benchmarks/RESULTS.md, "## formula").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from specsweep.formula.alphabet import HALOGENS, Alphabet
from specsweep.params.stages import FormulaStageParams

# (element, maximum count per carbon atom) of Kind & Fiehn 2007, Table 3: the "common range"
# (99.7 % of their database formulas) and the "extended range" (99.99 %)
COMMON_RANGE: dict[str, float] = {
    "H": 3.1, "N": 1.3, "O": 1.2, "P": 0.3, "S": 0.8, "F": 1.5, "Cl": 0.8, "Br": 0.8, "I": 0.8,
    "Si": 0.5,
}
EXTENDED_RANGE: dict[str, float] = {
    "H": 6.0, "N": 4.0, "O": 3.0, "P": 2.0, "S": 3.0, "F": 6.0, "Cl": 2.0, "Br": 2.0, "I": 2.0,
    "Si": 1.0,
}
H_PER_CARBON_MIN = {"common": 0.2, "extended": 0.1}
RANGES = {"common": COMMON_RANGE, "extended": EXTENDED_RANGE}

# (elements, threshold: all of them above it, maximum counts strictly below) of Kind & Fiehn 2007
ELEMENT_COMBINATIONS: tuple[tuple[tuple[str, ...], int, tuple[int, ...]], ...] = (
    (("N", "O", "P", "S"), 1, (10, 20, 4, 3)),
    (("N", "O", "P"), 3, (11, 22, 6)),
    (("P", "S", "N"), 1, (3, 3, 4)),
    (("N", "O", "S"), 6, (19, 14, 8)),
)

# elements that do not count towards rule 4
COMMON_ELEMENTS = frozenset({"C", "H", "N", "O"})


def rare_bound(option: int) -> int | None:
    """``max_rare_elements`` from its command-line value (-1: no bound)."""
    return None if option < 0 else option


def rare_flags(elements) -> np.ndarray:
    """Per element of ``elements``: 1 when it counts towards rule 4 (not C, H, N or O)."""
    return np.array([el not in COMMON_ELEMENTS for el in elements], dtype=np.int64)

# ions that are the molecule itself: radical ions or intrinsically charged molecules
RADICAL_OR_INTRINSIC_IONS = frozenset({"[M]+", "[M]-", "[M]+.", "[M]-.", "[M]•+", "[M]•-"})


@dataclass(frozen=True)
class RuleSettings:
    even_electron: bool = True     # integer RDBE >= 0 for the neutral molecule (except [M]+/-)
    element_ratios: bool = True    # per-carbon bounds and element combinations above
    ratio_range: str = "extended"  # common | extended (Kind & Fiehn 2007, Table 3)
    # distinct elements other than C, H, N, O (None: no bound); the stage's default
    max_rare_elements: int | None = FormulaStageParams().max_rare_elements


def adduct_allows_radical(adduct_name: str) -> bool:
    """True when the ion is the molecule itself, so the formula as written may be odd-electron."""
    return adduct_name in RADICAL_OR_INTRINSIC_IONS


def even_electron_mask(formulas: np.ndarray, alphabet: Alphabet, adduct_name: str) -> np.ndarray:
    """Rows that satisfy the even-electron rule for this ion type (see module docstring)."""
    dr = alphabet.doubled_rdbe(formulas)
    if adduct_allows_radical(adduct_name):
        return dr >= -1
    return (dr % 2 == 0) & (dr >= 0)


def _column(formulas: np.ndarray, alphabet: Alphabet, element: str) -> np.ndarray:
    if element in alphabet.elements:
        return formulas[:, alphabet.index(element)]
    return np.zeros(formulas.shape[0], dtype=np.int64)


def element_ratio_mask(formulas: np.ndarray, alphabet: Alphabet, ratio_range: str = "extended") -> np.ndarray:
    """Rows with at least one carbon, per-carbon element counts and element combinations within
    the bounds of Kind & Fiehn 2007 (module docstring)."""
    formulas = np.asarray(formulas, dtype=np.int64)
    c = _column(formulas, alphabet, "C").astype(np.float64)
    ok = c >= 1
    h = _column(formulas, alphabet, "H") + sum(_column(formulas, alphabet, el) for el in HALOGENS)
    ok &= h >= H_PER_CARBON_MIN[ratio_range] * c
    for el, bound in RANGES[ratio_range].items():
        if el in alphabet.elements:
            ok &= _column(formulas, alphabet, el) <= bound * c + 1e-9
    for elements, above, below in ELEMENT_COMBINATIONS:
        cols = [_column(formulas, alphabet, el) for el in elements]
        applies = np.all([col > above for col in cols], axis=0)
        within = np.all([col < lim for col, lim in zip(cols, below)], axis=0)
        ok &= ~applies | within
    return ok


def rare_element_mask(formulas: np.ndarray, alphabet: Alphabet, max_rare: int) -> np.ndarray:
    """Rows with at most ``max_rare`` distinct elements other than C, H, N and O (rule 4)."""
    formulas = np.asarray(formulas, dtype=np.int64)
    return (formulas[:, rare_flags(alphabet.elements) > 0] > 0).sum(axis=1) <= max_rare


def plausible_mask(formulas: np.ndarray, alphabet: Alphabet, adduct_name: str,
                   settings: RuleSettings = RuleSettings()) -> np.ndarray:
    """Rows of neutral molecule formulas that pass the enabled rules for this adduct."""
    formulas = np.asarray(formulas, dtype=np.int64).reshape(-1, len(alphabet.elements))
    ok = np.ones(formulas.shape[0], dtype=bool)
    if settings.even_electron:
        ok &= even_electron_mask(formulas, alphabet, adduct_name)
    if settings.element_ratios:
        ok &= element_ratio_mask(formulas, alphabet, settings.ratio_range)
    if settings.max_rare_elements is not None:
        ok &= rare_element_mask(formulas, alphabet, settings.max_rare_elements)
    return ok


@dataclass(frozen=True)
class DecompositionRules:
    """The enabled rules as arrays in an alphabet's element order, for the precursor decomposition
    (:meth:`specsweep.formula.decompose.Decomposer.decompose_within` applies them to every
    formula it emits and uses them to prune partial formulas that no completion can satisfy)."""
    min_doubled_rdbe: int          # -(1 << 40): no bound
    even_parity: bool              # doubled RDBE must be even
    element_ratios: bool
    ratio_max: np.ndarray          # per element: maximum count per carbon (inf: none)
    with_hydrogen: np.ndarray      # 1 for H and the halogens (counted for the minimum H/C)
    h_per_carbon_min: float
    combinations: tuple[tuple[tuple[int, ...], int, tuple[int, ...]], ...]  # (element indices, above, below)
    rare: np.ndarray               # per element: 1 when not C, H, N or O
    max_rare: int                  # distinct rare elements allowed (1 << 30: no bound)


def decomposition_rules(alphabet: Alphabet, adduct_name: str,
                        settings: RuleSettings = RuleSettings()) -> DecompositionRules:
    """:func:`plausible_mask` of the enabled rules for this adduct, as :class:`DecompositionRules`."""
    els = alphabet.elements
    ratio = np.full(len(els), np.inf)
    hyd = np.zeros(len(els), dtype=np.int64)
    combos = []
    if settings.element_ratios:
        for el, bound in RANGES[settings.ratio_range].items():
            if el in els:
                ratio[alphabet.index(el)] = bound
        for el in ("H",) + HALOGENS:
            if el in els:
                hyd[alphabet.index(el)] = 1
        for elements, above, below in ELEMENT_COMBINATIONS:
            if all(el in els for el in elements):  # an absent element (count 0) never exceeds above >= 0
                combos.append((tuple(alphabet.index(el) for el in elements), above, below))
    min_dr, parity = -(1 << 40), False
    if settings.even_electron:
        min_dr, parity = (-1, False) if adduct_allows_radical(adduct_name) else (0, True)
    max_rare = 1 << 30 if settings.max_rare_elements is None else int(settings.max_rare_elements)
    return DecompositionRules(min_dr, parity, settings.element_ratios, ratio, hyd,
                              H_PER_CARBON_MIN[settings.ratio_range], tuple(combos), rare_flags(els), max_rare)
