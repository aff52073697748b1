"""Molecular formula identification for one spectrum, within a time limit.

1. Candidate precursor formulas: decompose the neutral mass of each assumed adduct within the
   allowed deviation (element bounds of the alphabet), keeping the chemically plausible ones
   (``rules``: even-electron rule for the ion type, element ratios).
2. Fragment peaks: prepared (``peaks``), decomposed once, scored, and joined by scored
   sub-formula edges (``graph.SpectrumGraph``).
3. Every candidate gets a heuristic tree; score = root score + tree score.
4. Tree-size adjustment (SIRIUS 3.1.3 command line driver): while the best trees explain fewer
   than 15 peaks and less than 70 % of the intensity, the per-vertex tree-size score rises by 1,
   at most 3 times.
5. The best candidates are recalibrated (hypothesis-driven) and solved exactly (LP bound first,
   then ILP) where that can change the top formula.

Candidates are visited best root score first; one whose root score plus an upper bound of its
tree score cannot reach the ``report_top``-th best total so far is pruned before its graph is
built. The work per spectrum is bounded by counts, never by time, so the same input gives the
same output on any machine: precursor decomposition steps (``max_decomposition_steps``),
candidates (``max_candidates``), graph work (rows scanned + vertex pairs checked + edges read by
the heuristic, ``max_graph_work``; the rest are ranked by root score alone) and exact-solve
iterations and nodes (``exact``). The status says what was cut: ``ok``, ``cut:candidates``,
``cut:graphs``, ``cut:exact`` (joined by ``+``), or ``no_candidates``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from specsweep.chem.adducts import adduct_log_prior, default_adducts, get_adduct
from specsweep.chem.masses import PROTON
from specsweep.formula import recalibration
from specsweep.formula.alphabet import Alphabet
from specsweep.formula.decompose import Decomposer
from specsweep.formula.graph import CandidateGraph, SpectrumGraph
from specsweep.formula.halogens import halogens_shown
from specsweep.formula.heuristic import solve_heuristic, solve_heuristic_counted
from specsweep.formula.ilp import ExactLimits, solve_ilp
from specsweep.formula.mass_shift import choose_shift, shift_gain_bound, shifted_graph
from specsweep.formula.isotopes import IsotopeScoring, ion_pattern, pattern_score
from specsweep.formula.lipids import LIPID_ADDUCT, LipidCall, call_lipid
from specsweep.formula.peaks import PeakParams, prepare_peaks
from specsweep.formula.priors import FITTED_PRIORS, fitted_priors_path, load_tables
from specsweep.formula.ranker import DEFAULT_MODEL as DEFAULT_RANKER
from specsweep.formula.rules import RuleSettings, adduct_allows_radical, decomposition_rules, plausible_mask
from specsweep.formula.scoring import (EdgeScorer, ScoringParams, fitted_overrides, formula_prior_raw, get_profile,
                                       root_scores)
from specsweep.params.stages import FormulaStageParams

_STAGE_DEFAULTS = FormulaStageParams()

def adduct_atoms(name: str) -> tuple[dict[str, int], int]:
    """(atoms added to the neutral molecule to get the root's vertex formula, charge sign) of an
    adduct of the shared table (:mod:`specsweep.chem.adducts`). Vertex formulas are "neutral
    equivalents": ion m/z = mass + sign * PROTON."""
    adduct = get_adduct(name)
    return adduct.ion_formula_delta(), (1 if adduct.charge > 0 else -1)


OK, NO_CANDIDATES = "ok", "no_candidates"
# what a work budget cut (status "cut:<what>[+<what>]")
CUT_CANDIDATES = "candidates"   # more than max_candidates: the rest never considered
CUT_GRAPHS = "graphs"           # max_graph_work spent: the rest ranked by root score alone
CUT_EXACT = "exact"             # an exact solve stopped at its node/iteration limit


def status_text(cuts: set[str]) -> str:
    return "cut:" + "+".join(sorted(cuts)) if cuts else OK


@dataclass(frozen=True)
class FormulaSettings:
    alphabet: str = _STAGE_DEFAULTS.elements
    priors: str = "fitted"            # fitted (our tables over SIRIUS 3.1.3) | sirius (3.1.3 only)
    params: ScoringParams = field(default_factory=lambda: get_profile("qtof"))
    peaks: PeakParams = field(default_factory=PeakParams)
    recal: recalibration.RecalibrationParams = field(default_factory=recalibration.RecalibrationParams)
    ilp_top: int = _STAGE_DEFAULTS.ilp_top  # candidates considered for the exact solve (after the heuristic)
    recalibrate_top: int = 10         # candidates recalibrated
    report_top: int = _STAGE_DEFAULTS.report_top  # candidates written out
    rerank_top: int = _STAGE_DEFAULTS.rerank_top  # candidates given ranker features (and ordered by it)
    auto_tree_size: bool = True
    resolve_top: int = 200            # candidates solved again after a tree-size increase
    # preselection (a fixed part of the method, not a budget): the best ``preselect_by_root``
    # candidates by root score are kept; of those, the best ``preselect_by_bound`` by root score plus
    # tree-score bound get trees; the others are not reported (0: keep all)
    preselect_by_root: int = _STAGE_DEFAULTS.preselect_by_root
    preselect_by_bound: int = _STAGE_DEFAULTS.preselect_by_bound
    ilp_backend: str = "highs"        # highs (highspy) | pulp (PuLP with HiGHS or CBC)
    # work budget per spectrum, in counts (never in seconds: same input, same output anywhere)
    max_candidates: int = _STAGE_DEFAULTS.max_candidates  # smallest-error formulas kept when a mass has more
    # search steps of the precursor decomposition (~1e-8 CPU s each; 5e8 covers every mass below
    # 1000 Da over CHNOPSFClBrI); when spent, the integer masses nearest the measured one are kept
    # (status cut:candidates)
    max_decomposition_steps: int = 500_000_000
    max_graph_work: int = _STAGE_DEFAULTS.max_graph_work  # rows scanned + pairs checked + heuristic edge reads + 200 per edge weight
    exact: ExactLimits = field(default_factory=ExactLimits)  # LP iterations, B&B nodes per exact solve
    rules: RuleSettings = field(default_factory=RuleSettings)  # chemical plausibility of candidates
    isotopes: IsotopeScoring = field(default_factory=IsotopeScoring)  # MS1 pattern score, when given
    # learned re-ranking of the pool (ranker.py): model file, or None for the posterior order
    ranker: str | None = str(DEFAULT_RANKER)
    # [M-H]- glycerophospholipids whose fatty-acyl anions and precursor name one formula get that
    # formula alone (lipids.py; docs/formula.md, "Negative-mode glycerophospholipids")
    lipid_rule: bool = _STAGE_DEFAULTS.lipid_rule
    # a spectrum with a peak that shows F, Cl, Br or I (a halide anion, or the precursor less HX or
    # X, HF for F) keeps only candidates holding that halogen (halogens.py; docs/formula.md, "Halogen peaks")
    halogen_rule: bool = _STAGE_DEFAULTS.halogen_rule
    max_shift_ppm: float = 10.0
    shift_sd_ppm: float = 4.8
    shift_charge: float = 2.85
    shift_step_ppm: float = 1.0

    @property
    def pool(self) -> int:
        """Candidates kept to the end, given ranker features and, with a ranker, ordered by it."""
        return max(self.report_top, self.rerank_top)


@dataclass
class Candidate:
    formula: np.ndarray          # neutral molecule formula (alphabet counts)
    root: np.ndarray             # root vertex formula (neutral equivalent of the ion)
    adduct: str
    theoretical_mz: float
    root_score: float
    root_prior_raw: float
    tree_score: float = float("nan")
    parent: np.ndarray | None = None    # tree parent per vertex of ``graph`` (-1: not in the tree)
    graph: CandidateGraph | None = None  # kept only while the candidate is being refined
    method: str = ""
    recal: tuple[float, float] | None = None
    bonus: float = 0.0
    shift: float = 0.0
    shift_cost: float = 0.0
    # compact tree (kept for every candidate): decomposition row, peak and parent position of each
    # tree vertex (position 0 = root, row -1) and the weight of the edge into it
    t_row: np.ndarray | None = None
    t_color: np.ndarray | None = None
    t_parent: np.ndarray | None = None
    t_weight: np.ndarray | None = None
    preselected_out: bool = False  # beyond ``FormulaSettings.preselect_by_bound``: no tree, not reported
    lipid: LipidCall | None = None  # the lipid rule's reading, when it named the formula

    def set_tree(self, graph: CandidateGraph, parent: np.ndarray, score: float, keep_graph: bool) -> None:
        self.parent, self.tree_score = parent, float(score)
        self.graph = graph if keep_graph else None
        verts = np.concatenate(([0], np.nonzero(parent >= 0)[0]))
        pos = np.full(parent.shape[0], -1, dtype=np.int64)
        pos[verts] = np.arange(verts.size)
        chosen = (parent[graph.dst] == graph.src) & (parent[graph.dst] >= 0)
        weight = np.zeros(parent.shape[0])
        weight[graph.dst[chosen]] = graph.w[chosen]
        self.t_row = graph.row[verts]
        self.t_color = graph.color[verts]
        self.t_parent = np.concatenate(([-1], pos[parent[verts[1:]]]))
        self.t_weight = weight[verts]
        if not keep_graph:
            self.parent = None

    @property
    def total(self) -> float:
        return self.root_score + (self.tree_score if math.isfinite(self.tree_score) else 0.0)


@lru_cache(maxsize=32)
def _decomposer(alphabet: Alphabet) -> Decomposer:
    return Decomposer(alphabet)


@lru_cache(maxsize=32)
def _edge_scorer(alphabet: Alphabet, params: ScoringParams, priors: str = "fitted",
                 fitted_path: str | None = None) -> EdgeScorer:
    """Loss scorer over SIRIUS 3.1.3's tables, overlaid (``priors="fitted"``) with the fitted ones
    at ``fitted_path`` (default: the positive-mode file)."""
    return EdgeScorer(alphabet, params, load_tables(fitted_path, fitted=priors == "fitted"))


def settings_for_ion_mode(settings: FormulaSettings, negative: bool,
                          fitted_path: Path | None = None) -> FormulaSettings:
    """``settings`` whose fitted scalars (loss mass, noise, fragment mass sd; ``scoring.fitted_overrides``)
    are those of the ion mode's fitted tables (``fitted_path``, default
    ``priors.fitted_priors_path(negative)``): with ``priors="fitted"`` and a bundled negative-mode
    file, a negative-mode spectrum gets them from that file; otherwise ``settings`` unchanged.
    Only scalars still at the positive-mode fitted value are swapped: one the caller set
    (``get_profile(..., fragment_sd_ppm=...)``) is kept."""
    path = fitted_path or fitted_priors_path(negative)
    if settings.priors != "fitted" or path == FITTED_PRIORS:
        return settings
    default = fitted_overrides(load_tables(str(FITTED_PRIORS)))
    swap = {k: v for k, v in fitted_overrides(load_tables(str(path))).items()
            if k in default and getattr(settings.params, k) == default[k]}
    return replace(settings, params=replace(settings.params, **swap)) if swap else settings


def _embed(forms: np.ndarray, source: Alphabet, target: Alphabet) -> np.ndarray:
    """Count rows over ``source`` rewritten over ``target`` (which holds every element of source)."""
    out = np.zeros((forms.shape[0], len(target.elements)), dtype=np.int64)
    for j, el in enumerate(source.elements):
        out[:, target.index(el)] = forms[:, j]
    return out


def precursor_candidates(precursor_mz: float, adducts: list[str], alphabet: Alphabet,
                         settings: FormulaSettings, cuts: set | None = None,
                         molecule_alphabet: Alphabet | None = None,
                         adduct_log_priors: dict[str, float] | None = None, keep_best: int = 0,
                         counts: dict | None = None, required: tuple[str, ...] = ()) -> list[Candidate]:
    """Decompositions of the neutral precursor mass for each adduct, with root scores.
    With ``keep_best`` > 0 only each adduct's ``keep_best`` best root scores become candidates
    (so the best ``keep_best`` of all adducts are among them; :func:`_preselect_by_root` then
    takes those). ``counts``, if given, receives ``plausible``: the formulas of all adducts that
    passed the chemistry rules (and ``max_candidates``), before that preselection. ``required``:
    elements every candidate must hold (the halogens the spectrum's peaks show), ignored for
    an adduct none of whose formulas holds them all.

    The molecule M is decomposed over ``molecule_alphabet`` (default: ``alphabet``); ``alphabet``
    also holds the adducts' own elements (Na, K, ...), which occur in the root (ion) formula only.
    ``adduct_log_priors`` (when the spectrum names no adduct) adds each adduct's log prior to its
    candidates' root scores. Adds ``CUT_CANDIDATES`` to ``cuts`` when ``max_candidates`` dropped
    some."""
    params = settings.params
    molecule_alphabet = molecule_alphabet or alphabet
    out: list[Candidate] = []
    tol_mz = float(params.allowed_da(precursor_mz))
    for name in adducts:
        adduct = get_adduct(name)
        if abs(adduct.charge) != 1 or adduct.n_mol != 1:
            continue  # multiply charged ions and multimers: not decomposed here (yet)
        atoms, _ = adduct_atoms(adduct.name)
        full = alphabet.with_elements([e for e, n in atoms.items() if n > 0])
        if full != alphabet:
            continue  # the caller widens the alphabet for adduct elements
        neutral = adduct.neutral_mass(precursor_mz)
        min_rdbe = params.min_rdbe
        if settings.rules.even_electron and not adduct_allows_radical(adduct.name):
            min_rdbe = max(min_rdbe, 0.0)
        forms, cut = _decomposer(molecule_alphabet).decompose_within(
            neutral - tol_mz, neutral + tol_mz, min_rdbe=min_rdbe, max_steps=settings.max_decomposition_steps,
            rules=decomposition_rules(molecule_alphabet, adduct.name, settings.rules))
        if cut and cuts is not None:
            cuts.add(CUT_CANDIDATES)
        forms = _embed(forms, molecule_alphabet, alphabet)
        forms = forms[plausible_mask(forms, alphabet, adduct.name, settings.rules)]
        if required:
            holds = np.all(forms[:, [alphabet.index(e) for e in required]] > 0, axis=1)
            if holds.any():   # none at all: the peak cannot be honoured, every formula stays
                forms = forms[holds]
        if forms.shape[0] > settings.max_candidates:
            if cuts is not None:
                cuts.add(CUT_CANDIDATES)
            err = np.abs(alphabet.mass(forms) - neutral)
            forms = forms[np.sort(np.argsort(err, kind="stable")[: settings.max_candidates])]
        out.extend(scored_candidates(forms, adduct.name, alphabet, precursor_mz, params, adduct_log_priors,
                                     keep_best, counts))
    return out


def scored_candidates(forms: np.ndarray, adduct_name: str, alphabet: Alphabet, precursor_mz: float,
                      params: ScoringParams, adduct_log_priors: dict[str, float] | None = None,
                      keep_best: int = 0, counts: dict | None = None) -> list[Candidate]:
    """Candidates of the molecule formulas ``forms`` (count rows over ``alphabet``) as ions of one
    adduct, with root scores (the best ``keep_best`` only, when > 0). ``counts["plausible"]``, if
    given, grows by the formulas whose ion is a formula at all."""
    atoms, sign = adduct_atoms(adduct_name)
    delta = np.zeros(len(alphabet.elements), dtype=np.int64)
    for el, n in atoms.items():
        delta[alphabet.index(el)] += n
    roots = forms + delta
    ok = np.all(roots >= 0, axis=1)
    forms, roots = forms[ok], roots[ok]
    if counts is not None:
        counts["plausible"] = counts.get("plausible", 0) + int(forms.shape[0])
    if forms.shape[0] == 0:
        return []
    theo = alphabet.mass(roots) + sign * PROTON
    rs = root_scores(forms, alphabet, precursor_mz, theo, params)
    if adduct_log_priors:
        rs = rs + adduct_log_priors.get(adduct_name, 0.0)
    if keep_best and forms.shape[0] > keep_best:
        best = _best_in_order(rs, keep_best)
        forms, roots, theo, rs = forms[best], roots[best], theo[best], rs[best]
    # the root prior is about the molecule; the chemical edge term compares fragments with it
    prior = formula_prior_raw(forms, alphabet, params)
    return [Candidate(formula=forms[i], root=roots[i], adduct=adduct_name, theoretical_mz=float(theo[i]),
                      root_score=float(rs[i]), root_prior_raw=float(prior[i]))
            for i in range(forms.shape[0])]


def _tree_stats(sg: SpectrumGraph, cand: Candidate, intensity: np.ndarray, precursor_intensity: float,
                total_intensity: float) -> tuple[int, float]:
    if cand.t_row is None:
        return 0, 0.0
    peaks = cand.t_color[1:]
    explained = float(intensity[peaks].sum()) + precursor_intensity
    return int(peaks.size), explained / total_intensity if total_intensity > 0 else 0.0


def _ensure_graph(sg, c, bonus) -> None:
    """Give candidate ``c`` its full graph (built with the current vertex bonus) and heuristic tree."""
    if c.graph is None or c.bonus != bonus:
        g, _, _ = sg.candidate(c.root, c.root_prior_raw, vertex_bonus=bonus)
        g = shifted_graph(sg, g, c.shift)
        c.set_tree(g, *solve_heuristic(g), keep_graph=True)
        c.bonus = bonus


class _KthBest:
    """The k-th best of the totals seen so far (-inf until k are seen)."""

    def __init__(self, k: int):
        self.k = k  # 0: never a bound
        self.values: list[float] = []

    def add(self, v: float) -> None:
        if self.k == 0:
            return
        if len(self.values) < self.k or v > self.values[-1]:
            self.values.append(v)
            self.values.sort(reverse=True)
            del self.values[self.k:]

    @property
    def value(self) -> float:
        return self.values[-1] if self.k > 0 and len(self.values) >= self.k else -math.inf


def _recalibrated_graph(sg: SpectrumGraph, cand: Candidate, settings: FormulaSettings):
    """Graph with mass-deviation terms recomputed from a Theil-Sen recalibration of the
    candidate's own tree, or None when the fit is not accepted."""
    from specsweep.formula.scoring import fragment_mass_score
    g = cand.graph
    in_tree = np.nonzero(cand.parent >= 0)[0]
    rows = g.row[in_tree]
    fitted = recalibration.fit(sg.peak_mz[sg.peak_of[rows]], sg.theoretical_mz[rows], settings.recal)
    if fitted is None:
        return None, None
    a, b = fitted
    p = settings.params
    rows_all = g.row[g.dst]
    measured = sg.peak_mz[sg.peak_of[rows_all]]
    old = fragment_mass_score(measured, sg.theoretical_mz[rows_all], p)
    new = fragment_mass_score(a * measured + b, sg.theoretical_mz[rows_all], p)
    return CandidateGraph(root=g.root, row=g.row, color=g.color, n_colors=g.n_colors, src=g.src, dst=g.dst,
                          w=g.w + (new - old)), (a, b)


def _heuristic_pass(sg, cands, todo, bonus, settings, work, cuts, info) -> int:
    """Heuristic trees for the candidates ``todo`` with vertex bonus ``bonus``.

    First pass (bonus 0): candidates are visited by root score plus an upper bound of their tree
    score, best first; once that sum is below the ``settings.pool``-th best total so far, no later
    candidate can be reported or re-ranked and the rest are pruned. Returns the work spent so far."""
    first = bonus == 0.0
    kth = _KthBest(settings.pool if first else 0)
    if first and todo:
        # the bounds scan the rows once per candidate at most: only as many candidates (best root
        # score first) as half the remaining budget allows get one; the rest keep their root score
        affordable = max(1, (settings.max_graph_work - work) // (2 * max(1, sg.formulas.shape[0])))
        if len(todo) > affordable:
            cuts.add(CUT_GRAPHS)
            info["n_unbounded"] = len(todo) - affordable
            todo = todo[:affordable]
        roots = np.array([cands[i].root for i in todo])
        priors = np.array([cands[i].root_prior_raw for i in todo])
        bounds, spent = sg.bounds(roots, priors, bonus, shift_gain_bound(sg, settings))
        optimistic = np.array([cands[i].root_score for i in todo]) + bounds
        # charged as a full scan of the rows per candidate (what the scan may visit at most), which
        # keeps spectra with tens of thousands of candidates within a few CPU seconds
        work += max(spent, len(todo) * sg.formulas.shape[0])
        order = np.lexsort((np.arange(len(todo)), -optimistic))
        todo, optimistic = [todo[j] for j in order], optimistic[order]
    for n, i in enumerate(todo):
        if first and optimistic[n] < kth.value:
            info["n_pruned"] = info.get("n_pruned", 0) + len(todo) - n
            break
        if first and settings.preselect_by_bound and n >= settings.preselect_by_bound:
            info["n_preselected_by_bound"] = len(todo) - n
            for j in todo[n:]:
                cands[j].preselected_out = True
            break
        if work > settings.max_graph_work:
            cuts.add(CUT_GRAPHS)
            break
        c = cands[i]
        if c.preselected_out:
            continue  # left out by the bound preselection: never reported, so no tree
        g, _, units = sg.candidate(c.root, c.root_prior_raw, vertex_bonus=bonus)
        if settings.max_shift_ppm > 0:
            if first:
                c.root_score += c.shift_cost  # undo an earlier charge (never twice)
                c.shift, c.shift_cost = choose_shift(sg, g, settings)
                c.root_score -= c.shift_cost
            g = shifted_graph(sg, g, c.shift)
        parent, score, visits = solve_heuristic_counted(g)
        work += units + visits
        old = c.tree_score if c.t_row is not None else -math.inf
        if score >= old:  # after a bonus increase the old tree (plus bonus) may still be better
            c.set_tree(g, parent, score, keep_graph=False)
            c.method = "heuristic"
        c.bonus = bonus
        kth.add(c.total)
    return work


def _exact_pass(sg, ranked, bonus, settings, cuts, info) -> None:
    """Exact trees among the ``ilp_top`` best candidates, only where they can change the top formula.

    A challenger (any of them but the leader) whose root score plus the cheap tree bound
    (:meth:`SpectrumGraph.bounds`) cannot beat the leader's total is left alone. For the others
    and the leader, the LP relaxation (cheap): an integral LP
    optimum is the exact tree, otherwise root score + LP optimum bounds the candidate's total.
    With ``exact.mip_nodes`` > 0, branch and bound then runs, best bound first, for a candidate
    only while its bound exceeds the best total known (the leading candidate's own bound
    included), so the top formula is the one a full exact solve of all ``ilp_top`` would give,
    except for graphs above ``exact.mip_max_edges`` edges, which keep their heuristic trees
    (lower bounds). With 0 no branch and bound runs."""
    top = ranked[: settings.ilp_top]
    if not top:
        return
    leader = top[0]
    rest = top[1:]
    if rest:
        cheap, _ = sg.bounds(np.array([c.root for c in rest]), np.array([c.root_prior_raw for c in rest]), bonus,
                             shift_gain_bound(sg, settings))
        open_ = [c for c, b in zip(rest, cheap) if c.root_score + b > leader.total + 1e-9]
    else:
        open_ = []
    info["exact_skipped_by_bound"] = info.get("exact_skipped_by_bound", 0) + len(rest) - len(open_)
    todo = [leader] + open_  # the leader's LP always: its tree is the one reported first
    bounds, lp_bounds = [], []
    for c in todo:
        _ensure_graph(sg, c, bonus)
        parent, score, state, bound = solve_ilp(c.graph, backend=settings.ilp_backend, start_parent=c.parent,
                                                limits=settings.exact, cutoff=math.inf)
        if state == "optimal":
            info["exact_lp_integral"] = info.get("exact_lp_integral", 0) + 1
            info["ilp_pairs"].append((c.tree_score, score))
            if score >= c.tree_score - 1e-9:
                c.set_tree(c.graph, parent, score, keep_graph=True)
                c.method = "ilp"
            bounds.append(-math.inf)  # settled
            lp_bounds.append(None)
        else:
            bounds.append(c.root_score + bound)
            lp_bounds.append(bound if math.isfinite(bound) else None)
    if todo and settings.exact.mip_nodes > 0:
        _branch_and_bound(sg, todo, bounds, lp_bounds, settings, cuts, info)


def _branch_and_bound(sg, top, bounds, lp_bounds, settings, cuts, info) -> None:
    """Branch and bound, best LP bound first, for the candidates of ``top`` whose bound exceeds
    the best total known (see :func:`_exact_pass`); ``lp_bounds``: their fractional LP optima
    (None where unknown), so the relaxation is not solved twice."""
    best = max(c.total for c in top)
    for j in sorted(range(len(top)), key=lambda j: (-bounds[j], j)):
        c = top[j]
        others = max((o.total for o in top if o is not c), default=-math.inf)
        # nothing to settle: it cannot overtake the best, or it leads and nobody can overtake it
        if bounds[j] <= best + 1e-9 or (c.total >= best and all(b <= c.total + 1e-9 for i, b in enumerate(bounds)
                                                                  if i != j) and c.total >= others):
            continue
        parent, score, state, _ = solve_ilp(c.graph, backend=settings.ilp_backend, start_parent=c.parent,
                                            limits=settings.exact, lp_bound=lp_bounds[j])
        info["exact_" + state] = info.get("exact_" + state, 0) + 1
        if state == "too_large":
            continue  # keeps its heuristic tree (policy: ExactLimits.mip_max_edges)
        if state == "optimal":
            info["ilp_pairs"].append((c.tree_score, score))
        else:
            cuts.add(CUT_EXACT)
        if score >= c.tree_score - 1e-9 and (state == "optimal" or score > c.tree_score):
            c.set_tree(c.graph, parent, score, keep_graph=True)
            c.method = "ilp" if state == "optimal" else "ilp_limit"
        best = max(best, c.total)


def _add_isotope_scores(cands, alphabet: Alphabet, ms1, sign: int, params: IsotopeScoring) -> None:
    """Root score += weight x isotope pattern score of each candidate's ion (root formula plus or
    minus the charge-carrying proton)."""
    mz, inten = ms1
    for c in cands:
        counts = alphabet.to_dict(c.root)
        counts["H"] = counts.get("H", 0) + sign
        c.root_score += params.weight * pattern_score(mz, inten, *ion_pattern(counts, sign), params)


# candidates kept by root score before an MS1 isotope pattern is scored, per candidate kept after it
# (the true formula was never beyond root-score rank 230 on the validation splits)
ISOTOPE_PRESELECTION_FACTOR = 10


def _best_in_order(scores: np.ndarray, keep: int) -> np.ndarray:
    """Positions of the ``keep`` highest ``scores`` (ties: the earlier first), in their order."""
    return np.sort(np.lexsort((np.arange(scores.size), -scores))[:keep])


def _preselect_by_root(cands: list[Candidate], keep: int, info: dict) -> list[Candidate]:
    """The ``keep`` best candidates by root score (ties: generation order), all when ``keep`` is 0
    or not exceeded; ``info["n_preselected_by_root"]``: how many were left out."""
    if not keep or len(cands) <= keep:
        return cands
    info["n_preselected_by_root"] = len(cands) - keep
    return [cands[i] for i in _best_in_order(np.array([c.root_score for c in cands]), keep)]


def _tried_adducts(adducts: list[str] | None, ion_mode: str) -> tuple[list[str], dict | None]:
    """Adduct names to try and their log priors: the spectrum's own (no priors), else the default
    set of its ion mode (singly charged, one molecule), each with its prior."""
    priors = None
    if not adducts:  # the spectrum names none: the default set of its ion mode, with priors
        tried = [a for a in default_adducts(ion_mode) if abs(a.charge) == 1 and a.n_mol == 1]
        adducts = [a.name for a in tried]
        priors = {a.name: adduct_log_prior(a) for a in tried}
    return [get_adduct(a).name for a in adducts], priors


def _heuristic_trees(sg: SpectrumGraph, cands: list[Candidate], peaks, settings: FormulaSettings,
                     cuts: set[str], info: dict) -> float:
    """Heuristic trees of the candidates; with ``auto_tree_size``, the tree-size score is raised
    by 1 per round (the best candidates solved again) until the best trees are large enough.
    Returns the tree-size bonus reached; ``info["work"]``: work units spent."""
    params = settings.params
    bonus = 0.0
    work = 0
    todo = sorted(range(len(cands)), key=lambda i: (-cands[i].root_score, i))
    while True:
        work = _heuristic_pass(sg, cands, todo, bonus, settings, work, cuts, info)
        if CUT_GRAPHS in cuts or not settings.auto_tree_size or bonus >= params.tree_size_max_increase:
            break
        done = [c for c in cands if c.t_row is not None]
        best = sorted(done, key=lambda c: -c.total)[:5]
        stats = [_tree_stats(sg, c, peaks.intensity, peaks.precursor_intensity, peaks.total_intensity) for c in best]
        if any(n >= 15 or frac >= 0.7 for n, frac in stats) or sg.peak_mz.size == 0:
            break
        bonus += 1.0
        # every tree keeps its edges and gains 1 per vertex: a lower bound for the new optimum;
        # only the best candidates are solved again with the larger tree-size score
        for c in done:
            c.tree_score += float(c.t_row.size - 1)
        order = sorted(range(len(cands)), key=lambda i: (-cands[i].total, i))
        todo = order[: settings.resolve_top]
    info["work"] = work
    return bonus


def _ranker_features(sg: SpectrumGraph, ranked: list[Candidate], peaks, alphabet: Alphabet, precursor_mz: float,
                     settings: FormulaSettings, negative: bool) -> np.ndarray:
    """Re-ranking features (ranker.FEATURES) of the ``ranked`` candidates, best posterior first."""
    from specsweep.formula.ranker import candidate_features
    stats = [_tree_stats(sg, c, peaks.intensity, peaks.precursor_intensity, peaks.total_intensity) for c in ranked]
    theo = np.array([c.theoretical_mz for c in ranked])
    special = [alphabet.index(e) for e in ("P", "S", "F", "Cl", "Br", "I") if e in alphabet.elements]
    frags = [sg.formulas[c.t_row[1:]] if c.t_row is not None else np.zeros((0, 1)) for c in ranked]
    special_frac = [float(np.mean(np.any(f[:, special] > 0, axis=1))) if f.shape[0] and special else 0.0
                    for f in frags]
    return candidate_features(
        np.array([c.formula for c in ranked]).reshape(len(ranked), -1), alphabet,
        np.array([c.total for c in ranked]), np.array([c.root_score for c in ranked]),
        np.array([c.tree_score for c in ranked]), (precursor_mz - theo) / theo * 1e6,
        np.array([s[0] for s in stats]), np.array([s[1] for s in stats]), sg.peak_mz.size,
        np.array([c.method == "ilp" for c in ranked]), np.array([c.root_prior_raw for c in ranked]),
        np.array(special_frac), settings.params, negative)


def _rerank(ranked: list[Candidate], features: np.ndarray, model: str) -> tuple[list[Candidate], np.ndarray]:
    """``ranked`` in the order of the learned ranker stored at ``model``, and its scores."""
    from specsweep.formula.ranker import load_ranker
    scores = load_ranker(model).scores(features)
    order = np.argsort(-scores, kind="stable")
    return [ranked[i] for i in order], scores[order]


def _first_candidates(precursor_mz: float, mz, intensity, adducts: list[str], priors, alphabet: Alphabet,
                      molecule_alphabet: Alphabet, negative: bool, settings: FormulaSettings, keep: int,
                      cuts: set[str], counts: dict, info: dict) -> list[Candidate]:
    """The spectrum's candidates before any tree: the one the lipid rule names, else the precursor's
    decompositions (holding every halogen the peaks show, with the halogen rule), the best ``keep``
    by root score per adduct."""
    lipid = _lipid_candidate(precursor_mz, mz, adducts, alphabet, molecule_alphabet, settings)
    if lipid is not None:
        counts["plausible"] = 1
        return [lipid]
    required = ()
    if settings.halogen_rule:
        required = tuple(e for e in halogens_shown(mz, intensity, precursor_mz, negative)
                         if e in molecule_alphabet.elements)
    info["halogens"] = required
    return precursor_candidates(precursor_mz, adducts, alphabet, settings, cuts, molecule_alphabet, priors,
                                keep_best=keep, counts=counts, required=required)


def _lipid_candidate(precursor_mz: float, mz, adducts: list[str], alphabet: Alphabet,
                     molecule_alphabet: Alphabet, settings: FormulaSettings) -> Candidate | None:
    """The one candidate of an [M-H]- spectrum whose fatty-acyl anions and precursor name a
    glycerophospholipid formula (:func:`lipids.call_lipid`), or None (rule off, no [M-H]- among the
    adducts tried, no call, or a formula outside the alphabet or the chemistry rules)."""
    adduct = get_adduct(LIPID_ADDUCT)
    if not settings.lipid_rule or adduct.name not in {get_adduct(a).name for a in adducts}:
        return None
    params = settings.params
    call = call_lipid(adduct.neutral_mass(precursor_mz), mz, float(params.allowed_da(precursor_mz)),
                      fragment_min_da=params.allowed_abs_da)
    if call is None:
        return None
    try:
        molecule = molecule_alphabet.to_array(call.formula)
    except ValueError:
        return None  # an element outside the alphabet the user gave
    if np.any(molecule > molecule_alphabet.bound_array):
        return None  # above the user's bound for an element
    form = alphabet.to_array(call.formula)[None]
    if not plausible_mask(form, alphabet, adduct.name, settings.rules)[0]:
        return None
    cand = scored_candidates(form, adduct.name, alphabet, precursor_mz, params)[0]
    cand.lipid = call
    return cand


def _rows(sg: SpectrumGraph, ranked: list[Candidate], peaks, alphabet: Alphabet, precursor_mz: float,
          status: str) -> list[dict]:
    """FORMULAS rows (without ``spectrum_id``) of the ``ranked`` candidates, rank 1 first."""
    rows = []
    for rank, c in enumerate(ranked, start=1):
        n_exp, frac = _tree_stats(sg, c, peaks.intensity, peaks.precursor_intensity, peaks.total_intensity)
        rows.append({
            "rank": rank,
            "formula": alphabet.format(c.formula),
            "adduct": c.adduct,
            "score": c.total,
            "tree_score": c.tree_score if math.isfinite(c.tree_score) else None,
            "mass_error_ppm": (precursor_mz - c.theoretical_mz) / c.theoretical_mz * 1e6,
            "n_explained_peaks": n_exp,
            "explained_intensity": frac,
            "method": "lipid" if c.lipid else (c.method or "none"),
            "status": status,
            "tree_json": tree_json(sg, c, alphabet) if c.t_row is not None else None,
        })
    return rows


def identify(precursor_mz: float, mz, intensity, adducts: list[str] | None, alphabet: Alphabet | str,
             settings: FormulaSettings = FormulaSettings(), ion_mode: str = "positive",
             info: dict | None = None, ms1: tuple | None = None) -> tuple[str, list[dict]]:
    """Rank candidate formulas for one spectrum. Returns (status, rows) where rows are dicts with
    the FORMULAS columns except ``spectrum_id`` (best first; at most ``report_top``). ``ms1``:
    the precursor's isotope pattern (m/z and intensities of M+0, M+1, ... in order), scored with
    :mod:`isotopes` and added to every candidate's root score. ``info``, if
    given, receives diagnostics: plausible precursor formulas (``n_plausible``), those kept by
    root score (``n_candidates``), the halogens its peaks show (``halogens``), pruned candidates, work units, the best
    formula before the exact step, exact-solve outcomes, for each exactly solved candidate
    its heuristic and exact tree scores, and the reported candidates in posterior order
    (``posterior_formulas``) with their re-ranking features (``ranker_features``). With
    ``settings.ranker`` the reported candidates are ordered by the learned ranker."""
    info = {} if info is None else info
    if isinstance(alphabet, str):
        alphabet = Alphabet.parse(alphabet)
    adducts, priors = _tried_adducts(adducts, ion_mode)
    negative = bool(adducts) and adduct_atoms(adducts[0])[1] < 0
    tables_path = fitted_priors_path(negative)
    settings = settings_for_ion_mode(settings, negative, tables_path)
    if settings.priors == "fitted":
        info["fitted_tables"] = tables_path.name
    molecule_alphabet = alphabet
    extra = sorted({e for a in adducts for e, n in adduct_atoms(a)[0].items() if n > 0})
    alphabet = alphabet.with_elements(extra)
    params = settings.params
    cuts: set[str] = set()

    # an MS1 pattern changes root scores: then ISOTOPE_PRESELECTION_FACTOR times as many are kept
    # by the root score without it, scored with the pattern, and preselected again
    with_ms1 = ms1 is not None and len(ms1[0]) > 0
    keep = settings.preselect_by_root * (ISOTOPE_PRESELECTION_FACTOR if with_ms1 else 1)
    counts: dict = {}
    cands = _first_candidates(precursor_mz, mz, intensity, adducts, priors, alphabet, molecule_alphabet,
                              negative, settings, keep, cuts, counts, info)
    info["n_plausible"] = counts.get("plausible", 0)   # formulas passing the rules, all adducts
    info["n_candidates"] = len(cands)                  # of those, kept by root score per adduct
    info["ilp_pairs"] = []
    if not cands:
        return NO_CANDIDATES, []
    sign = adduct_atoms(cands[0].adduct)[1]
    if with_ms1:
        _add_isotope_scores(cands, alphabet, ms1, sign, settings.isotopes)
    cands = _preselect_by_root(cands, settings.preselect_by_root, info)
    peaks = prepare_peaks(mz, intensity, precursor_mz, float(params.allowed_da(precursor_mz)), settings.peaks)
    scorer = _edge_scorer(alphabet, params, settings.priors, str(tables_path))
    sg = SpectrumGraph(peaks.mz, peaks.rel_intensity, sign * PROTON, alphabet, _decomposer(alphabet), params,
                       scorer, scorer.tables,
                       roots=np.array([c.root for c in cands]))
    bonus = _heuristic_trees(sg, cands, peaks, settings, cuts, info)
    cands = [c for c in cands if not c.preselected_out]

    ranked = sorted(cands, key=lambda c: (-c.total, c.theoretical_mz))
    for c in ranked[: settings.recalibrate_top]:
        if c.t_row is None or c.shift != 0.0:
            continue
        _ensure_graph(sg, c, bonus)
        g2, ab = _recalibrated_graph(sg, c, settings)
        if g2 is not None:
            c.set_tree(g2, *solve_heuristic(g2), keep_graph=True)
            c.recal = ab
    ranked = sorted(cands, key=lambda c: (-c.total, c.theoretical_mz))
    info["heuristic_top"] = alphabet.format(ranked[0].formula)
    _exact_pass(sg, [c for c in ranked if c.t_row is not None], bonus, settings, cuts, info)
    ranked = sorted(cands, key=lambda c: (-c.total, c.theoretical_mz))

    status = status_text(cuts)
    top = ranked[: settings.pool]
    features = _ranker_features(sg, top, peaks, alphabet, precursor_mz, settings, sign < 0)
    info["posterior_formulas"] = [alphabet.format(c.formula) for c in top]
    info["ranker_features"] = features
    if settings.ranker:
        top, _ = _rerank(top, features, settings.ranker)
    return status, _rows(sg, top[: settings.report_top], peaks, alphabet, precursor_mz, status)


def tree_json(sg: SpectrumGraph, cand: Candidate, alphabet: Alphabet) -> str:
    """Tree as JSON: nodes (formula, ion m/z measured and theoretical, relative intensity) and
    edges (parent, child, loss formula, loss mass, weight). Node 0 is the root."""
    nodes = [{"id": 0, "formula": alphabet.format(cand.root), "mz": None,
              "theoretical_mz": round(cand.theoretical_mz, 6), "rel_intensity": None}]
    edges = []
    for i in range(1, cand.t_row.size):
        r = int(cand.t_row[i])
        nodes.append({"id": i, "formula": alphabet.format(sg.formulas[r]),
                      "mz": round(float(sg.peak_mz[sg.peak_of[r]]), 6),
                      "theoretical_mz": round(float(sg.theoretical_mz[r]), 6),
                      "rel_intensity": round(float(sg.peak_rel[sg.peak_of[r]]), 6)})
        u = int(cand.t_parent[i])
        parent_formula = cand.root if u == 0 else sg.formulas[cand.t_row[u]]
        loss = parent_formula - sg.formulas[r]
        edges.append({"source": u, "target": i, "loss": alphabet.format(loss),
                      "loss_mass": round(float(alphabet.mass(loss[None])[0]), 6),
                      "weight": round(float(cand.t_weight[i]), 4)})
    tree = {"root": alphabet.format(cand.formula), "adduct": cand.adduct, "nodes": nodes, "edges": edges,
            "recalibration": list(cand.recal) if cand.recal else None}
    if cand.lipid:
        tree["lipid"] = cand.lipid.evidence()
    return json.dumps(tree, sort_keys=True)
