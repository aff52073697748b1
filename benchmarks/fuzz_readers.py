"""Fuzz the spectrum readers: mutated MGF / mzML / mzXML files (plain and .gz) through `ingest`.

Every file is made from a small valid file (5 demo spectra as MGF; 5 hand-written spectra as
mzML and mzXML) by a seeded chain of 1-3 mutations: flipped, deleted, inserted or duplicated
bytes, a cut at a random point, a random line removed, duplicated or swapped, a number replaced
by an odd value (nan, inf, -1, 1e400, empty, text), NUL bytes, a UTF-16 re-encoding, gzip with
or without a cut. Each file goes alone through ingest's per-file path (file-fault wrapper, reader,
record checks, peak processing, counts) with spectra kept in memory; ``--through-ingest`` calls
:func:`specsweep.spectra.ingest.ingest` itself (a spectra folder written per file).

Outcomes counted:
- ``spectra written``: at least one spectrum usable (the rest counted as rejects);
- ``no usable spectrum``: every record or the whole file rejected with a reason (ingest refuses
  such an input with a clear error naming each file's reason);
- ``crash``: anything else (an exception escaping, or counts that do not add up:
  read != written + rejected + skipped_ms1). The target is 0.

Measures, asserts nothing. Usage:
    python benchmarks/fuzz_readers.py [--files 3000] [--seed 15] [--keep-crashes DIR] [--through-ingest]
"""

from __future__ import annotations

import argparse
import gzip
import random
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "workflow")]

from specsweep.spectra.ingest import ingest  # noqa: E402
from tests.spectra.msfiles import write_mzml, write_mzxml  # noqa: E402

ODD_VALUES = [b"nan", b"inf", b"-inf", b"-1", b"0", b"1e400", b"", b"abc", b"1,5", b"+-3", b"9" * 40]


def base_files(folder: Path) -> dict[str, bytes]:
    text = (REPO / "tests" / "data" / "demo_spectra.mgf").read_text()
    blocks = text.split("BEGIN IONS")[1:6]
    mgf = ("".join("BEGIN IONS" + b.split("END IONS")[0] + "END IONS\n" for b in blocks)).encode()
    spectra = [dict(scan=1, ms_level=1, mz=[300.0, 400.0], intensity=[1e5, 2e5], rt_minutes=1.0)]
    spectra += [dict(scan=i + 2, ms_level=2, mz=[60.0 + i, 91.5, 120.25], intensity=[5.0, 50.0, 7.5],
                     precursor_mz=301.5, charge=1, rt_minutes=1.0 + i, compress=bool(i % 2))
                for i in range(4)]
    write_mzml(folder / "b.mzML", spectra)
    write_mzxml(folder / "b.mzXML", dict(mz=[300.0], intensity=[1e5], rt_seconds=10.0),
                [dict(mz=[60.0 + i, 91.5], intensity=[5.0, 50.0], precursor_mz=301.5, charge=1,
                      rt_seconds=12.0 + i) for i in range(4)], compress=True)
    return {"mgf": mgf, "mzML": (folder / "b.mzML").read_bytes(), "mzXML": (folder / "b.mzXML").read_bytes()}


def _numbers(data: bytes) -> list[tuple[int, int]]:
    import re
    return [m.span() for m in re.finditer(rb"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", data)]


