"""The workflow's results layout: where every stage's outputs live under the results folder.

Defined once here and used by the rules (rules/common.smk) and by the report
(:mod:`specsweep.report.collect`). Paths are plain strings joined with ``/`` so that Snakemake
wildcards (``{dataset}``) pass through. Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DatasetLayout:
    """One dataset's results: ``<results>/datasets/<name>/``."""

    root: str

    def _at(self, name: str) -> str:
        return f"{self.root}/{name}"

    @property
    def spectra(self) -> str:
        return self._at("spectra")

    @property
    def candidates(self) -> str:
        return self._at("candidates.parquet")

    @property
    def candidates_summary(self) -> str:
        return self._at("candidates.summary.json")

    @property
    def candidates_rejects(self) -> str:
        return self._at("candidates.rejects.parquet")

    @property
    def rescored(self) -> str:
        return self._at("rescored.parquet")

    @property
    def rescored_summary(self) -> str:
        return self._at("rescored.summary.json")

    @property
    def fdr(self) -> str:
        return self._at("fdr")

    @property
    def identifications(self) -> str:
        return self._at("fdr/identifications.parquet")

    @property
    def identifications_tsv(self) -> str:
        return self._at("fdr/identifications.tsv")

    @property
    def fdr_summary(self) -> str:
        return self._at("fdr/summary.json")

    @property
    def formulas(self) -> str:
        return self._at("formulas.parquet")

    @property
    def translations(self) -> str:
        return self._at("translations.parquet")

    @property
    def translations_rejects(self) -> str:
        return self._at("translations.rejects.parquet")


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

    # one FDR over every dataset (config fdr.global)
    @property
    def global_identifications(self) -> str:
        return f"{self.root}/global_fdr/identifications.parquet"

    @property
    def global_identifications_tsv(self) -> str:
        return f"{self.root}/global_fdr/identifications.tsv"

    @property
    def global_fdr_summary(self) -> str:
        return f"{self.root}/global_fdr/summary.json"

    @property
    def molecules(self) -> str:
        return f"{self.root}/db/molecules.parquet"

    @property
    def molecule_rejects(self) -> str:
        return f"{self.root}/db/molecule_rejects.parquet"

    @property
    def id_map(self) -> str:
        return f"{self.root}/db/id_map.parquet"

    @property
    def database(self) -> str:
        return f"{self.root}/db/fragments"

    @property
    def model(self) -> str:
        return f"{self.root}/model/model.json"

    @property
    def translator(self) -> str:
        return f"{self.root}/model/translator.pt"

    @property
    def report(self) -> str:
        return f"{self.root}/report.html"

    def log(self, rule: str, name: str | None = None) -> str:
        return f"{self.root}/logs/{rule}.log" if name is None else f"{self.root}/logs/{rule}/{name}.log"

    def benchmark(self, rule: str, name: str | None = None) -> str:
        return (f"{self.root}/benchmarks/{rule}.tsv" if name is None
                else f"{self.root}/benchmarks/{rule}/{name}.tsv")
