"""Choose the negative-mode model's settings on a validation split that holds no dev_500 compound.

The compounds (InChIKey first block) of massbank_hr_neg_MmH_dev_full that are in neither
dev_500 file (negative or positive) are split in two halves by a hash of the block; a model is trained on
every spectrum of the first half for each setting, and one spectrum per compound of the second
half (the one with most peaks, as dev_500 was drawn) is searched against the database with it
(file adduct [M-H]-, targets only). Prints top-1/3/5/10 per setting; nothing is asserted.

  nice -n 10 .venv/bin/python benchmarks/negative_model_tune.py [--db /work/cache/s3/np_extra_db]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from adduct_bench import true_ranks  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SPECSWEEP_SHARED", REPO.parent / "shared")) / "data" / "spectra"
WORK = Path(os.environ.get("NEG_TUNE_WORK", "/tmp/neg-tune"))
SETTINGS = {  # name -> train-model / search options
    "h -1..1, pc 1": ["--h-shifts", "-1", "0", "1"],
    "h -2..1, pc 1": ["--h-shifts", "-2", "-1", "0", "1"],
    "h -2..2, pc 1": ["--h-shifts", "-2", "-1", "0", "1", "2"],
    "h -1..1, pc 0.1": ["--h-shifts", "-1", "0", "1", "--pseudo-count", "0.1"],
    "h -1..1, pc 10": ["--h-shifts", "-1", "0", "1", "--pseudo-count", "10"],
    "h -1..1, pc 1, null unrelated": ["--h-shifts", "-1", "0", "1", "--null", "unrelated"],
}


def blocks(path: Path):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as fh:
        block: list[str] = []
        for line in fh:
            block.append(line)
            if line.strip() == "END IONS":
                yield "".join(block)
                block = []


def key_of(block: str) -> str:
    for line in block.splitlines():
        if line.startswith("INCHIKEY="):
            return line.split("=", 1)[1][:14]
    return ""


def n_peaks(block: str) -> int:
    return sum(1 for line in block.splitlines() if line[:1].isdigit())


def split_by_compound(full: Path, held: list[Path], train: Path, val: Path,
                      max_val: int | None = None) -> tuple[Path, Path]:
    """Write the spectra of ``full`` whose compound (first InChIKey block) is in none of ``held``
    into a training file (half of the compounds, by key hash: all their spectra) and a validation
    file (the other half: the richest spectrum of each, at most ``max_val`` compounds chosen by
    another key hash). Kept when both files exist."""
    if train.exists() and val.exists():
        return train, val
    held_keys = {key_of(b) for path in held for b in blocks(path)}
    best: dict[str, str] = {}
    with open(train, "w") as out:
        for b in blocks(full):
            k = key_of(b)
            if not k or k in held_keys:
                continue
            if int(hashlib.sha256(k.encode()).hexdigest(), 16) % 2 == 0:
                out.write(b)
            elif k not in best or n_peaks(b) > n_peaks(best[k]):
                best[k] = b
    keys = sorted(best)
    if max_val is not None:
        keys = sorted(sorted(best, key=lambda k: hashlib.sha256(f"val:{k}".encode()).hexdigest())[:max_val])
    val.write_text("".join(best[k] for k in keys))
    return train, val


def make_split() -> tuple[Path, Path]:
    return split_by_compound(SHARED / "massbank_hr_neg_MmH_dev_full.mgf.gz",
                             [SHARED / "massbank_hr_neg_MmH_dev_500.mgf",
                              SHARED / "massbank_hr_pos_MH_dev_500.mgf"],
                             WORK / "train.mgf", WORK / "val.mgf")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", default="/work/cache/s3/np_extra_db")
    p.add_argument("--only", nargs="*", default=None, help="setting names to run")
    args = p.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    train, val = make_split()
    from specsweep.spectra.ingest import ingest
    val_dir = WORK / "val_spectra"
    if not (val_dir / "manifest.json").exists():
        ingest([val], val_dir)
    env = dict(os.environ, NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1")
    print("| setting | val spectra | top-1 | top-3 | top-5 | top-10 |\n|---|---:|---:|---:|---:|---:|")
    for i, (name, opts) in enumerate(SETTINGS.items()):
        if args.only and name not in args.only:
            continue
        model = WORK / f"model_{i}.json"
        if not model.exists():
            subprocess.run([sys.executable, "-m", "specsweep", "train-model", "--spectra", str(train),
                            "--output", str(model), *opts], check=True, env=env, cwd=REPO,
                           capture_output=True)
        out = WORK / f"val_{i}.parquet"
        start = opts.index("--h-shifts")
        stop = next((i for i in range(start + 1, len(opts)) if opts[i].startswith("--")), len(opts))
        h = opts[start:stop]
        subprocess.run([sys.executable, "-m", "specsweep", "search", "--spectra", str(val_dir), "--db",
                        args.db, "--model", str(model), "--negative-model", str(model), "--output", str(out),
                        "--targets-only", "--top-k", "100000", "--mpi", "off", *h],
                       check=True, env=env, cwd=REPO, capture_output=True)
        ranks = np.asarray(true_ranks(out, val_dir)[0], float)
        cells = " | ".join(f"{100 * np.mean(ranks <= k):.1f}%" for k in (1, 3, 5, 10))
        print(f"| {name} | {len(ranks)} | {cells} |", flush=True)


if __name__ == "__main__":
    main()
