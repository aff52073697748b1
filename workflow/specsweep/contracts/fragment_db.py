"""The fragment database contract: what ``specsweep fragment`` writes and every reader opens.

A database folder holds ``shard-NNNN.parquet`` files (schema
:data:`specsweep.schema.FRAGMENT_SHARD`, each sorted by ``exact_mass`` and covering a fixed mass
range), ``rejects.parquet`` and ``manifest.json``: the format tag
(:data:`specsweep.schema.FRAGMENT_DB_FORMAT`), how the molecules were cut (``params``), decoy
settings, counts and one entry per shard (file, bytes, sha256, mass range, targets, decoys).
:meth:`FragmentDatabase.open` is the one reader of the manifest; it checks the format and the
shard files against the entries before any shard is used.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

SHARD_GLOB = "shard-*.parquet"
MANIFEST = "manifest.json"
FILES = (SHARD_GLOB, MANIFEST, "rejects.parquet")
"""Everything a database folder holds (an existing folder with other files is not replaced)."""
REMEDY = "Rerun `specsweep fragment` into an empty folder (or the same one: it is replaced whole)."


@dataclass(frozen=True)
class Shard:
    path: Path
    min_mass: float
    max_mass: float


@dataclass(frozen=True)
class FragmentDatabase:
    """A database folder (``path`` may also name its ``manifest.json``)."""

    path: Path

    def __post_init__(self):
        path = Path(self.path)
        object.__setattr__(self, "path", path.parent if path.name == MANIFEST else path)

    @property
    def manifest_path(self) -> Path:
        return self.path / MANIFEST

    def read_manifest(self) -> dict:
        """The manifest, parsed, with its format tag checked (no shard is looked at)."""
        from specsweep.schema import FRAGMENT_DB_FORMAT
        path = self.manifest_path
        if not path.exists():
            raise FileNotFoundError(f"{path}: no database manifest; {self.path} is not a database folder "
                                    f"or its build was interrupted. {REMEDY}")
        try:
            manifest = json.loads(path.read_text())
            fmt = manifest.get("format")
            manifest["shards"]
        except (ValueError, KeyError, AttributeError, TypeError) as exc:
            raise ValueError(f"{path}: not a readable database manifest ({exc}). {REMEDY}") from None
        if fmt != FRAGMENT_DB_FORMAT:
            raise ValueError(f"{path}: format {fmt!r}, expected {FRAGMENT_DB_FORMAT!r} (written by "
                             f"another version of specsweep fragment?). {REMEDY}")
        return manifest

    def open(self, verify_checksums: bool = False) -> tuple[list[Shard], dict]:
        """Shards in manifest order, and the manifest.

        Checks, before any shard is used: the manifest (:meth:`read_manifest`); the shard files
        of the folder are exactly those listed, each with its recorded size and a Parquet end
        marker; with ``verify_checksums``, each shard's sha256 (reads every byte, about 5 s per
        GB on a loaded 2-core machine). A mixed, partial or corrupted database is refused with a
        ValueError naming the file and the remedy.
        """
        from specsweep.files import check_listed_files
        manifest = self.read_manifest()
        entries = manifest["shards"]
        check_listed_files(self.path, entries, SHARD_GLOB, REMEDY, checksums=verify_checksums)
        shards = [Shard(self.path / s["file"], float(s["min_mass"]), float(s["max_mass"])) for s in entries]
        return shards, manifest

    def fragment_params(self):
        """How the database's molecules were cut (:class:`specsweep.params.blocks.FragmentParams`)."""
        from specsweep.params.blocks import FragmentParams
        return FragmentParams.from_dict(self.read_manifest().get("params", {}))
