"""Reading and writing Parquet files safely: atomic writes, schema checks, stable bytes."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROW_GROUP_SIZE = 4096


def _tmp_path(path: Path) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs get the usual permissions
    return Path(tmp)


def write_table(table: pa.Table, path: str | os.PathLike, schema: pa.Schema | None = None,
                row_group_size: int = ROW_GROUP_SIZE) -> Path:
    """Write ``table`` as zstd Parquet to a temporary name, then rename into place.

    With ``schema``, the table is cast to it first (column order and types), so every file of
    one kind has identical schemas. Output bytes depend only on the data.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if schema is not None:
        table = table.select(schema.names).cast(schema)
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


class AppendedParquet:
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

    def commit(self) -> Path:
        if not self.rows:  # an empty file still carries the schema, as write_table makes it
            self.writer.write_table(self.schema.empty_table())
        self.writer.close()
        os.replace(self.tmp, self.path)
        return self.path

    def discard(self) -> None:
        try:
            self.writer.close()
        finally:
            self.tmp.unlink(missing_ok=True)
