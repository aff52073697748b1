"""Running the workflow from tests: a fresh working directory per run, the demo config with
absolute paths, and parsing of Snakemake's job statistics."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
DEMO_MGF = REPO / "tests" / "data" / "demo_spectra.mgf"


def workflow_env() -> dict:
    """Environment for snakemake and its jobs: the venv's python first on PATH (jobs call
    `python -m specsweep`), MPI allowed as root, a shared Numba cache, no progress bars."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               SPECSWEEP_PROGRESS="0")
    env.setdefault("NUMBA_CACHE_DIR", str(REPO / ".numba_cache"))
    return env


def write_demo_config(workdir: Path, datasets: list[tuple[str, str, str, str]] | None = None,
                      **overrides) -> Path:
    """config/config.yaml with its paths made absolute, a dataset sheet, and overrides
    (top-level keys replaced, nested dicts merged one level)."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config["database"]["inputs"] = [str(REPO / p) for p in config["database"]["inputs"]]
    train = config["translate"]["train"]
    train["molecules"] = str(REPO / train["molecules"])
    train["exclude_spectra"] = [str(REPO / p) for p in train["exclude_spectra"]]
    if datasets is None:
        rows = [r.split("\t") for r in (REPO / "config" / "datasets.tsv").read_text().splitlines()[1:]]
        datasets = [(n, str(REPO / p), m, a) for n, p, m, a in rows]
    sheet = workdir / "datasets.tsv"
    sheet.write_text("name\tpath\tion_mode\tadducts\n"
                     + "".join("\t".join(row) + "\n" for row in datasets))
    config["datasets"] = sheet.name  # relative to the working directory, so a copied run uses its own
    config["results"] = "results"
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _command(workdir: Path, args, profile: str) -> list[str]:
    return [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"),
            "--directory", str(workdir), "--configfile", str(workdir / "config.yaml"),
            "--profile", str(REPO / "profiles" / profile), *args]


def snakemake_background(workdir: Path, *args: str, profile: str = "local") -> subprocess.Popen:
    """Start snakemake in its own process group (so a test can interrupt the whole run)."""
    return subprocess.Popen(_command(workdir, args, profile), cwd=REPO, env=workflow_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def snakemake(workdir: Path, *args: str, profile: str = "local", timeout: int = 900,
              check: bool = True) -> subprocess.CompletedProcess:
    cmd = _command(workdir, args, profile)
    proc = subprocess.run(cmd, cwd=REPO, env=workflow_env(), capture_output=True, text=True,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}): {' '.join(cmd)}\n"
                             f"--- stdout ---\n{proc.stdout[-6000:]}\n--- stderr ---\n{proc.stderr[-8000:]}")
    return proc


def planned_jobs(workdir: Path, *args: str) -> dict[str, int]:
    """Jobs a dry run would execute, by rule ({} when there is nothing to do)."""
    proc = snakemake(workdir, "--dry-run", "--quiet", "rules", *args)
    text = proc.stdout + proc.stderr
    if "Nothing to be done" in text:
        return {}
    stats = text.split("Job stats:", 1)[1]
    jobs = {}
    for line in stats.splitlines():
        m = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if m and m.group(1) != "total":
            jobs[m.group(1)] = int(m.group(2))
        elif line.startswith("total"):
            break
    return jobs


def profile_resources_without_gpu(profile: str = "slurm") -> list[str]:
    """`--set-resources` arguments repeating the profile's own, with every `gpu` set to 0.

    (An option given on the command line replaces the profile's value as a whole, so the
    profile's per-rule resources are repeated, not dropped.)
    """
    config = yaml.safe_load((REPO / "profiles" / profile / "config.yaml").read_text())
    args = []
    for rule, resources in config.get("set-resources", {}).items():
        for name, value in resources.items():
            args.append(f"{rule}:{name}={0 if name == 'gpu' else value}")
    return ["--set-resources", *args]
