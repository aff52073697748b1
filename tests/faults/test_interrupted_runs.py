"""kill -9 of fragment, ingest and search at a random point while they write, then a rerun: the
output equals (sha256 of every file) that of an uninterrupted run, the interrupted run never
leaves a partial output under the final name, and the rerun removes the temporary leftovers."""

from __future__ import annotations

import os
import random
import shutil
import signal
import time
from pathlib import Path

import pytest

from specsweep.search.database import read_manifest
from tests.faults.conftest import FRAGMENT_ARGS, folder_digest, run_cli, start_cli

SEED = int(os.environ.get("SPECSWEEP_FAULT_SEED", "15"))


def kill_while_writing(argv, parent, temp_glob, rng, most_s=0.5, final=None) -> None:
    """Start the CLI, wait until its temporary output appears in ``parent`` (work has begun), wait
    a random time up to ``most_s``, then SIGKILL its process group. A run that finishes first
    is redone (its output removed) with half the wait, so the test always sees a kill; so is a
    run killed after it put ``final`` (a path that did not exist before) in place, between the
    rename and its exit (on a loaded machine)."""
    for _attempt in range(5):
        proc = start_cli(argv)
        deadline = time.monotonic() + 300
        while not list(parent.glob(temp_glob)) and proc.poll() is None:
            if time.monotonic() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
                pytest.fail(f"no {temp_glob} in {parent} after 300 s")
            time.sleep(0.002)
        time.sleep(rng.uniform(0.0, most_s))
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        killed = proc.wait() == -signal.SIGKILL
        if killed and not (final is not None and Path(final).exists()):
            return
        if final is not None and Path(final).exists():
            shutil.rmtree(final)
        most_s /= 2
    pytest.fail(f"specsweep {argv[0]} always finished before the kill")


def _leftovers(parent, name):
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{name}."))


def test_fragment_killed_then_rerun(tmp_path, small_molecules, small_db):
    rng = random.Random(SEED)
    db = tmp_path / "db"
    argv = ["fragment", "--molecules", small_molecules, "--output-dir", db, *FRAGMENT_ARGS]
    kill_while_writing(argv, tmp_path, ".db.*.tmp", rng, final=db)
    assert not db.exists()                 # nothing under the final name
    assert _leftovers(tmp_path, "db")      # the temporary folder it was writing
    run_cli(argv)
    assert folder_digest(db) == folder_digest(small_db)
    assert _leftovers(tmp_path, "db") == []


def test_fragment_killed_over_an_existing_database(tmp_path, small_molecules, small_db):
    """The old database stays whole (and passes its checksums) until the new one replaces it."""
    rng = random.Random(SEED + 1)
    db = tmp_path / "db"
    shutil.copytree(small_db, db)
    argv = ["fragment", "--molecules", small_molecules, "--output-dir", db, *FRAGMENT_ARGS]
    kill_while_writing(argv, tmp_path, ".db.*.tmp", rng)
    read_manifest(db, verify_checksums=True)
    assert folder_digest(db) == folder_digest(small_db)
    run_cli(argv)
    assert folder_digest(db) == folder_digest(small_db)
    assert _leftovers(tmp_path, "db") == []


def test_ingest_killed_then_rerun(tmp_path, demo_mgf):
    rng = random.Random(SEED + 2)
    argv = lambda out: ["ingest", "--input", demo_mgf, "--output-dir", out, "--part-size", "1"]  # noqa: E731
    run_cli(argv(tmp_path / "reference"))
    out = tmp_path / "spectra"
    kill_while_writing(argv(out), tmp_path, ".spectra.*.tmp", rng, most_s=0.3, final=out)
    assert not out.exists()
    run_cli(argv(out))
    assert folder_digest(out) == folder_digest(tmp_path / "reference")
    assert _leftovers(tmp_path, "spectra") == []


def test_search_killed_then_rerun(tmp_path, small_db, demo_mgf):
    """Parts of one spectrum, one part per pass: candidates are appended pass by pass."""
    rng = random.Random(SEED + 3)
    spectra = tmp_path / "spectra"
    run_cli(["ingest", "--input", demo_mgf, "--output-dir", spectra, "--part-size", "1"])
    argv = lambda out: ["search", "--spectra", spectra, "--db", small_db, "--output", out,  # noqa: E731
                        "--spectra-per-pass", "1"]
    ref, out = tmp_path / "ref" / "c.parquet", tmp_path / "run" / "c.parquet"
    run_cli(argv(ref))
    out.parent.mkdir()
    kill_while_writing(argv(out), out.parent, ".c.*.tmp", rng)
    if out.exists():   # killed after the candidates were put in place: the set is complete
        assert folder_digest(out.parent) == folder_digest(ref.parent)
    run_cli(argv(out))
    assert folder_digest(out.parent) == folder_digest(ref.parent)
    assert sorted(p.name for p in out.parent.iterdir()) == ["c.parquet", "c.rejects.parquet", "c.summary.json"]
