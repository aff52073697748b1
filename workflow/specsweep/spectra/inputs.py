"""Finding spectrum files: explicit files or whole folders (recursive), by extension, ``.gz`` allowed."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path

FORMATS = {".mgf": "mgf", ".mzml": "mzml", ".mzxml": "mzxml"}
"""Extension (lower case, without ``.gz``) -> format name."""


def split_name(path: str | Path) -> tuple[str, str | None, bool]:
    """(stem, format or None, gzipped) of a file name: 'a/run1.mzML.gz' -> ('run1', 'mzml', True)."""
    name = Path(path).name
    gz = name.lower().endswith(".gz")
    if gz:
        name = name[:-3]
    base, ext = os.path.splitext(name)
    fmt = FORMATS.get(ext.lower())
    return (base if fmt else name), fmt, gz


def find_inputs(paths: list[str | Path]) -> list[tuple[Path, str]]:
    """Expand files and folders into (path, format) pairs, sorted by path, without duplicates.

    A folder is searched recursively for files ending in .mgf, .mzML or .mzXML (any case, optionally
    .gz); other files in it are ignored. A file named explicitly must have one of those endings.
    Raises FileNotFoundError for a missing path and ValueError for an unknown format.
    """
    found: dict[str, tuple[Path, str]] = {}
    for p in paths:
        path = Path(p)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    fmt = split_name(name)[1]
                    if fmt:
                        f = Path(root) / name
                        found.setdefault(str(f), (f, fmt))
        elif path.is_file():
            fmt = split_name(path)[1]
            if fmt is None:
                raise ValueError(f"{path}: unknown spectrum format (expected .mgf, .mzML or .mzXML, "
                                 "optionally .gz)")
            found.setdefault(str(path), (path, fmt))
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return [found[k] for k in sorted(found)]


def spectrum_stems(files: list[Path]) -> dict[Path, str]:
    """The ``<file stem>`` used in spectrum ids, for each file.

    Normally the file name without extensions. Files whose stems would collide get their path
    relative to the deepest folder common to all of them (without extensions, '/' separators; with
    the full file name when only the extension differs), so every id stays unique and stable for
    the same set of inputs.
    """
    stems = {f: split_name(f)[0] for f in files}
    by_stem: dict[str, list[Path]] = {}
    for f, s in stems.items():
        by_stem.setdefault(s, []).append(f)
    for s, group in by_stem.items():
        if len(group) < 2:
            continue
        absolute = [f.resolve() for f in group]
        common = Path(os.path.commonpath([str(a.parent) for a in absolute]))
        rels = [a.relative_to(common) for a in absolute]
        names = [(r.parent / split_name(r)[0]).as_posix() for r in rels]
        if len(set(names)) < len(names):  # same folder and stem, different format: keep the file name
            names = [r.as_posix() for r in rels]
        stems.update(zip(group, names))
    return stems


class GunzipStream(io.RawIOBase):
    """A gzip file (one or more members) as a raw binary stream, decoded with zlib.

    Unlike :func:`gzip.open`, every byte that can be decoded is delivered before a fault is
    raised: :class:`EOFError` when the compressed data ends early (a cut file), ``zlib.error``
    for corrupted data or a failed CRC, so a reader keeps the records before the fault.
    """

    _IN = 1 << 13
    _OUT = 1 << 20

    def __init__(self, path: str | Path):
        self._fh = open(path, "rb")
        self._dec = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._pending = b""    # compressed bytes not yet given to the decoder
        self._ended = False
        self._out = b""        # decoded bytes not yet delivered

    def readable(self) -> bool:
        return True

    def _decode(self) -> bytes:
        while True:
            if self._dec.eof:  # a member ended: another may follow (padding NULs end the file)
                rest = self._dec.unused_data + self._pending + self._fh.read(self._IN)
                if not rest.strip(b"\0"):
                    self._ended = True
                    return b""
                self._dec, self._pending = zlib.decompressobj(16 + zlib.MAX_WBITS), rest
            data = self._dec.unconsumed_tail or self._pending or self._fh.read(self._IN)
            self._pending = b""
            if not data:
                raise EOFError("gzip data ends before the end-of-stream marker (cut file)")
            out = self._dec.decompress(data, self._OUT)
            if out:
                return out

    def readinto(self, buffer) -> int:
        if not self._out and not self._ended:
            self._out = self._decode()
        n = min(len(self._out), len(buffer))
        buffer[:n] = self._out[:n]
        self._out = self._out[n:]
        return n

    def close(self) -> None:
        self._fh.close()
        super().close()


def open_binary(path: str | Path):
    """Open a file for reading bytes, gunzipping ``.gz`` with :class:`GunzipStream`."""
    path = Path(path)
    if path.name.lower().endswith(".gz"):
        return io.BufferedReader(GunzipStream(path), buffer_size=GunzipStream._OUT)
    return open(path, "rb")


def open_text(path: str | Path):
    """Open a text file, gunzipping ``.gz``; undecodable bytes are replaced, not fatal."""
    path = Path(path)
    if path.name.lower().endswith(".gz"):
        return io.TextIOWrapper(open_binary(path), encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


@contextlib.contextmanager
def seekable_file(path: str | Path) -> Iterator[Path]:
    """Path to a plain (seekable) copy of ``path``: the file itself, or a temporary gunzipped copy."""
    path = Path(path)
    if not path.name.lower().endswith(".gz"):
        yield path
        return
    fd, tmp = tempfile.mkstemp(prefix="specsweep-", suffix="-" + path.name[:-3])
    try:
        with os.fdopen(fd, "wb") as out, open_binary(path) as src:
            shutil.copyfileobj(src, out, 1 << 20)
        yield Path(tmp)
    finally:
        os.unlink(tmp)
