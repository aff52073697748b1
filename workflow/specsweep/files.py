"""Reading and writing Parquet files safely: atomic writes, schema checks, stable bytes."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from glob import escape as glob_escape
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROW_GROUP_SIZE = 4096


def _tmp_path(path: Path) -> Path:
    """A new temporary file beside ``path``; those an interrupted writer of ``path`` left are removed
    (one writer per output file: Snakemake jobs and MPI rank 0 never share one)."""
    for stale in path.parent.glob(f".{glob_escape(path.name)}.*.tmp"):
        if stale.is_file():
            stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs get the usual permissions
    return Path(tmp)


def write_table(table: pa.Table, path: str | os.PathLike, schema: pa.Schema | None = None,
                row_group_size: int = ROW_GROUP_SIZE, metadata: dict[str, str] | None = None) -> Path:
    """Write ``table`` as zstd Parquet to a temporary name, then rename into place.

    With ``schema``, the table is cast to it first (column order and types), so every file of
    one kind has identical schemas; ``metadata`` adds file-level key/values (read them back with
    :func:`file_metadata`). Output bytes depend only on the data.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if schema is not None:
        table = table.select(schema.names).cast(schema)
    if metadata:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})
    tmp = _tmp_path(path)
    try:
        pq.write_table(table, tmp, compression="zstd", row_group_size=row_group_size,
                       write_statistics=True, store_schema=True)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_text(text: str, path: str | os.PathLike) -> Path:
    """Write a text file atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_path(path)
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_json(obj, path: str | os.PathLike) -> Path:
    """Write JSON with sorted keys and a trailing newline, atomically."""
    return write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n", path)


def file_metadata(path: str | os.PathLike) -> dict[str, str]:
    """File-level key/values of a Parquet file written by :func:`write_table` (str -> str)."""
    meta = pq.read_schema(path).metadata or {}
    return {k.decode(): v.decode() for k, v in meta.items()}


def check_schema(actual: pa.Schema, expected: pa.Schema, where: str) -> None:
    """Raise ValueError naming missing columns or wrong types."""
    problems = []
    for field in expected:
        idx = actual.get_field_index(field.name)
        if idx < 0:
            problems.append(f"missing column {field.name!r}")
        elif not actual.field(idx).type.equals(field.type):
            problems.append(f"column {field.name!r} is {actual.field(idx).type}, expected {field.type}")
    if problems:
        name = (expected.metadata or {}).get(b"specsweep_schema", b"?").decode()
        raise ValueError(f"{where}: not a valid {name} file: " + "; ".join(problems))


def read_table(path: str | os.PathLike, schema: pa.Schema, columns: list[str] | None = None) -> pa.Table:
    """Read a Parquet file after checking it against ``schema``."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    check_schema(pq.read_schema(path), schema, str(path))
    return pq.read_table(path, columns=columns or schema.names)


def iter_batches(path: str | os.PathLike, schema: pa.Schema, batch_size: int = ROW_GROUP_SIZE,
                 columns: list[str] | None = None):
    """Stream record batches of a checked Parquet file (bounded memory)."""
    path = Path(path)
    pf = pq.ParquetFile(path)
    check_schema(pf.schema_arrow, schema, str(path))
    yield from pf.iter_batches(batch_size=batch_size, columns=columns or schema.names)


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def rejects_table(rows: list[dict]) -> pa.Table:
    """Build a REJECTS table from dicts with keys source, record, record_id, reason, detail."""
    from specsweep.schema import REJECTS
    cols = {name: [r.get(name) for r in rows] for name in REJECTS.names}
    return pa.table(cols, schema=REJECTS)


class _StagedFile:
    """A file written under a temporary name (``self.tmp``); ``commit`` closes it and renames it
    into place (``self.path``), ``discard`` closes and removes it, so an interrupted writer
    leaves no half file. Subclasses say how to close."""

    def _close(self) -> None:
        raise NotImplementedError

    def commit(self) -> Path:
        self._close()
        os.replace(self.tmp, self.path)
        return self.path

    def discard(self) -> None:
        try:
            self._close()
        finally:
            self.tmp.unlink(missing_ok=True)


class AppendedParquet(_StagedFile):
    """A zstd Parquet file written in batches under a temporary name; ``commit`` renames it into
    place, ``discard`` removes it. Same options as :func:`write_table`, so one
    batch gives the same bytes as writing that table at once."""

    def __init__(self, path, schema: pa.Schema):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.schema = schema
        self.rows = 0
        self.tmp = _tmp_path(self.path)
        try:
            self.writer = pq.ParquetWriter(self.tmp, schema, compression="zstd",
                                           write_statistics=True, store_schema=True)
        except BaseException:
            self.tmp.unlink(missing_ok=True)
            raise

    def append(self, table: pa.Table) -> None:
        table = table.select(self.schema.names).cast(self.schema)
        if table.num_rows:
            self.writer.write_table(table, row_group_size=ROW_GROUP_SIZE)
            self.rows += table.num_rows

    def _close(self) -> None:
        self.writer.close()

    def commit(self) -> Path:
        if not self.rows:  # an empty file still carries the schema, as write_table makes it
            self.writer.write_table(self.schema.empty_table())
        return super().commit()


