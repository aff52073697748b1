"""A config knob reaches the command of every rule whose stage uses it (dry runs)."""

from __future__ import annotations

from specsweep.params.options import config_defaults
from specsweep.params.stages import STAGES
from tests.workflow.runner import DEMO_MGF, snakemake, write_demo_config

TRAIN = {"train_spectra": [str(DEMO_MGF)]}


def _commands(workdir) -> dict[str, list[str]]:
    """Shell commands by rule name from a dry run."""
    out = snakemake(workdir, "--dry-run", "--printshellcmds", "--forceall").stdout
    commands: dict[str, list[str]] = {}
    for block in out.split("\nrule ")[1:]:
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
