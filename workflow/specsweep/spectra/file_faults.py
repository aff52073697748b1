"""Whole-file faults: a spectrum file that cannot be read, is cut short, is empty or is no
spectrum file at all becomes one reject row with a file-level reason, and the rest of the dataset
goes on.

:func:`read_spectrum_file` wraps a format reader (:mod:`~specsweep.spectra.mgf_reader`,
:mod:`~specsweep.spectra.xml_readers`). It yields the reader's records as they come, so records
read before a fault are kept; a fault ends the file with one :class:`RawSpectrum` whose ``error``
is a file-level reason code:

- ``empty_file``: no bytes, or only white space (after gunzipping);
- ``not_a_spectrum_file``: binary content (over 5 % control bytes), an XML file without its root element
  (``<mzML>`` / ``<mzXML>``), or a text file without a single MGF block;
- ``truncated_file``: a gzip stream that ends early, an MGF file ending inside a block (that block
  is the reject), an XML file without its closing root tag (a spectrum cut in two is the reject);
- ``unreadable_file``: the operating system, gzip or the XML parser refused the file (permissions,
  a corrupted gzip stream, malformed XML outside any spectrum); ``detail`` holds the error.

The fault row's ``index`` is the position in the file where reading stopped (the number of records
before it), or None when nothing was read.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from specsweep.spectra.inputs import open_binary
from specsweep.spectra.records import RawSpectrum

FILE_REASONS = ["unreadable_file", "truncated_file", "not_a_spectrum_file", "empty_file"]
"""Reason codes of whole-file rejects."""

SNIFF_BYTES = 1 << 16
_XML_ROOTS = {"mzml": (b"<mzML", b"</mzML>"), "mzxml": (b"<mzXML", b"</mzXML>")}
_TAIL_BYTES = 4096


def _fault(reason: str, detail: str, index: int | None, title: str = "") -> RawSpectrum:
    return RawSpectrum(index=index, title=title, error=reason, detail=detail[:500])


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".strip()


def _classify(exc: BaseException) -> str:
    return "truncated_file" if isinstance(exc, EOFError) else "unreadable_file"


def _head(path: Path) -> tuple[bytes, bool]:
    """Up to SNIFF_BYTES of (gunzipped) content and whether there is more. A gzip stream that
    ends early or is corrupted gives what it held: the reader meets the fault and reports it."""
    data = b""
    with open_binary(path) as fh:
        try:
            while len(data) <= SNIFF_BYTES:
                block = fh.read1(SNIFF_BYTES + 1 - len(data))  # read1: data before a fault is kept
                if not block:
                    break
                data += block
        except (EOFError, OSError, zlib.error):
            if not data:
                raise
    return data[:SNIFF_BYTES], len(data) > SNIFF_BYTES


_CONTROL = bytes(c for c in range(32) if c not in b"\t\n\r\f\v")


def _binary(head: bytes) -> bool:
    """More than 5 % NUL or other control bytes: binary data (or UTF-16), not a text format.
    A few stray control bytes in a text file are left to the reader (they spoil one record)."""
    if not head:
        return False
    n_control = len(head) - len(head.translate(None, _CONTROL))
    return n_control > 0.05 * len(head)


def _sniff(path: Path, fmt: str) -> RawSpectrum | None:
    """A fault seen from the first bytes, else None."""
    head, more = _head(path)
    if not more and not head.strip():
        return _fault("empty_file", "only white space" if head else "no content", None)
    if _binary(head):
        return _fault("not_a_spectrum_file", f"binary content, not {fmt.upper()} text", None)
    if fmt in _XML_ROOTS and _XML_ROOTS[fmt][0] not in head:
        return _fault("not_a_spectrum_file",
                      f"no <{_XML_ROOTS[fmt][0][1:].decode()}> element at the start of the file", None)
    return None


def _xml_is_cut(plain: Path, fmt: str) -> bool:
    """True when a (plain) XML spectrum file does not end with its closing root tag."""
    with open(plain, "rb") as fh:
        size = fh.seek(0, 2)
        fh.seek(max(0, size - _TAIL_BYTES))
        return _XML_ROOTS[fmt][1] not in fh.read()


@contextlib.contextmanager
def _plain_copy(path: Path) -> Iterator[tuple[Path, str | None]]:
    """(seekable plain file, None) for an XML input; a ``.gz`` is gunzipped to a temporary file.
    A gzip stream that ends early gives what it held and the error text instead of None."""
    if not path.name.lower().endswith(".gz"):
        yield path, None
        return
    fd, tmp = tempfile.mkstemp(prefix="specsweep-", suffix="-" + path.name[:-3])
    cut = None
    try:
        with os.fdopen(fd, "wb") as out, open_binary(path) as src:
            try:
                for block in iter(lambda: src.read1(1 << 20), b""):  # read1: nothing decoded is lost
                    out.write(block)
            except EOFError as exc:
                cut = _error_text(exc)
        yield Path(tmp), cut
    finally:
        os.unlink(tmp)


def read_spectrum_file(path: str | Path, fmt: str,
                       reader: Callable[[Path], Iterator[RawSpectrum]]) -> Iterator[RawSpectrum]:
    """Records of one spectrum file, ending with one file-level fault record if the file has one.

    ``reader`` is the format's reader; XML inputs are handed to it as a plain seekable file.
    """
    path = Path(path)
    if fmt in _XML_ROOTS:
        try:
            with _plain_copy(path) as (plain, gz_cut):
                yield from _guarded(plain, fmt, reader, gz_cut)
        except Exception as exc:  # noqa: BLE001 - the copy itself failed (OS or gzip error)
            yield _fault(_classify(exc), _error_text(exc), None)
    else:
        yield from _guarded(path, fmt, reader, None)


def _guarded(path: Path, fmt: str, reader, gz_cut: str | None) -> Iterator[RawSpectrum]:
    n = 0
    pending = None  # XML: a failed record is held back, in case it is the one cut in two
    try:
        fault = _sniff(path, fmt)
        if fault is not None:
            yield fault
            return
        cut = gz_cut is not None or (fmt in _XML_ROOTS and _xml_is_cut(path, fmt))
        for rec in reader(path):
            if pending is not None:
                yield pending
                n, pending = n + 1, None
            if cut and rec.error is not None:
                pending = rec
                continue
            yield rec
            n += 1
    except Exception as exc:  # noqa: BLE001 - one file must not sink the dataset
        if pending is not None:
            yield pending
            n += 1
        yield _fault(_classify(exc), _error_text(exc), n if n else None)
        return
    if cut:
        closing = _XML_ROOTS[fmt][1].decode()
        why = gz_cut or f"file ends before its closing {closing} tag"
        yield _fault("truncated_file", f"{why}; {n} records read before the cut", n,
                     pending.title if pending is not None else "")
        return
    if pending is not None:
        yield pending
        n += 1
    if n == 0:
        what = "no BEGIN IONS ... END IONS block" if fmt == "mgf" else "no spectrum element"
        yield _fault("not_a_spectrum_file", what, None)
