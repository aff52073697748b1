"""Spectrum files with whole-file faults, made from the demo spectra and small hand-written mzML,
each with the number of spectra a reader can still use from it."""

from __future__ import annotations

import random
import zlib
from pathlib import Path

from tests.spectra.msfiles import write_mzml

DEMO_MGF = Path(__file__).resolve().parents[1] / "data" / "demo_spectra.mgf"


def mgf_blocks(n: int, start: int = 0) -> list[str]:
    """The text of demo spectra blocks start..start+n (BEGIN IONS ... END IONS, newline-ended)."""
    text = DEMO_MGF.read_text()
    blocks = [b.split("END IONS")[0] for b in text.split("BEGIN IONS")[1:]]
    return [f"BEGIN IONS{b}END IONS\n" for b in blocks[start:start + n]]


def mzml_spectra(n: int) -> list[dict]:
    """n MS2 spectra that ingest keeps (precursor 300, two peaks below it)."""
    return [dict(scan=i + 1, ms_level=2, mz=[60.0 + i, 90.0], intensity=[10.0, 20.0],
                 precursor_mz=300.0, charge=1) for i in range(n)]


def gzip_cut_after(parts: list[str], n_whole: int, path: Path) -> None:
    """Gzip ``parts`` with a sync flush after the first ``n_whole``, then cut the stream a little
    after that point: exactly those parts can be decoded, the next one only in part."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    head = comp.compress("".join(parts[:n_whole]).encode()) + comp.flush(zlib.Z_SYNC_FLUSH)
    tail = comp.compress("".join(parts[n_whole:]).encode()) + comp.flush()
    path.write_bytes(head + tail[:max(1, len(tail) // 3)])


def write_good(folder: Path) -> dict[str, int]:
    """Good files; returns spectra usable per file name."""
    (folder / "good.mgf").write_text("".join(mgf_blocks(10)))
    write_mzml(folder / "good.mzML", mzml_spectra(5))
    return {"good.mgf": 10, "good.mzML": 5}


def write_bad(folder: Path) -> dict[str, tuple[str, int]]:
    """One file of each fault kind; returns (file-level reason, spectra still usable) per name."""
    rnd = random.Random(15).randbytes(20_000)
    (folder / "empty.mgf").write_bytes(b"")
    (folder / "blank.mzML").write_text("\n  \n")
    (folder / "noise.mgf").write_bytes(rnd)
    (folder / "noise.mzML").write_bytes(rnd)
    (folder / "noise.mzXML.gz").write_bytes(rnd)                   # not even gzip
    (folder / "notes.mgf").write_text("sample notes\nno spectra here\n")
    gzip_cut_after(mgf_blocks(8, start=10), 6, folder / "cut.mgf.gz")
    mzml = folder / "whole.xml"
    write_mzml(mzml, mzml_spectra(4))
    text = mzml.read_text()
    mzml.unlink()
    cut = text.index("<spectrum ", text.index("<spectrum ") + 1)        # inside the second spectrum
    (folder / "cut.mzML").write_text(text[:cut + 200])
    (folder / "gone.mgf").symlink_to(folder / "no-such-target.mgf")  # listed, cannot be opened
    return {"empty.mgf": ("empty_file", 0), "blank.mzML": ("empty_file", 0),
            "noise.mgf": ("not_a_spectrum_file", 0), "noise.mzML": ("not_a_spectrum_file", 0),
            "noise.mzXML.gz": ("unreadable_file", 0), "notes.mgf": ("not_a_spectrum_file", 0),
            "cut.mgf.gz": ("truncated_file", 6), "cut.mzML": ("truncated_file", 1),
            "gone.mgf": ("unreadable_file", 0)}
