"""Wall time of the formula stage with 1 and with N worker processes on a fixed small set.

Takes the first ``--limit`` spectra of an MGF file, ingests them (``--part-size`` spectra per
part, so the stage streams several parts), warms the Numba cache with one small run, then runs
``python -m specsweep formula --threads P`` for each P of ``--processes``, ``--repeats`` rounds
in alternating order (1, 2, 2, 1, ...: drift in machine load hits both sides alike). Prints per
run the wall time and the CPU time of the stage's processes, the median wall time per P, the
ratio against one process, whether every output has the same bytes, and the load average before
and after (a ratio taken on a loaded machine says so).

    nice -n 10 .venv/bin/python benchmarks/formula_processes_bench.py \\
        ../shared/data/spectra/massbank_hr_pos_MH_dev_500_ppm3.mgf --limit 40 --processes 1 2

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
print = functools.partial(print, flush=True)  # each run's line as it ends


def first_spectra(mgf: Path, limit: int, out: Path) -> int:
    """Write the first ``limit`` BEGIN/END IONS blocks of ``mgf`` to ``out``; returns how many."""
    kept, block, n = [], [], 0
    with open(mgf) as fh:
        for line in fh:
            block.append(line)
            if line.startswith("END IONS"):
                kept.extend(block)
                block, n = [], n + 1
                if n >= limit:
                    break
            elif line.startswith("BEGIN IONS"):
                block = [line]
    out.write_text("".join(kept))
    return n


def specsweep(*args: str, env: dict) -> tuple[float, float]:
    """Run ``python -m specsweep ARGS``; (wall seconds, CPU seconds of it and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "specsweep", *args], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"specsweep {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def run_order(processes: list[int], repeats: int) -> list[int]:
    """1 2 | 2 1 | 1 2 ...: each round reverses the previous one."""
    order = []
    for r in range(repeats):
        order += processes if r % 2 == 0 else processes[::-1]
    return order


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mgf", type=Path)
    ap.add_argument("--limit", type=int, default=40, help="spectra taken from the start of the file")
    ap.add_argument("--part-size", type=int, default=10, help="spectra per ingested part")
    ap.add_argument("--processes", type=int, nargs="+", default=[1, 2], help="values of --threads to time")
    ap.add_argument("--repeats", type=int, default=1, help="rounds over --processes (alternating order)")
    ap.add_argument("--stage-options", default="--elements CHNOPSFClBrI",
                    help="further options of `specsweep formula` (default: the fixed alphabet)")
    args = ap.parse_args()

    env = dict(os.environ, SPECSWEEP_PROGRESS="0", NUMBA_NUM_THREADS="1",
               PYTHONPATH=str(REPO / "workflow") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.setdefault("NUMBA_CACHE_DIR", str(REPO / ".numba_cache"))
    options = args.stage_options.split()
    with tempfile.TemporaryDirectory(prefix="formula_processes_") as tmp:
        tmp = Path(tmp)
        n = first_spectra(args.mgf, args.limit, tmp / "subset.mgf")
        specsweep("ingest", "--input", str(tmp / "subset.mgf"), "--output-dir", str(tmp / "spectra"),
                  "--part-size", str(args.part_size), env=env)
        parts = sorted((tmp / "spectra").glob("part-*.parquet"))
        specsweep("formula", "--spectra", str(parts[0]), "--output", str(tmp / "warm.parquet"), *options, env=env)
        load_before = os.getloadavg()
        print(f"{args.mgf.name}: first {n} spectra in {len(parts)} parts; stage options: {' '.join(options)}")
        print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs; load average before: "
              + " ".join(f"{x:.2f}" for x in load_before))
        walls: dict[int, list[float]] = {p: [] for p in args.processes}
        digests = set()
        for i, p in enumerate(run_order(args.processes, args.repeats)):
            out = tmp / f"formulas_{i}.parquet"
            wall, cpu = specsweep("formula", "--spectra", str(tmp / "spectra"), "--output", str(out),
                                  "--threads", str(p), *options, env=env)
            digests.add(hashlib.sha256(out.read_bytes()).hexdigest())
            walls[p].append(wall)
            print(f"  run {i + 1}: {p} process(es): wall {wall:7.2f} s, CPU {cpu:7.2f} s ({wall / n:.3f} s/spectrum)")
        load_after = os.getloadavg()
    base = statistics.median(walls[args.processes[0]])
    print("median wall time: " + ", ".join(f"{p} process(es) {statistics.median(w):.2f} s" for p, w in walls.items()))
    for p, w in walls.items():
        if p != args.processes[0]:
            print(f"ratio wall({args.processes[0]}) / wall({p}): {base / statistics.median(w):.2f}")
    print(f"identical outputs across runs: {'yes' if len(digests) == 1 else f'NO ({len(digests)} different)'}")
    print("load average after: " + " ".join(f"{x:.2f}" for x in load_after))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