def mutate(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One random mutation; returns the new bytes and its name."""
    n = len(data)
    kind = rng.choice(["flip", "delete", "insert", "duplicate", "cut", "drop_line", "dup_line",
                       "swap_lines", "odd_number", "nul", "utf16"])
    if n == 0:
        kind = "insert"
    i = rng.randrange(max(1, n))
    if kind == "flip":
        k = rng.randint(1, 8)
        out = bytearray(data)
        for j in range(i, min(n, i + k)):
            out[j] ^= 1 << rng.randrange(8)
        return bytes(out), kind
    if kind == "delete":
        return data[:i] + data[i + rng.randint(1, 200):], kind
    if kind == "insert":
        return data[:i] + rng.randbytes(rng.randint(1, 64)) + data[i:], kind
    if kind == "duplicate":
        j = min(n, i + rng.randint(1, 400))
        return data[:j] + data[i:j] + data[j:], kind
    if kind == "cut":
        return data[:i], kind
    if kind == "nul":
        return data[:i] + b"\0" * rng.randint(1, 4) + data[i:], kind
    if kind == "utf16":
        return data.decode("utf-8", "replace").encode("utf-16"), kind
    if kind == "odd_number":
        spans = _numbers(data)
        if not spans:
            return data, kind
        a, b = rng.choice(spans)
        return data[:a] + rng.choice(ODD_VALUES) + data[b:], kind
    lines = data.split(b"\n")
    a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
    if kind == "drop_line":
        del lines[a]
    elif kind == "dup_line":
        lines.insert(a, lines[a])
    else:
        lines[a], lines[b] = lines[b], lines[a]
    return b"\n".join(lines), kind


def make_file(bases: dict[str, bytes], rng: random.Random, folder: Path, k: int) -> tuple[Path, list[str]]:
    ext = rng.choice(sorted(bases))
    data, done = bases[ext], []
    for _ in range(rng.randint(1, 3)):
        data, name = mutate(data, rng)
        done.append(name)
    name = f"f{k:05d}.{ext}"
    if rng.random() < 0.25:
        data = gzip.compress(data, mtime=0)
        if rng.random() < 0.5:
            data = data[:rng.randrange(max(1, len(data)))]
            done.append("gz_cut")
        name += ".gz"
        done.append("gzip")
    path = folder / name
    path.write_bytes(data)
    return path, done


class _NoBar:
    def update(self, n):
        pass


def ingest_one(path: Path, out_dir: Path) -> dict:
    """Ingest's per-file path (file faults, record checks, peak processing, counts) for one file,
    spectra kept in memory (Parquet writing is not reader code and would dominate the time)."""
    from specsweep.params.stages import IngestParams
    from specsweep.spectra.file_faults import read_spectrum_file
    from specsweep.spectra.ingest import _Collector, _readers
    from specsweep.spectra.inputs import split_name

    fmt = split_name(path)[1]
    run = _Collector(out_dir, IngestParams(part_size=10**9))
    run.add_file(path, fmt, "f", read_spectrum_file(path, fmt, _readers()[fmt]), _NoBar())
    return run.totals()


def run(n_files: int, seed: int, keep: Path | None, through_ingest: bool) -> dict:
    rng = random.Random(seed)
    outcomes: Counter = Counter()
    reasons: Counter = Counter()
    crashes: list[tuple[str, list[str], str]] = []
    with tempfile.TemporaryDirectory(prefix="specsweep-fuzz-") as tmp:
        tmp = Path(tmp)
        bases = base_files(tmp)
        t0 = time.perf_counter()
        for k in range(n_files):
            path, done = make_file(bases, rng, tmp, k)
            out = tmp / "out"
            try:
                c = ingest([path], out)["counts"] if through_ingest else ingest_one(path, out)
                if c["read"] != c["written"] + c["rejected"] + c["skipped_ms1"]:
                    raise AssertionError(f"counts do not add up: {c}")
                outcomes["spectra written" if c["written"] else "no usable spectrum"] += 1
                reasons.update({r: v for r, v in c["rejected_by_reason"].items() if v})
            except ValueError as exc:
                if not through_ingest or "no spectrum could be used" not in str(exc):
                    raise
                outcomes["no usable spectrum"] += 1
            except Exception:  # noqa: BLE001 - what the fuzz run is looking for
                outcomes["crash"] += 1
                crashes.append((path.name, done, traceback.format_exc(limit=6)))
                if keep is not None:
                    keep.mkdir(parents=True, exist_ok=True)
                    shutil.copy(path, keep / path.name)
            finally:
                shutil.rmtree(out, ignore_errors=True)
                path.unlink()
        seconds = time.perf_counter() - t0
    return {"files": n_files, "seed": seed, "outcomes": dict(outcomes), "reject_reasons": dict(reasons),
            "crashes": crashes, "seconds": seconds}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--keep-crashes", type=Path, default=None, help="copy crashing inputs here")
    ap.add_argument("--through-ingest", action="store_true",
                    help="call ingest() per file (writes and checks a spectra folder; ~10x slower)")
    args = ap.parse_args()
    import logging
    import warnings
    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")   # pyteomics warns about odd arrays; the outcome is what counts
    res = run(args.files, args.seed, args.keep_crashes, args.through_ingest)
    print(f"fuzz_readers: {res['files']} mutated files, seed {res['seed']}, {res['seconds']:.0f} s "
          f"({1000 * res['seconds'] / res['files']:.1f} ms per file)")
    print(f"outcomes: {res['outcomes']}")
    print("reject reasons (records and files): " + ", ".join(f"{k} {v}" for k, v in sorted(res["reject_reasons"].items())))
    print(f"crashes: {len(res['crashes'])}")
    for name, done, tb in res["crashes"][:5]:
        print(f"--- {name} ({', '.join(done)})\n{tb}")


if __name__ == "__main__":
    main()
