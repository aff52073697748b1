"""A small database (tests/data/demo_molecules.tsv) and the demo spectra, built once per session
with the pipeline's own stages (prepare-db, fragment, ingest)."""

from __future__ import annotations

import pytest


def run_cli(argv: list[str]) -> None:
    from specsweep.cli import main
    rc = main(argv)
    assert rc == 0, f"specsweep {' '.join(argv)} exited {rc}"


@pytest.fixture(scope="session")
def cli():
    return run_cli


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory, demo_molecules):
    root = tmp_path_factory.mktemp("demo_db")
    molecules = root / "molecules.parquet"
    run_cli(["prepare-db", "--input", str(demo_molecules), "--output", str(molecules)])
    db = root / "db"
    run_cli(["fragment", "--molecules", str(molecules), "--output-dir", str(db)])
    return db


@pytest.fixture(scope="session")
def demo_spectra(tmp_path_factory, demo_mgf):
    out = tmp_path_factory.mktemp("demo_spectra") / "spectra"
    run_cli(["ingest", "--input", str(demo_mgf), "--output-dir", str(out)])
    return out


@pytest.fixture(scope="session")
def demo_spectra_parts(tmp_path_factory, demo_mgf):
    """The demo spectra in 5 parts of 10, so that small --spectra-per-pass values make passes."""
    out = tmp_path_factory.mktemp("demo_spectra_parts") / "spectra"
    run_cli(["ingest", "--input", str(demo_mgf), "--output-dir", str(out), "--part-size", "10"])
    return out
