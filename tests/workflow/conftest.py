"""One local run of the whole demo workflow, shared by the tests that inspect it."""

from __future__ import annotations

import time

import pytest

from tests.workflow.runner import snakemake, write_demo_config


@pytest.fixture(scope="session")
def demo_local(tmp_path_factory):
    """Working directory of a finished `--profile profiles/local --cores 2` demo run."""
    workdir = tmp_path_factory.mktemp("demo_local")
    write_demo_config(workdir)
    t0 = time.time()
    snakemake(workdir, "--cores", "2", timeout=1200)
    print(f"\nlocal demo run: {time.time() - t0:.0f} s")
    return workdir
