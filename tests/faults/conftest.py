"""Small inputs for the fault tests: a database of 60 demo molecules in several shards, the demo
spectra, and a helper that runs the CLI in a separate process (so it can be killed)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from specsweep.cli import main

REPO = Path(__file__).resolve().parents[2]


def run_cli(argv: list[str]) -> None:
    rc = main([str(a) for a in argv])
    assert rc == 0, f"specsweep {' '.join(map(str, argv))} exited {rc}"


def start_cli(argv: list[str]) -> subprocess.Popen:
    """``python -m specsweep ARGV`` in its own process group (output discarded)."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "workflow")}
    return subprocess.Popen([sys.executable, "-m", "specsweep", *map(str, argv)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def folder_digest(folder: Path) -> dict[str, str]:
    """sha256 of every file of a folder, by name."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(folder).iterdir()) if p.is_file()}


@pytest.fixture(scope="session")
def small_molecules(tmp_path_factory, demo_molecules):
    tmp = tmp_path_factory.mktemp("faults_mols")
    subset = tmp / "subset.tsv"
    subset.write_text("\n".join(demo_molecules.read_text().splitlines()[:61]) + "\n")
    out = tmp / "molecules.parquet"
    run_cli(["prepare-db", "--input", subset, "--output", out])
    return out


FRAGMENT_ARGS = ["--decoy-pool-molecules", "40", "--shard-width-da", "150"]


@pytest.fixture(scope="session")
def small_db(tmp_path_factory, small_molecules):
    """A clean database (read-only for tests: copy it before changing anything)."""
    db = tmp_path_factory.mktemp("faults_db") / "db"
    run_cli(["fragment", "--molecules", small_molecules, "--output-dir", db, *FRAGMENT_ARGS])
    return db


@pytest.fixture(scope="session")
def small_spectra(tmp_path_factory, demo_mgf):
    out = tmp_path_factory.mktemp("faults_spectra") / "spectra"
    run_cli(["ingest", "--input", demo_mgf, "--output-dir", out, "--part-size", "10"])
    return out
