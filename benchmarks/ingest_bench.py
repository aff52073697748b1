"""Ingest throughput: spectra per second for ``specsweep ingest`` on MassBank dev_full (35,501 spectra).

Measured in the same run:

1. end to end: :func:`specsweep.spectra.ingest.ingest` (read, check, process peaks, write zstd Parquet
   parts, rejects and manifest) against a plain baseline that only reads the same file with
   ``pyteomics.mgf.MGF`` into Python lists (no checks, no processing, no writing);
2. peak processing alone: :func:`specsweep.spectra.peaks.process_peaks` (Numba) against the same
   rules written in plain Python (sorted lists) on the same peak arrays.

Usage: nice -n 10 .venv/bin/python benchmarks/ingest_bench.py [MGF] [--repeat 2]
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import math
import os
import platform
import tempfile
import time
from pathlib import Path

os.environ.setdefault("SPECSWEEP_PROGRESS", "0")

from pyteomics import mgf  # noqa: E402

from specsweep.spectra.ingest import IngestParams, ingest  # noqa: E402
from specsweep.spectra.peaks import process_peaks  # noqa: E402

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "spectra" / \
    "massbank_hr_pos_MH_dev_full.mgf.gz"


def plain_read(path: Path) -> list:
    """Baseline: pyteomics MGF reader, every spectrum into Python lists."""
    out = []
    with gzip.open(path, "rt") if path.suffix == ".gz" else open(path) as fh:
        for spec in mgf.MGF(fh, convert_arrays=0, read_charges=False):
            out.append((spec["params"], list(spec["m/z array"]), list(spec["intensity array"])))
    return out


def plain_process(mz, intensity, precursor_mz, top_n=100, window=1.5):
    """Baseline peak processing in plain Python, same rules as process_peaks for charge 1."""
    peaks = [(m, i) for m, i in zip(mz, intensity) if i > 0 and m < precursor_mz - window]
    peaks.sort(key=lambda p: (-p[1], p[0]))
    kept = [(m, i, r + 1) for r, (m, i) in enumerate(peaks[:top_n])]
    kept.sort()
    return ([m for m, _, _ in kept], [i for _, i, _ in kept], [r for _, _, r in kept],
            [int(math.log2(r)) + 1 if r < 64 else 7 for _, _, r in kept])


def best_of(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mgf", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--repeat", type=int, default=2, help="runs per measurement; the fastest counts")
    args = ap.parse_args()
    print(f"input: {args.mgf}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, python {platform.python_version()}")

    # warm up Numba (cached compile) outside the timings
    process_peaks(*(__import__("numpy").array([50.0, 60.0]),) * 2, 100.0)

    t_plain, spectra = best_of(lambda: plain_read(args.mgf), args.repeat)
    n = len(spectra)
    with tempfile.TemporaryDirectory() as tmp:
        t_ours, manifest = best_of(lambda: ingest([args.mgf], Path(tmp) / "out", IngestParams()), args.repeat)
    written = manifest["counts"]["written"]
    print(f"\nend to end, {n} spectra:")
    print(f"  plain pyteomics read into lists        : {t_plain:7.2f} s  {n / t_plain:9.0f} spectra/s")
    print(f"  specsweep ingest (read, process, write): {t_ours:7.2f} s  {written / t_ours:9.0f} spectra/s")
    print(f"  ratio ingest / plain read              : {(written / t_ours) / (n / t_plain):.2f}x")

    import numpy as np
    arrays = [(np.asarray(mz, dtype=np.float64), np.asarray(it, dtype=np.float64),
               float(p["pepmass"][0])) for p, mz, it in spectra]
    t_np, _ = best_of(lambda: [process_peaks(mz, it, pm, 1) for mz, it, pm in arrays], args.repeat)
    t_py, _ = best_of(lambda: [plain_process(mz, it, pm) for (_, mz, it), (_, _, pm)
                               in zip(spectra, arrays)], args.repeat)
    n_peaks = sum(len(a[0]) for a in arrays)
    print(f"\npeak processing only, {n} spectra, {n_peaks} peaks:")
    print(f"  plain Python                    : {t_py:7.3f} s  {n / t_py:9.0f} spectra/s")
    print(f"  process_peaks (Numba)           : {t_np:7.3f} s  {n / t_np:9.0f} spectra/s")
    print(f"  ratio                           : {t_py / t_np:.1f}x")


if __name__ == "__main__":
    main()
