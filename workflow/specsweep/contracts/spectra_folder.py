"""The spectra folder contract: what ``specsweep ingest`` writes and every reading stage opens.

A spectra folder holds ``part-NNNNN.parquet`` files (schema :data:`specsweep.schema.SPECTRA`, in
spectrum order), ``rejects.parquet`` (schema ``REJECTS``) and ``manifest.json`` (inputs,
parameters, parts, counts). Stages that take spectra accept a folder or single part files;
:func:`spectra_parts` is the one way to turn such paths into the list of parts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

PART_GLOB = "part-*.parquet"
MANIFEST = "manifest.json"
REJECTS = "rejects.parquet"
FILES = (MANIFEST, REJECTS, PART_GLOB)
"""Everything a spectra folder holds (an existing folder with other files is not replaced)."""
REMEDY = "Rerun `specsweep ingest` into the folder (it is replaced whole)."


def part_name(number: int) -> str:
    return f"part-{number:05d}.parquet"


@dataclass(frozen=True)
class SpectraFolder:
    path: Path

    def __post_init__(self):
        object.__setattr__(self, "path", Path(self.path))

    @property
    def manifest_path(self) -> Path:
        return self.path / MANIFEST

    @property
    def rejects_path(self) -> Path:
        return self.path / REJECTS

    def parts(self) -> list[Path]:
        """Part files, in order."""
        return sorted(self.path.glob(PART_GLOB))

    def read_manifest(self) -> dict:
        if not self.manifest_path.exists():
            raise FileNotFoundError(f"{self.manifest_path}: no such file (is {self.path} a spectra folder "
                                    "from `specsweep ingest`?)")
        return json.loads(self.manifest_path.read_text())

    def check_parts(self) -> None:
        """When the folder has a manifest: its parts are exactly those listed, with the recorded
        sizes and a Parquet end marker (ValueError naming the file and the remedy otherwise)."""
        from specsweep.files import check_listed_files
        if not self.manifest_path.exists():
            return
        entries = [e for e in self.read_manifest().get("parts", []) if isinstance(e, dict)]
        check_listed_files(self.path, entries, PART_GLOB, REMEDY)

    def n_spectra(self) -> int:
        """Spectra in the parts, from the Parquet footers (no data read)."""
        import pyarrow.parquet as pq
        return sum(pq.read_metadata(p).num_rows for p in self.parts())


def ingest_settings(parts) -> list[dict]:
    """The distinct ingest settings (manifest ``params``) of the folders holding ``parts``, in
    folder order; parts outside a folder with a manifest add nothing. A logRank model records
    those of its training spectra: its logRanks mean the same only for peaks processed alike."""
    seen = []
    for folder in sorted({SpectraFolder(Path(p).parent) for p in parts}, key=lambda f: f.path):
        if folder.manifest_path.is_file():
            params = folder.read_manifest().get("params", {})
            if params not in seen:
                seen.append(params)
    return seen


def is_spectra_input(path) -> bool:
    """A part file or a folder holding parts (as opposed to raw MGF/mzML/mzXML files)."""
    path = Path(path)
    return path.suffix == ".parquet" or (path.is_dir() and any(path.glob(PART_GLOB)))


def spectra_parts(paths) -> list[Path]:
    """Parts of spectra folders and part files, in the order given (a folder: its parts, sorted),
    each checked against the SPECTRA schema. A folder without parts or a missing path is an error."""
    import pyarrow.parquet as pq

    from specsweep.files import check_schema
    from specsweep.schema import SPECTRA

    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            folder = SpectraFolder(p)
            found = folder.parts()
            if not found:
                raise FileNotFoundError(f"{p}: no {PART_GLOB} files (run `specsweep ingest`)")
            folder.check_parts()
            out.extend(found)
        elif p.exists():
            out.append(p)
        else:
            raise FileNotFoundError(f"{p}: no such file or directory")
    for p in out:
        check_schema(pq.read_schema(p), SPECTRA, str(p))
    return out
