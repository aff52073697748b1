"""One parameter dataclass per stage, composed of the shared blocks of :mod:`.blocks`.

A stage's ``register`` adds its options with :func:`specsweep.params.options.add_options` and
builds its parameters with ``from_args``; the workflow rules pass config values with
``config_args``. ``STAGES`` maps each subcommand to its parameter class (the config schema test
and the rules use it). Paths (inputs, outputs) are not parameters and stay in ``register``.
"""

from __future__ import annotations

from dataclasses import dataclass

from specsweep.params.blocks import (ION_MODES, AdductSettings, FragmentMatching, FragmentParams,
                                     PeakSettings, PrecursorMatching)
from specsweep.params.options import Params, block, param

@dataclass(frozen=True)
class PrepareDbParams(Params):
    max_mass: float = param(2000.0, "largest neutral monoisotopic mass kept", unit="Da", above=0,
                            config="database.max_mass")


@dataclass(frozen=True)
class FragmentStageParams(Params):
    fragmentation: FragmentParams = block(FragmentParams)
    shard_width_da: float = param(100.0, "neutral-mass width of one shard; a shard is built in memory at "
                                  "once, so use about 10 for millions of small molecules", unit="Da",
                                  above=0, config="database.shard_width_da")
    decoy_seed: int = param(0, "seed of the decoy generator", min=0, config="database.decoy_seed")
    decoy_pool_molecules: int = param(2000, "molecules whose fragment masses form the decoy mass pool", min=1)


@dataclass(frozen=True)
class IngestParams(Params):
    part_size: int = param(5000, "spectra per part file (the unit of work of the search)", min=1,
                           config="ingest.part_size")
    peaks: PeakSettings = block(PeakSettings)
    default_ion_mode: str = param("positive", "ion mode when neither the file nor the charge sign gives one",
                                  choices=ION_MODES)

    @property
    def top_n(self) -> int:
        return self.peaks.top_n

    @property
    def precursor_window_th(self) -> float:
        return self.peaks.precursor_window_th

    @property
    def max_charge(self) -> int:
        return self.peaks.max_charge

    def record(self) -> dict:
        """Flat {knob: value}, as recorded in the spectra manifest."""
        return {"part_size": self.part_size, "top_n": self.top_n, "precursor_window_th": self.precursor_window_th,
                "max_charge": self.max_charge, "default_ion_mode": self.default_ion_mode}


@dataclass(frozen=True)
class SearchStageParams(Params):
    top_k: int = param(10, "target structures kept per spectrum (its k best decoys are kept beside them, "
                       "for the FDR)", min=1, config="search.top_k")
    precursor: PrecursorMatching = block(PrecursorMatching)
    fragment: FragmentMatching = block(FragmentMatching)
    adducts: AdductSettings = block(AdductSettings)
    h_shifts: tuple[int, ...] | None = param(
        None, "hydrogen shifts of fragment ions (default: those the model was trained with)", unit="H atoms",
        item=int, min=-3, max=3)
    targets_only: bool = param(False, "skip decoys (evaluation only)")
    min_matched_peaks: int = param(
        1, "report only candidates whose fragments explain at least this many peaks (0 keeps "
        "candidates without any evidence; they then rank by score only)", unit="peaks", min=0)
    verify_checksums: bool = param(
        True, "skip checking every database shard's sha256 against the manifest before searching (by "
        "default rank 0 reads each shard once, about 5 s per GB on a loaded 2-core machine; the file list, "
        "sizes and format are always checked)", cli="--no-verify-checksums")
    spectra_per_pass: int = param(
        500_000, "spectra searched per pass (whole parts, grouped in order; a larger part is a pass of its "
        "own); memory on every rank grows with this, the number of database reads with the number of "
        "passes", min=1)


# null logRank distributions of the model (what each counts: specsweep.model.train)
NULL_KINDS = ("unrelated-parent", "unrelated", "peaks")
DEFAULT_NULL = "unrelated-parent"


@dataclass(frozen=True)
class TrainModelParams(Params):
    fragmentation: FragmentParams = block(FragmentParams)
    fragment: FragmentMatching = block(FragmentMatching)
    peaks: PeakSettings = block(PeakSettings)   # for raw spectrum files, ingested first
    pseudo_count: float = param(1.0, "added to every count cell", above=0)
    null: str = param(DEFAULT_NULL, "null logRank distribution: fragments of an unrelated structure "
                      "counted per (bond type, parent logRank) like the true ones, the same pooled over "
                      "all fragments, or all peaks (the paper's eq. 8)", choices=NULL_KINDS)


@dataclass(frozen=True)
class ReportParams(Params):
    top_spectra: int = param(6, "annotated spectra drawn per dataset (best identifications first)", min=0,
                             config="report.top_spectra")
    fragment: FragmentMatching = block(FragmentMatching)
    formulas: bool = param(True, "the formula stage did not run: no formulas expected", cli="--no-formulas",
                           config="formula.enabled")
    translations: bool = param(True, "the translate stage did not run: no translations expected",
                               cli="--no-translations", config="translate.enabled")