class RegroupedParquet(AppendedParquet):
    """Like :class:`AppendedParquet`, but rows are buffered into full row groups of
    ``ROW_GROUP_SIZE``, whatever the sizes of the appended tables: the file has the same bytes as
    :func:`write_table` of all appended rows at once (schema ``schema``, no extra metadata). Memory
    holds at most one row group plus the last appended table."""

    def __init__(self, path, schema: pa.Schema):
        super().__init__(path, schema)
        self._pending: list[pa.Table] = []
        self._pending_rows = 0

    def append(self, table: pa.Table) -> None:
        table = table.select(self.schema.names).cast(self.schema)
        if not table.num_rows:
            return
        self._pending.append(table)
        self._pending_rows += table.num_rows
        if self._pending_rows >= ROW_GROUP_SIZE:
            self._write_pending(final=False)

    def _write_pending(self, final: bool) -> None:
        buffered = pa.concat_tables(self._pending).combine_chunks()
        full = buffered.num_rows if final else buffered.num_rows - buffered.num_rows % ROW_GROUP_SIZE
        for start in range(0, full, ROW_GROUP_SIZE):
            group = buffered.slice(start, min(ROW_GROUP_SIZE, full - start)).combine_chunks()
            AppendedParquet.append(self, group)
        rest = buffered.slice(full)
        self._pending = [rest] if rest.num_rows else []
        self._pending_rows = rest.num_rows

    def commit(self) -> Path:
        if self._pending_rows:
            self._write_pending(final=True)
        return super().commit()


class AppendedText(_StagedFile):
    """A text file written line by line under a temporary name; ``commit`` renames it into place,
    ``discard`` removes it (so an interrupted writer leaves no half file)."""

    def __init__(self, path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = _tmp_path(self.path)
        self.fh = open(self.tmp, "w")

    def write_line(self, line: str) -> None:
        self.fh.write(line + "\n")

    def _close(self) -> None:
        self.fh.close()


# --- whole output folders -------------------------------------------------------------------------

class AtomicFolder:
    """An output folder written under a temporary sibling name and renamed into place at the end.

    ``with AtomicFolder(out, owned=...) as tmp:`` gives the temporary folder to write into; on
    success the old folder (if any) is replaced by it, on any error (or a kill) the old folder is
    untouched. ``owned`` lists the glob patterns of files a folder of this kind holds: an existing
    folder holding anything else is refused, so a wrong path never deletes a user's files.
    Temporary siblings left by an interrupted run (``.<name>.*.tmp`` / ``.old``) are removed first.
    """

    def __init__(self, output_dir, owned: tuple[str, ...], kind: str):
        self.output_dir = Path(output_dir)
        self.owned = owned
        self.kind = kind
        self.tmp: Path | None = None

    def _check_replaceable(self) -> None:
        out = self.output_dir
        if not out.exists():
            return
        if not out.is_dir():
            raise ValueError(f"{out}: exists and is not a folder")
        foreign = sorted(p.name for p in out.iterdir() if not any(p.match(g) for g in self.owned))
        if foreign:
            raise ValueError(f"{out}: not a {self.kind} folder (holds {', '.join(foreign[:5])}); "
                             "refusing to replace it")

    def _remove_stale(self) -> None:
        import shutil
        name = glob_escape(self.output_dir.name)
        for pattern in (f".{name}.*.tmp", f".{name}.*.old"):
            for stale in self.output_dir.parent.glob(pattern):
                if stale.is_dir():
                    shutil.rmtree(stale, ignore_errors=True)

    def __enter__(self) -> Path:
        self._check_replaceable()
        self.output_dir.parent.mkdir(parents=True, exist_ok=True)
        self._remove_stale()
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.output_dir.name}.", suffix=".tmp",
                                         dir=self.output_dir.parent))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.tmp, 0o777 & ~umask)
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        import shutil
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        old = None
        if self.output_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{self.output_dir.name}.", suffix=".old",
                                        dir=self.output_dir.parent))
            old.rmdir()
            self.output_dir.rename(old)
        self.tmp.rename(self.output_dir)
        if old is not None:
            shutil.rmtree(old)


# --- checking a folder against its manifest -------------------------------------------------------

class FolderCheckError(ValueError):
    """A folder does not match its manifest (missing, extra, resized or changed files)."""


def check_listed_files(folder, entries: list[dict], pattern: str, remedy: str,
                       checksums: bool = False) -> None:
    """Check that the files ``entries`` list (dicts with ``file`` and ``sha256``, and ``bytes``
    when the writer recorded it) are exactly the files of ``folder`` matching ``pattern``, with
    the recorded sizes, a Parquet end marker, and (``checksums``) the recorded sha256.

    Raises :class:`FolderCheckError` naming the first file that does not match and ``remedy``.
    """
    folder = Path(folder)
    manifest = folder / "manifest.json"
    listed = {e["file"] for e in entries}
    present = {p.name for p in folder.glob(pattern)}
    for name in sorted(listed - present):
        raise FolderCheckError(f"{folder / name}: listed in {manifest} but missing; the folder is "
                               f"partial (an interrupted or mixed run). {remedy}")
    for name in sorted(present - listed):
        raise FolderCheckError(f"{folder / name}: not listed in {manifest}; the folder mixes files "
                               f"of different runs. {remedy}")
    for e in entries:
        path = folder / e["file"]
        size = path.stat().st_size
        if "bytes" in e and size != int(e["bytes"]):
            raise FolderCheckError(f"{path}: {size} bytes, but {manifest} records {e['bytes']}; the "
                                   f"file was cut short or replaced. {remedy}")
        if path.suffix == ".parquet" and not _ends_with_parquet_marker(path):
            raise FolderCheckError(f"{path}: not a complete Parquet file (no end marker). {remedy}")
        if checksums and sha256_file(path) != e["sha256"]:
            raise FolderCheckError(f"{path}: sha256 differs from the one in {manifest}; the file "
                                   f"is corrupted or from another run. {remedy}")


def _ends_with_parquet_marker(path: Path) -> bool:
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        if fh.tell() < 12:
            return False
        fh.seek(-4, os.SEEK_END)
        return fh.read(4) == b"PAR1"
