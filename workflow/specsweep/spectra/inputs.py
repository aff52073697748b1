"""Finding spectrum files: explicit files or whole folders (recursive), by extension, ``.gz`` allowed."""

from __future__ import annotations

import contextlib
import gzip
import os
import shutil
import tempfile
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


def open_text(path: str | Path):
    """Open a text file, gunzipping ``.gz``; undecodable bytes are replaced, not fatal."""
    path = Path(path)
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
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
        with os.fdopen(fd, "wb") as out, gzip.open(path, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
        yield Path(tmp)
    finally:
        os.unlink(tmp)