@dataclass(frozen=True)
class FormulaStageParams(Params):
    # what repository spectra hold: CHNOPS and the halogens (docs/formula.md, "Element alphabet")
    elements: str = param("CHNOPSFClBrI", "element alphabet with optional upper bounds, e.g. CHNOP[5]S or "
                          "CHNOPSClBr", config="formula.elements")
    ppm: float | None = param(None, "allowed mass deviation for decomposition (default: from the profile)",
                              unit="ppm", above=0, type=float, config="formula.ppm")
    ilp_top: int = param(10, "best candidates considered for the exact solve (skipped where the LP bound "
                         "shows it cannot change the top formula)", min=0, config="formula.ilp_top")
    report_top: int = param(10, "candidate formulas written per spectrum", min=1)
    rerank_top: int = param(20, "best candidates (tree posterior order) the learned ranker orders; the first "
                            "--report-top of its order are written", min=1)
    # preselection: part of the method (same for every spectrum), not a budget
    preselect_by_root: int = param(1000, "candidates kept by root score (precursor mass error, formula "
                                   "priors) before any tree; 0: all", min=0)
    preselect_by_bound: int = param(300, "of those, candidates given a fragmentation tree, best root score "
                                    "plus tree-score bound first; the others are not reported; 0: all", min=0)
    max_rare_elements: int = param(4, "at most this many distinct elements other than C, H, N, O in a "
                                   "candidate molecule (docs/formula.md); -1: no bound", min=-1)
    # by default an [M-H]- glycerophospholipid whose fatty-acyl anions and precursor name one formula
    # gets that formula alone (formula/lipids.py)
    lipid_rule: bool = param(True, "decompose [M-H]- glycerophospholipids like every other spectrum instead of "
                             "giving them the formula their fatty-acyl anions and precursor name (docs/formula.md, "
                             "'Negative-mode glycerophospholipids')", cli="--no-lipid-rule")
    # by default a spectrum with a peak that shows F, Cl, Br or I (a halide anion in negative mode,
    # or the precursor less HX or X, HF for F) keeps only candidates holding that halogen
    # (formula/halogens.py)
    halogen_rule: bool = param(True, "do not require in every candidate molecule the halogen that a peak shows "
                               "(halide anion, or precursor less HX or X, HF for F; docs/formula.md, 'Halogen peaks')",
                               cli="--no-halogen-rule")
    # work budget per spectrum: counts, not time, so results do not depend on machine load
    max_candidates: int = param(2_000_000, "work budget: plausible precursor formulas decomposed per "
                                "spectrum (smallest mass error kept; status cut:candidates)", min=1)
    max_graph_work: int = param(10_000_000_000, "work budget: rows scanned + vertex pairs checked + edges "
                                "read by the heuristic + 200 per edge weight computed, for a spectrum's graphs "
                                "(the rest ranked by root score; cut:graphs)", min=0)
    ilp_max_nodes: int = param(2000, "work budget: branch-and-bound nodes per exact solve (cut:exact); 0: no "
                               "branch and bound (LP relaxations only)", min=0)


@dataclass(frozen=True)
class TranslateParams(Params):
    beam_size: int = param(10, "beams (candidates) per spectrum", min=1)
    batch_size: int = param(128, "spectra decoded together", min=1)
    mass_tol_ppm: float = param(10.0, "precursor agreement tolerance of a de novo candidate", unit="ppm", min=0)
    fragment_weight: float = param(0.5, "weight of the fragmentation-graph score in the re-ranking (when "
                                   "--model is given)", min=0)
    fragment: FragmentMatching = block(FragmentMatching)


# error measures the fdr stage can accept identifications by (columns of IDENTIFICATIONS)
ACCEPT_MEASURES = ("q_value", "pep_q_value")


@dataclass(frozen=True)
class FdrParams(Params):
    levels: tuple[float, ...] = param(
        (0.0, 0.01, 0.05, 0.1), "error levels counted in summary.json for every measure (0 = target "
        "winners above every decoy winner)", unit="fraction", item=float, min=0, max=1,
        config="fdr.levels")
    accept_level: float = param(
        0.01, "level at which a hit is called identified (summary.json, the report, the identified "
        "column)", unit="fraction", min=0, max=1, config="fdr.accept_level")
    accept_measure: str = param(
        "q_value", "measure compared with --accept-level: q_value (target-decoy: better than a random "
        "structure?) or pep_q_value (rescoring model: is the structure right?; needs the rescore "
        "stage)", choices=ACCEPT_MEASURES, config="fdr.accept_measure")


# subcommand -> parameter class (the rules and the schema test go through this table)
STAGES = {
    "prepare-db": PrepareDbParams,
    "fragment": FragmentStageParams,
    "ingest": IngestParams,
    "search": SearchStageParams,
    "train-model": TrainModelParams,
    "report": ReportParams,
    "formula": FormulaStageParams,
    "translate": TranslateParams,
    "fdr": FdrParams,
}
