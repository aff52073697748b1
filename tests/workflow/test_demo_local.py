"""The whole demo workflow on one machine, then what a rerun does after nothing, a parameter,
a new dataset or a lost output changed."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import time

import pyarrow.parquet as pq
import pytest
import yaml

from specsweep import schema
from specsweep.files import read_table
from tests.workflow.runner import DEMO_MGF, planned_jobs, snakemake, snakemake_background

pytestmark = pytest.mark.slow

RESULT_TABLES = {
    "candidates.parquet": schema.CANDIDATES,
    "fdr/identifications.parquet": schema.IDENTIFICATIONS,
    "formulas.parquet": schema.FORMULAS,
    "translations.parquet": schema.TRANSLATIONS,
}


def _copy_run(src, dst):
    """A copy of a finished run (results and Snakemake's records) to change without harm."""
    shutil.copytree(src, dst, symlinks=True)
    return dst


def test_demo_produces_every_result(demo_local):
    ds = demo_local / "results" / "datasets" / "demo"
    n_spectra = sum(pq.ParquetFile(p).metadata.num_rows for p in (ds / "spectra").glob("part-*.parquet"))
    n_rejected = pq.ParquetFile(ds / "spectra" / "rejects.parquet").metadata.num_rows
    assert n_spectra + n_rejected == 50
    for name, table_schema in RESULT_TABLES.items():
        table = read_table(ds / name, table_schema)
        assert table.num_rows > 0, name
    cands = read_table(ds / "candidates.parquet", schema.CANDIDATES)
    assert set(cands["is_decoy"].to_pylist()) == {True, False}
    # the search ran as one job over 2 MPI ranks
    log = (demo_local / "results" / "logs" / "search" / "demo.log").read_text()
    assert "on 2 rank(s)" in log, log[-2000:]
    summary = json.loads((ds / "fdr" / "summary.json").read_text())
    assert summary
    page = (demo_local / "results" / "report.html").read_text()
    assert page.count('src="data:image/png;base64,') >= 4
    assert 'alt="formula tree' in page and 'alt="spectrum' in page
    assert not re.search(r'src="(?!data:)', page)


def test_rerun_does_nothing(demo_local):
    assert planned_jobs(demo_local) == {}
    # and a real run agrees
    proc = snakemake(demo_local, "--cores", "2")
    assert "Nothing to be done" in proc.stdout + proc.stderr


def _set_config(workdir, section, key, value):
    path = workdir / "config.yaml"
    config = yaml.safe_load(path.read_text())
    config[section][key] = value
    path.write_text(yaml.safe_dump(config, sort_keys=False))


def test_changed_parameter_reruns_only_affected_jobs(demo_local, tmp_path):
    run = _copy_run(demo_local, tmp_path / "run")
    _set_config(run, "search", "top_k", 5)
    assert planned_jobs(run) == {"search": 1, "rescore": 1, "fdr": 1, "report": 1, "all": 1}
    _set_config(run, "search", "top_k", 10)
    _set_config(run, "database", "decoy_seed", 1)
    # decoys are part of the database: every dataset's search and FDR follow, ingest does not
    assert planned_jobs(run) == {"fragment": 1, "search": 1, "rescore": 1, "fdr": 1, "report": 1, "all": 1}


def test_added_dataset_runs_only_its_own_jobs(demo_local, tmp_path):
    run = _copy_run(demo_local, tmp_path / "run")
    extra = tmp_path / "second.mgf"
    shutil.copy(DEMO_MGF, extra)
    with open(run / "datasets.tsv", "a") as sheet:
        sheet.write(f"second\t{extra}\tpositive\t[M+H]+\n")
    # its formula jobs (one per spectra part) join the plan once its ingest has run
    assert planned_jobs(run) == {"ingest": 1, "search": 1, "rescore": 1, "fdr": 1, "formula_merge": 1,
                                 "translate": 1, "report": 1, "all": 1}


def test_interrupted_run_redoes_only_unfinished_jobs(demo_local, tmp_path):
    run = _copy_run(demo_local, tmp_path / "run")
    ds = run / "results" / "datasets" / "demo"
    # a job that died: its output is gone, so it and what depends on it run again
    (ds / "formulas.parquet").unlink()
    # the per-part formula files were temporary: the part's job runs again, then the merge
    assert planned_jobs(run) == {"formula": 1, "formula_merge": 1, "translate": 1, "report": 1, "all": 1}
    assert not list((ds / "formula_parts").glob("*.parquet"))
    # interrupt the rerun once translate has started, i.e. formula is finished and recorded:
    # the next run redoes what was unfinished and not the finished formula job
    translate_log = run / "results" / "logs" / "translate" / "demo.log"
    translate_log.unlink()
    proc = snakemake_background(run, "--cores", "1")
    try:
        deadline = time.time() + 600
        while not translate_log.exists():
            assert proc.poll() is None, "run ended before translate started"
            assert time.time() < deadline
            time.sleep(0.2)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=120)
    assert (ds / "formulas.parquet").exists()
    remaining = planned_jobs(run)
    assert "formula" not in remaining and "formula_merge" not in remaining
    assert remaining.get("report") == 1
    snakemake(run, "--cores", "2")
    assert planned_jobs(run) == {}
