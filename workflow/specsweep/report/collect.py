"""Load one dataset's results from the workflow's results layout
(:class:`specsweep.contracts.results.ResultsLayout`). Every file the layout names for a stage that
ran is required: a missing one is an error naming the file and the stage, never an empty section.
Formulas and translations are read only when those stages are enabled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from specsweep import schema
from specsweep.contracts.results import ResultsLayout
from specsweep.contracts.spectra_folder import SpectraFolder
from specsweep.files import file_metadata, read_table


@dataclass
class DatasetResults:
    name: str
    path: Path
    manifest: dict = field(default_factory=dict)
    rejects: pa.Table | None = None
    n_spectra: int = 0
    candidates: pa.Table | None = None
    identifications: pa.Table | None = None
    fdr_summary: dict = field(default_factory=dict)
    competed: pa.Table | None = None      # the candidates the fdr stage competed (rescored or not)
    competed_score: str = "score"         # the column it competed on
    formulas: pa.Table | None = None
    translations: pa.Table | None = None
    translator: dict = field(default_factory=dict)   # about the checkpoint (``toy``: a pipeline check)

    @property
    def spectra_dir(self) -> Path:
        return self.path / "spectra"


def _table(path: str, table_schema: pa.Schema, stage: str) -> pa.Table:
    _require(path, stage)
    return read_table(path, table_schema)


def _json(path: str, stage: str) -> dict:
    _require(path, stage)
    return json.loads(Path(path).read_text())


def _require(path: str, stage: str) -> None:
    if not Path(path).exists():
        raise FileNotFoundError(f"{path}: missing; the {stage} stage has not finished for this dataset")


def load_dataset(layout: ResultsLayout, name: str, *, formulas: bool = True,
                 translations: bool = True) -> DatasetResults:
    """One dataset's results; ``formulas``/``translations``: whether those stages ran."""
    files = layout.dataset(name)
    if not Path(files.root).is_dir():
        raise FileNotFoundError(f"{files.root}: no results for dataset {name!r}")
    folder = SpectraFolder(files.spectra)
    res = DatasetResults(name=name, path=Path(files.root))
    res.manifest = folder.read_manifest()
    res.rejects = _table(str(folder.rejects_path), schema.REJECTS, "ingest")
    res.n_spectra = folder.n_spectra()
    res.candidates = _table(files.candidates, schema.CANDIDATES, "search")
    res.identifications = _table(files.identifications, schema.IDENTIFICATIONS, "fdr")
    res.fdr_summary = _json(files.fdr_summary, "fdr")
    res.competed, res.competed_score = competed_candidates(res.path, res.fdr_summary, res.candidates)
    if formulas:
        res.formulas = _table(files.formulas, schema.FORMULAS, "formula")
    if translations:
        res.translations = _table(files.translations, schema.TRANSLATIONS, "translate")
        meta = file_metadata(files.translations).get(schema.TRANSLATOR_META_KEY)
        res.translator = json.loads(meta) if meta else {}
    return res


def competed_candidates(path: Path, fdr_summary: dict, candidates: pa.Table | None):
    """The candidate table the fdr stage read (named in its summary; rescored candidates carry a
    ``rescore`` column it competed on), so that plots count winners as the FDR did; else the
    search's candidates and their score."""
    named = Path(fdr_summary.get("candidates", ""))
    for where in (named, path / named.name):
        if fdr_summary and where.name and where.is_file():
            names = pq.read_schema(where).names
            if "rescore" in names:
                return read_table(where, schema.RESCORED), "rescore"
            return read_table(where, schema.CANDIDATES), "score"
    return candidates, "score"


def find_datasets(layout: ResultsLayout) -> list[str]:
    """Names of every dataset folder under ``RESULTS/datasets``, sorted."""
    root = Path(layout.datasets_dir)
    return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def read_spectra(spectra_dir: Path, spectrum_ids: list[str]) -> dict[str, dict]:
    """The given spectra as dicts of Python values / NumPy peak arrays, streamed part by part."""
    wanted = pa.array(sorted(set(spectrum_ids)), pa.string())
    found: dict[str, dict] = {}
    cols = ["spectrum_id", "precursor_mz", "charge", "mz", "intensity", "title",
            "annotation_smiles", "annotation_inchikey14"]
    for part in SpectraFolder(spectra_dir).parts():
        table = read_table(part, schema.SPECTRA, columns=cols)
        table = table.filter(pc.is_in(table["spectrum_id"], value_set=wanted))
        for row in table.to_pylist():
            found[row["spectrum_id"]] = row
        if len(found) == len(wanted):
            break
    return found
