"""The demo workflow through a real single-node SLURM (scripts/ci-slurm-up), with the search as
a 2-task MPI job started by srun and the formula stage as one job per spectra part (3 parts of
20 spectra here, one part locally), gives the same result files as the local run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time

import pyarrow.parquet as pq
import pytest

from tests.workflow.runner import REPO, profile_resources_without_gpu, snakemake, write_demo_config

pytestmark = pytest.mark.slow

PARQUET = ["candidates.parquet", "fdr/identifications.parquet", "formulas.parquet",
           "translations.parquet"]
OTHER = ["datasets/demo/fdr/identifications.tsv", "datasets/demo/fdr/summary.json", "report.html"]
# the search summary also counts its (spectra part x shard) work units, which follow the parts
LAYOUT_COUNTS = {"work_units"}


def _slurm_up() -> str:
    """Start the local cluster if needed; skip where that is impossible (not root, no Debian)."""
    if shutil.which("sinfo") and subprocess.run(["scontrol", "ping"], capture_output=True,
                                                text=True).stdout.count("UP"):
        return "already up"
    if os.geteuid() != 0:
        pytest.skip("SLURM is not running and starting it needs root")
    if not shutil.which("apt-get") and not shutil.which("slurmctld"):
        pytest.skip("no SLURM and no apt-get to install it")
    proc = subprocess.run([str(REPO / "scripts" / "ci-slurm-up")], capture_output=True, text=True,
                          timeout=1200)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc.stdout.strip()


def _cancel_jobs_of(workdir) -> None:
    """Cancel jobs this run left queued or running (after a failure or a timeout)."""
    listing = subprocess.run(["squeue", "-h", "-o", "%i %Z"], capture_output=True, text=True).stdout
    for line in listing.splitlines():
        job_id, _, job_dir = line.partition(" ")
        if job_dir.strip() == str(workdir):
            subprocess.run(["scancel", job_id], check=False)


@pytest.fixture(scope="module")
def demo_slurm(tmp_path_factory):
    """The SLURM run; a cluster this test started (five daemons as root: munged, mariadbd,
    slurmdbd, slurmctld, slurmd) is stopped again at the end unless SPECSWEEP_KEEP_SLURM=1."""
    status = _slurm_up()
    print("\n" + status)
    started = status != "already up"
    workdir = tmp_path_factory.mktemp("demo_slurm")
    write_demo_config(workdir, ingest={"part_size": 20})  # 3 parts: 3 formula jobs, then the merge
    t0 = time.time()
    try:
        try:
            # no GPU on the CI node: the translate job runs on CPU (gpu=0), the rest as profiled
            # status polls every 2 s instead of the profile's 10 (a demo job takes seconds, so the
            # default polling would be most of the run's time)
            snakemake(workdir, *profile_resources_without_gpu(), "--slurm-keep-successful-logs",
                      "--seconds-between-status-checks", "2",
                      "--slurm-init-seconds-before-status-checks", "2",
                      profile="slurm", timeout=1500)
        finally:
            _cancel_jobs_of(workdir)
        print(f"SLURM demo run: {time.time() - t0:.0f} s")
        yield workdir
    finally:
        if started and os.environ.get("SPECSWEEP_KEEP_SLURM") != "1":
            subprocess.run([str(REPO / "scripts" / "ci-slurm-up"), "--stop"], capture_output=True,
                           text=True, timeout=300)


def test_slurm_run_matches_local_run(demo_local, demo_slurm):
    local = demo_local / "results" / "datasets" / "demo"
    slurm = demo_slurm / "results" / "datasets" / "demo"
    for name in PARQUET:
        a, b = pq.read_table(local / name), pq.read_table(slurm / name)
        assert a.num_rows > 0
        assert a.equals(b), f"{name}: contents differ between local and SLURM runs"
        assert (local / name).read_bytes() == (slurm / name).read_bytes(), f"{name}: bytes differ"
    for name in OTHER:
        a = (demo_local / "results" / name).read_bytes()
        assert a == (demo_slurm / "results" / name).read_bytes(), f"{name} differs"
    summaries = [json.loads((run / "candidates.summary.json").read_text()) for run in (local, slurm)]
    assert summaries[0]["work_units"] < summaries[1]["work_units"]  # 1 part locally, 3 under SLURM
    for summary in summaries:
        for key in LAYOUT_COUNTS:
            summary.pop(key)
    assert summaries[0] == summaries[1]


def test_search_ran_as_two_task_mpi_job_under_slurm(demo_slurm):
    log = (demo_slurm / "results" / "logs" / "search" / "demo.log").read_text()
    assert "on 2 rank(s)" in log, log[-2000:]
    job_logs = list((demo_slurm / ".snakemake" / "slurm_logs" / "rule_search").rglob("*.log"))
    assert job_logs, "no SLURM log for the search job"
    job_id = job_logs[0].stem
    # the job's MPI step (<id>.0, started by srun) ran 2 tasks
    steps = subprocess.run(["sacct", "-n", "-P", "-j", job_id, "-o", "JobID,NTasks"],
                           capture_output=True, text=True)
    if steps.returncode == 0 and steps.stdout.strip():
        assert f"{job_id}.0|2" in steps.stdout.split(), steps.stdout
    else:  # no accounting: finished jobs stay visible to scontrol for MinJobAge
        info = subprocess.run(["scontrol", "show", "job", job_id], capture_output=True, text=True).stdout
        assert "NumTasks=2" in info, info


def test_formula_ran_as_one_slurm_job_per_spectra_part(demo_slurm):
    job_logs = list((demo_slurm / ".snakemake" / "slurm_logs" / "rule_formula").rglob("*.log"))
    assert len(job_logs) == 3, job_logs
    stage_logs = sorted((demo_slurm / "results" / "logs" / "formula" / "demo").glob("part-*.log"))
    assert [p.name for p in stage_logs] == ["part-00000.log", "part-00001.log", "part-00002.log"]
    assert all("in 1 parts" in p.read_text() for p in stage_logs)
    assert list((demo_slurm / ".snakemake" / "slurm_logs" / "rule_formula_merge").rglob("*.log"))
