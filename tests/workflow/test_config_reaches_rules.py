"""A config knob reaches the command of every rule whose stage uses it (dry runs)."""

from __future__ import annotations

import re

from specsweep.params.options import config_defaults
from specsweep.params.stages import STAGES
from tests.workflow.runner import DEMO_MGF, snakemake, write_demo_config

TRAIN = {"train_spectra": [str(DEMO_MGF)]}


def _commands(workdir) -> dict[str, list[str]]:
    """Shell commands by rule name from a dry run."""
    out = snakemake(workdir, "--dry-run", "--printshellcmds", "--forceall").stdout
    commands: dict[str, list[str]] = {}
    for block in re.split(r"\n(?:rule|checkpoint) ", out)[1:]:  # ingest is a checkpoint
        name = block.split(":", 1)[0].strip()
        lines = [l.strip() for l in block.splitlines() if "python -m specsweep" in l]
        commands.setdefault(name, []).extend(lines)
    return commands


def _rules_using(key: str) -> set[str]:
    return {stage.replace("-", "_") for stage, cls in STAGES.items() if key in config_defaults(cls)}


def test_fragment_tolerance_and_bridges_reach_every_rule_that_uses_them(tmp_path):
    base, changed = tmp_path / "base", tmp_path / "changed"
    write_demo_config(base, model=TRAIN)
    write_demo_config(changed, model=TRAIN, search={"fragment_tol_da": 0.004}, database={"max_bridges": 3})
    before, after = _commands(base), _commands(changed)
    tol_rules, bridge_rules = _rules_using("search.fragment_tol_da"), _rules_using("database.max_bridges")
    assert tol_rules >= {"search", "train_model", "translate", "report"}
    assert bridge_rules >= {"fragment", "train_model"}
    for rule in tol_rules:
        assert before[rule] and all("--fragment-tol-da 0.01 " in c for c in before[rule]), rule
        assert all("--fragment-tol-da 0.004 " in c for c in after[rule]), (rule, after[rule])
    for rule in bridge_rules:
        assert all("--max-bridges 2 " in c for c in before[rule]), rule
        assert all("--max-bridges 3 " in c for c in after[rule]), (rule, after[rule])
    # rules that do not use either knob run the same command
    for rule in set(before) - tol_rules - bridge_rules:
        assert before[rule] == [c.replace(str(changed), str(base)) for c in after[rule]], rule


def test_a_given_model_with_other_settings_is_refused_before_any_job(tmp_path):
    # the shipped model was trained with 0.01 Da and 2 bridges; nothing trains one here
    write_demo_config(tmp_path, search={"fragment_tol_da": 0.004}, database={"max_bridges": 3})
    proc = snakemake(tmp_path, "--dry-run", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "max_bridges = 3 but the model was trained on graphs cut with 2" in out
    assert "fragment tolerance 0.004 Da but the model was trained with 0.01 Da" in out
    assert "Set model.train_spectra" in out
    # the same settings with a model trained by the workflow: accepted
    write_demo_config(tmp_path, model=TRAIN, search={"fragment_tol_da": 0.004}, database={"max_bridges": 3})
    assert snakemake(tmp_path, "--dry-run").returncode == 0


def test_peak_settings_reach_ingest_and_training_and_a_model_trained_otherwise_is_refused(tmp_path):
    base, changed = tmp_path / "base", tmp_path / "changed"
    write_demo_config(base, model=TRAIN)
    write_demo_config(changed, model=TRAIN, ingest={"top_n": 50})
    before, after = _commands(base), _commands(changed)
    assert _rules_using("ingest.top_n") == {"ingest", "train_model"}
    for rule in ("ingest", "train_model"):
        assert all("--top-n 100 " in c for c in before[rule]), rule
        assert all("--top-n 50 " in c for c in after[rule]), (rule, after[rule])
    # the shipped model's training spectra kept 100 peaks: refused before any job, whether the
    # setting comes from its config key or from ingest.extra
    for ingest in ({"top_n": 50}, {"extra": "--top-n 50"}):
        write_demo_config(tmp_path / "shipped", ingest=ingest)
        proc = snakemake(tmp_path / "shipped", "--dry-run", check=False)
        out = proc.stdout + proc.stderr
        assert proc.returncode != 0, ingest
        assert ("spectra ingested with top_n = 50 but the model was trained on spectra ingested "
                "with top_n = 100") in out, ingest


def test_a_rescoring_model_that_reads_formulas_gets_them_or_is_refused(tmp_path):
    """A rescoring model trained with the formula stage's results: the rescore rule is given the
    dataset's formulas; with the formula stage off the run is refused before any job."""
    import numpy as np

    from specsweep.rescore.training import known_answers, train
    from tests.rescore.test_training import _with_formulas

    table, truth, formulas = _with_formulas()
    data, _ = known_answers(table, truth, {s: 10 for s in truth}, formulas=formulas)
    model = tmp_path / "formula_model.json"
    train(data, np.arange(data.true_key.size) % 5 == 0, {}).save(model)
    write_demo_config(tmp_path / "on", rescore={"model": str(model)})
    rescore = _commands(tmp_path / "on")["rescore"]
    assert rescore and all("--formulas " in c and "formulas.parquet" in c for c in rescore)
    write_demo_config(tmp_path / "plain")
    plain = _commands(tmp_path / "plain")["rescore"]
    assert plain and not any("--formulas" in c for c in plain)   # shipped model: no formulas
    write_demo_config(tmp_path / "off", rescore={"model": str(model)}, formula={"enabled": False})
    proc = snakemake(tmp_path / "off", "--dry-run", check=False)
    assert proc.returncode != 0
    assert "reads the formula stage's results" in proc.stdout + proc.stderr
