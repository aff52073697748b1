"""The workflow without running stages: lint, config schema, conda pins, dry runs."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib

import pytest
import yaml

from tests.workflow.runner import DEMO_MGF, REPO, planned_jobs, snakemake, write_demo_config

# Train the model in these dry runs, so they need nothing but the repository.
TRAIN = {"train_spectra": [str(DEMO_MGF)]}


def test_lint_is_clean():
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--lint"], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "Lints for" not in out, out


def _walk(props: dict, path: str = ""):
    for key, spec in props.items():
        yield f"{path}{key}", spec
        if spec.get("type") == "object" and "properties" in spec:
            yield from _walk(spec["properties"], f"{path}{key}.")


def test_schema_documents_every_key_with_a_default():
    schema = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())
    keys = list(_walk(schema["properties"]))
    assert len(keys) > 20
    for key, spec in keys:
        assert spec.get("description", "").strip(), f"{key}: no description"
        assert "default" in spec, f"{key}: no default"
    # the demo config uses only keys the schema knows, with the schema's types
    from snakemake.utils import validate
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    validate(config, str(REPO / "workflow" / "schemas" / "config.schema.yaml"))
    bad = dict(config, search={"tasks": "two"})
    with pytest.raises(Exception, match="tasks"):
        validate(bad, str(REPO / "workflow" / "schemas" / "config.schema.yaml"))


def _rebased(config: dict, prefix: str) -> dict:
    """The config with every repository path under tests/ written relative to another folder."""
    text = yaml.safe_dump(config, sort_keys=True)
    return yaml.safe_load(re.sub(r"(?<![\w./])tests/", prefix + "tests/", text))


def test_test_folder_holds_the_demo_settings_and_plans_every_stage():
    """.test/ (workflow catalog layout) is the demo run in its own working directory: same
    settings as config/config.yaml but for paths relative to .test/, and a dry run there plans
    every stage of the demo."""
    demo = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    test = yaml.safe_load((REPO / ".test" / "config" / "config.yaml").read_text())
    assert _rebased(demo, "../") == yaml.safe_load(yaml.safe_dump(test, sort_keys=True))
    sheet = (REPO / ".test" / test["datasets"]).read_text().splitlines()
    assert sheet[0] == (REPO / "config" / "datasets.tsv").read_text().splitlines()[0]
    for row in sheet[1:]:
        assert (REPO / ".test" / row.split("\t")[1]).resolve() == DEMO_MGF
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--directory", ".test", "--dry-run",
                           "--quiet", "rules", "--cores", "2"], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    planned = set(re.findall(r"^(\w+)\s+\d+$", proc.stdout.split("Job stats:", 1)[1], re.M))
    # the formula jobs (one per spectra part) are known once ingest has run: the merge is planned
    assert planned >= {"prepare_db", "fragment", "ingest", "search", "rescore", "fdr", "formula_merge",
                       "train_translator", "translate", "report", "all"}, proc.stdout


def _pins(requirements: list[str]) -> dict[str, str]:
    pins = {}
    for req in requirements:
        m = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*==\s*([^\s;]+)\s*", req)
        assert m, f"not an exact pin: {req!r}"
        pins[m.group(1).lower().replace("_", "-")] = m.group(2)
    return pins


def test_conda_envs_pin_the_versions_of_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    runtime = _pins(project["dependencies"])
    extras = {name: _pins(reqs) for name, reqs in project["optional-dependencies"].items()}
    allowed = {**runtime, **extras["mpi"], **extras["workflow"]}
    covered: dict[str, str] = {}
    envs = sorted((REPO / "envs").glob("*.yaml"))
    assert {p.stem for p in envs} >= {"core", "search", "formula", "translate", "report", "workflow"}
    for env in envs:
        deps = yaml.safe_load(env.read_text())["dependencies"]
        pip = [d for d in deps if isinstance(d, dict)]
        assert pip, f"{env.name}: no pip section"
        for name, version in _pins(pip[0]["pip"]).items():
            assert name in allowed, f"{env.name}: {name} is not a dependency in pyproject.toml"
            assert version == allowed[name], f"{env.name}: {name}=={version}, pyproject has {allowed[name]}"
            covered[name] = version
    missing = set(runtime) | set(extras["mpi"]) | set(extras["workflow"])
    assert missing - set(covered) == set(), "dependencies no env provides"


def test_rules_reference_existing_envs():
    for smk in (REPO / "rules").glob("*.smk"):
        for env in re.findall(r'"\.\./(envs/[\w.-]+\.yaml)"', smk.read_text()):
            assert (REPO / env).exists(), f"{smk.name}: {env} missing"


def test_dry_run_three_datasets(tmp_path):
    data = tmp_path / "data"
    (data / "run2").mkdir(parents=True)
    shutil.copy(DEMO_MGF, data / "one.mgf")
    shutil.copy(DEMO_MGF, data / "run2" / "a.mgf")
    shutil.copy(DEMO_MGF, data / "run2" / "b.mgf.gz")  # folder datasets take every spectra file
    write_demo_config(tmp_path, [
        ("single", str(data / "one.mgf"), "positive", "[M+H]+"),
        ("folder", str(data / "run2"), "positive", ""),
        ("globbed", str(data / "**" / "*.mgf"), "positive", "[M+H]+,[M+Na]+"),
    ], model=TRAIN)
    jobs = planned_jobs(tmp_path)
    assert jobs == {"prepare_db": 1, "fragment": 1, "train_model": 1, "train_translator": 1,
                    "ingest": 3, "search": 3, "rescore": 3, "fdr": 3, "formula_merge": 3, "translate": 3,
                    "report": 1, "all": 1}
    printed = snakemake(tmp_path, "--dry-run", "--printshellcmds").stdout
    search_cmds = [l for l in printed.splitlines() if "specsweep search" in l]
    assert len(search_cmds) == 3
    assert all("mpiexec -n 2 python -m specsweep search --spectra" in c for c in search_cmds)
    assert any("--adducts '[M+H]+' '[M+Na]+'" in c for c in search_cmds)
    ingest_cmds = [l for l in printed.splitlines() if "specsweep ingest" in l]
    folder_cmd = next(c for c in ingest_cmds if "/folder/spectra" in c)
    assert "a.mgf" in folder_cmd and "b.mgf.gz" in folder_cmd
    globbed_cmd = next(c for c in ingest_cmds if "/globbed/spectra" in c)
    assert "one.mgf" in globbed_cmd and "a.mgf" in globbed_cmd and "b.mgf.gz" not in globbed_cmd


def test_dry_run_repository_wide_fdr(tmp_path):
    """fdr.global adds one FDR job over every dataset, besides the per-dataset ones; off (the
    default) it is not planned."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(DEMO_MGF, data / "one.mgf")
    shutil.copy(DEMO_MGF, data / "two.mgf")
    sheet = [("runA", str(data / "one.mgf"), "positive", "[M+H]+"),
             ("runB", str(data / "two.mgf"), "positive", "[M+H]+")]
    write_demo_config(tmp_path, sheet, model=TRAIN)
    assert "global_fdr" not in planned_jobs(tmp_path)
    write_demo_config(tmp_path, sheet, model=TRAIN, fdr={"global": True, "accept_level": 0.05})
    jobs = planned_jobs(tmp_path)
    assert jobs["global_fdr"] == 1 and jobs["fdr"] == 2 and jobs["rescore"] == 2
    printed = snakemake(tmp_path, "--dry-run", "--printshellcmds").stdout
    cmd = next(l for l in printed.splitlines() if "--dataset-names" in l)
    assert "runA/rescored.parquet" in cmd and "runB/rescored.parquet" in cmd
    assert "--dataset-names runA runB" in cmd and "--accept-level 0.05" in cmd
    assert "results/global_fdr" in cmd


