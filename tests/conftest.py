"""Shared test fixtures: paths to bundled data and to ../shared (present in CI beside the clone)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TEST_DATA = REPO / "tests" / "data"
SHARED = Path(os.environ.get("SPECSWEEP_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def test_data() -> Path:
    return TEST_DATA


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = SHARED / "data"
    if not path.is_dir():
        pytest.skip(f"shared data not found at {path}")
    return path


@pytest.fixture(scope="session")
def demo_mgf() -> Path:
    return TEST_DATA / "demo_spectra.mgf"


@pytest.fixture(scope="session")
def demo_molecules() -> Path:
    return TEST_DATA / "demo_molecules.tsv"
