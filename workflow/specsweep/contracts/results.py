"""The workflow's results layout: where every stage's outputs live under the results folder.

Defined once here and used by the rules (rules/common.smk) and by the report
(:mod:`specsweep.report.collect`). Paths are plain strings joined with ``/`` so that Snakemake
wildcards (``{dataset}``) pass through. Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass


def _file(relative: str) -> property:
    """A path under the layout's root, as a read-only attribute."""
    return property(lambda self: f"{self.root}/{relative}", doc=f"<root>/{relative}")


@dataclass(frozen=True)
class DatasetLayout:
    """One dataset's results: ``<results>/datasets/<name>/``."""

    root: str

    spectra = _file("spectra")                                  # ingest (a SpectraFolder)
    candidates = _file("candidates.parquet")                    # search
    candidates_summary = _file("candidates.summary.json")
    candidates_rejects = _file("candidates.rejects.parquet")
    rescored = _file("rescored.parquet")                        # rescore
    rescored_summary = _file("rescored.summary.json")
    fdr = _file("fdr")                                          # fdr
    identifications = _file("fdr/identifications.parquet")
    identifications_tsv = _file("fdr/identifications.tsv")
    fdr_summary = _file("fdr/summary.json")
    formulas = _file("formulas.parquet")                        # formula_merge (of formula's parts)
    formula_parts = _file("formula_parts")                      # formula, one file per job (temporary)
    translations = _file("translations.parquet")                # translate
    translations_rejects = _file("translations.rejects.parquet")

    def formula_part(self, job: str) -> str:
        """Formulas of the ``job``-th group of consecutive spectra parts (``formula.parts_per_job``)."""
        return f"{self.formula_parts}/part-{job}.parquet"


@dataclass(frozen=True)
class ResultsLayout:
    """Everything under one results folder (config key ``results``)."""

    root: str

    def __post_init__(self):
        object.__setattr__(self, "root", str(self.root).rstrip("/") or ".")

    @property
    def datasets_dir(self) -> str:
        return f"{self.root}/datasets"

    def dataset(self, name: str) -> DatasetLayout:
        return DatasetLayout(f"{self.datasets_dir}/{name}")

    global_identifications = _file("global_fdr/identifications.parquet")   # one FDR over every dataset
    global_identifications_tsv = _file("global_fdr/identifications.tsv")  # (config fdr.global)
    global_fdr_summary = _file("global_fdr/summary.json")
    molecules = _file("db/molecules.parquet")                   # prepare_db
    molecule_rejects = _file("db/molecule_rejects.parquet")
    id_map = _file("db/id_map.parquet")
    database = _file("db/fragments")                            # fragment (a FragmentDatabase)
    model = _file("model/model.json")                           # train_model
    translator = _file("model/translator.pt")                   # train_translator
    report = _file("report.html")                               # report

    def log(self, rule: str, name: str | None = None) -> str:
        return f"{self.root}/logs/{rule}.log" if name is None else f"{self.root}/logs/{rule}/{name}.log"

    def benchmark(self, rule: str, name: str | None = None) -> str:
        return (f"{self.root}/benchmarks/{rule}.tsv" if name is None
                else f"{self.root}/benchmarks/{rule}/{name}.tsv")