def test_dataset_sheet_tolerances_reach_the_dataset_stages(tmp_path):
    sheet = ("name\tpath\tion_mode\tadducts\tprecursor_tol\tfragment_tol\n"
             f"iontrap\t{DEMO_MGF}\tpositive\t[M+H]+\t0.5 Da\t0.5 Da\n"
             f"orbi\t{DEMO_MGF}\tnegative\t[M-H]-,M+HCOO\t5 ppm\t10ppm\n"
             f"plain\t{DEMO_MGF}\tpositive\t\t\t\n")
    write_demo_config(tmp_path, model=TRAIN)
    (tmp_path / "datasets.tsv").write_text(sheet)
    _ingested(tmp_path, "orbi", 1)  # so that its formula job is planned
    printed = snakemake(tmp_path, "--dry-run", "--printshellcmds").stdout
    lines = printed.splitlines()

    def command(stage, name):
        return next(l for l in lines if f"specsweep {stage}" in l and f"/datasets/{name}/" in l)

    assert "--precursor-tol-da 0.5" in command("search", "iontrap")
    assert "--fragment-tol-da 0.5" in command("search", "iontrap")
    orbi = command("search", "orbi")
    assert "--precursor-tol-ppm 5" in orbi and "--fragment-tol-ppm 10" in orbi
    assert "-tol-da" not in orbi
    assert "--adducts '[M-H]-' M+HCOO" in orbi
    assert "--ppm 5" in command("formula --spectra", "orbi")
    assert "--fragment-tol-ppm 10" in command("translate", "orbi")
    plain = command("search", "plain")  # no sheet values: the config's
    assert "--precursor-tol-da 0.02" in plain and "--fragment-tol-da 0.01" in plain


