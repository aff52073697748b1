"""Load one dataset's results from ``RESULTS/datasets/<name>/``; every stage's file is optional.

Layout (written by the workflow's rules):
``spectra/`` (parts, rejects.parquet, manifest.json), ``candidates.parquet``,
``fdr/identifications.parquet`` and ``fdr/summary.json``, ``formulas.parquet``,
``translations.parquet``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from specsweep import schema
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


def _optional_table(path: Path, table_schema: pa.Schema) -> pa.Table | None:
    return read_table(path, table_schema) if path.exists() else None


def _optional_json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def spectra_parts(spectra_dir: Path) -> list[Path]:
    """Spectra parts of an ingested dataset, in order (rejects file excluded)."""
    return sorted(p for p in spectra_dir.glob("part-*.parquet"))


def load_dataset(results_dir: str | Path, name: str) -> DatasetResults:
    path = Path(results_dir) / "datasets" / name
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: no results for dataset {name!r}")
    res = DatasetResults(name=name, path=path)
    res.manifest = _optional_json(path / "spectra" / "manifest.json")
    res.rejects = _optional_table(path / "spectra" / "rejects.parquet", schema.REJECTS)
    res.n_spectra = sum(pq.ParquetFile(p).metadata.num_rows for p in spectra_parts(res.spectra_dir))
    res.candidates = _optional_table(path / "candidates.parquet", schema.CANDIDATES)
    res.identifications = _optional_table(path / "fdr" / "identifications.parquet", schema.IDENTIFICATIONS)
    res.fdr_summary = _optional_json(path / "fdr" / "summary.json")
    res.competed, res.competed_score = competed_candidates(path, res.fdr_summary, res.candidates)
    res.formulas = _optional_table(path / "formulas.parquet", schema.FORMULAS)
    res.translations = _optional_table(path / "translations.parquet", schema.TRANSLATIONS)
    if res.translations is not None:
        meta = file_metadata(path / "translations.parquet").get(schema.TRANSLATOR_META_KEY)
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


def find_datasets(results_dir: str | Path) -> list[str]:
    """Names of every dataset folder under ``RESULTS/datasets``, sorted."""
    root = Path(results_dir) / "datasets"
    return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def read_spectra(spectra_dir: Path, spectrum_ids: list[str]) -> dict[str, dict]:
    """The given spectra as dicts of Python values / NumPy peak arrays, streamed part by part."""
    wanted = pa.array(sorted(set(spectrum_ids)), pa.string())
    found: dict[str, dict] = {}
    cols = ["spectrum_id", "precursor_mz", "charge", "mz", "intensity", "title",
            "annotation_smiles", "annotation_inchikey14"]
    for part in spectra_parts(spectra_dir):
        table = read_table(part, schema.SPECTRA, columns=cols)
        table = table.filter(pc.is_in(table["spectrum_id"], value_set=wanted))
        for row in table.to_pylist():
            found[row["spectrum_id"]] = row
        if len(found) == len(wanted):
            break
    return found