def test_slurm_profile_places_search_as_mpi_job_and_translate_on_gpu(tmp_path):
    write_demo_config(tmp_path, model=TRAIN)
    out = snakemake(tmp_path, "--dry-run", "--printshellcmds", profile="slurm").stdout
    blocks = out.split("\nrule ")
    search = next(b for b in blocks if b.startswith("search:"))
    assert "tasks=2" in search and "mpi=srun" in search and "cpus_per_task=1" in search
    assert "srun -n 2 python -m specsweep search" in search
    translate = next(b for b in blocks if b.startswith("translate:"))
    assert "gpu=1" in translate


@pytest.mark.parametrize("sheet, message", [
    ("name\tpath\tion_mode\tadducts\nx\t{mgf}\tpositive\t\nx\t{mgf}\tpositive\t\n", "listed twice"),
    ("name\tpath\tion_mode\tadducts\nx\t/nonexistent/*.mgf\tpositive\t\n", "no spectra files match"),
    ("name\tpath\tion_mode\tadducts\nx\t{mgf}\tsideways\t\n", "sideways"),
    ("name\tpath\tion_mode\tadducts\nx y\t{mgf}\tpositive\t\n", "x y"),
    ("name\tpath\tion_mode\tadducts\nx\t{mgf}\tpositive\t[MCl37+H]\n", "unknown adduct"),
    ("name\tpath\tion_mode\tadducts\tprecursor_tol\nx\t{mgf}\tpositive\t\t0.5\n", "precursor_tol"),
])
def test_bad_dataset_sheet_is_refused(tmp_path, sheet, message):
    write_demo_config(tmp_path, model=TRAIN)
    (tmp_path / "datasets.tsv").write_text(sheet.format(mgf=DEMO_MGF))
    proc = snakemake(tmp_path, "--dry-run", check=False)
    assert proc.returncode != 0
    assert message in proc.stdout + proc.stderr


def _ingested(workdir, dataset: str, n_parts: int) -> None:
    """A dataset's spectra folder as ingest leaves it (part files by name: a dry run reads none),
    so that the ingest checkpoint counts as done and the formula jobs are planned."""
    spectra = workdir / "results" / "datasets" / dataset / "spectra"
    spectra.mkdir(parents=True)
    for i in range(n_parts):
        (spectra / f"part-{i:05d}.parquet").touch()


def _formula_commands(printed: str) -> tuple[list[str], list[str]]:
    lines = [l.strip() for l in printed.splitlines()]
    return ([l for l in lines if "specsweep formula --spectra" in l],
            [l for l in lines if "specsweep formula-merge" in l])


def test_formula_is_scattered_over_spectra_parts_and_merged(tmp_path):
    """Once ingest has written a dataset's parts (here 3), the formula stage plans one job (one
    SLURM job) per group of formula.parts_per_job consecutive parts, each given its own part
    files, and one merge that joins their files in part order into formulas.parquet."""
    write_demo_config(tmp_path, model=TRAIN, formula={"parts_per_job": 2})
    _ingested(tmp_path, "demo", 3)
    printed = snakemake(tmp_path, "--dry-run", "--printshellcmds", profile="slurm").stdout
    stats = dict(re.findall(r"^(\w+)\s+(\d+)$", printed.split("Job stats:", 1)[1], re.M))
    assert stats["formula"] == "2" and stats["formula_merge"] == "1" and "ingest" not in stats
    blocks = printed.split("\nrule ")
    assert sum(b.startswith("formula:") for b in blocks) == 2
    parts, merges = _formula_commands(printed)
    assert len(parts) == 2 and len(merges) == 1
    first = next(c for c in parts if "formula_parts/part-00000.parquet" in c)
    second = next(c for c in parts if "formula_parts/part-00001.parquet" in c)
    assert "spectra/part-00000.parquet" in first and "spectra/part-00001.parquet" in first
    assert "spectra/part-00002.parquet" in second and "part-00000" not in second.split("--output")[0]
    assert "--ppm 3 " in first and "--ilp-top 3 " in first  # the config's formula knobs
    merge = merges[0]
    assert merge.index("formula_parts/part-00000.parquet") < merge.index("formula_parts/part-00001.parquet")
    assert "--output results/datasets/demo/formulas.parquet" in merge
    # one part per job (the default), with the local profile: a job per part
    write_demo_config(tmp_path, model=TRAIN)
    jobs = planned_jobs(tmp_path)
    assert jobs["formula"] == 3 and jobs["formula_merge"] == 1
