"""Typed stage parameters: CLI defaults agree with the config schema, ranges are enforced, and
the options a rule passes follow the config."""

from __future__ import annotations

import argparse

import pytest
import yaml

from specsweep.cli import build_parser
from specsweep.params.blocks import FragmentParams, PeakSettings
from specsweep.params.options import Tolerance, config_args, config_defaults, knobs
from specsweep.params.stages import STAGES, FormulaStageParams, IngestParams, SearchStageParams
from tests.workflow.runner import REPO

SCHEMA = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())


def _schema_default(key: str):
    spec = SCHEMA
    for part in key.split("."):
        spec = spec["properties"][part]
    return spec["default"]


def _schema_leaves(props: dict, path: str = ""):
    for key, spec in props.items():
        if spec.get("type") == "object" and "properties" in spec:
            yield from _schema_leaves(spec["properties"], f"{path}{key}.")
        else:
            yield f"{path}{key}", spec


def _subparser(stage: str) -> argparse.ArgumentParser:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[stage]


def _cli_default(stage: str, option: str):
    action = next(a for a in _subparser(stage)._actions if option in a.option_strings)
    return action.default


def test_every_cli_default_equals_the_schema_default_for_its_key():
    checked = 0
    for stage, cls in STAGES.items():
        for _, f in knobs(cls):
            p = f.metadata["param"]
            if not p.config:
                continue
            option = (p.cli or "--" + f.name.replace("_", "-"))
            if isinstance(f.default, Tolerance):
                option += "-da"
            cli = _cli_default(stage, option)
            cli = list(cli) if isinstance(cli, tuple) else cli
            assert cli == _schema_default(p.config), f"{stage} {option}: CLI {cli!r}, schema {p.config}"
            checked += 1
    assert checked >= 14


def test_every_numeric_schema_key_drives_a_stage_option():
    """A number in the config is a named knob of some stage (not text in `extra`), except the
    job resources Snakemake itself uses (threads, MPI tasks, spectra parts per formula job)."""
    resources = {"database.threads", "search.tasks", "translate.threads", "formula.threads",
                 "formula.parts_per_job"}
    keys = set().union(*(config_defaults(cls) for cls in STAGES.values()))
    numeric = {k for k, spec in _schema_leaves(SCHEMA["properties"])
               if spec.get("type") in ("number", "integer") or spec.get("type") == ["number", "null"]}
    assert numeric - resources <= keys, numeric - resources - keys
    assert keys <= {k for k, _ in _schema_leaves(SCHEMA["properties"])}


def test_one_meaning_of_a_tolerance_in_every_stage():
    # the same option in search, train-model, report and translate: same default, same rule
    for stage in ("search", "train-model", "report", "translate"):
        assert _cli_default(stage, "--fragment-tol-da") == 0.01
        args = build_parser().parse_args([stage] + _required(stage) + ["--fragment-tol-ppm", "20"])
        assert args.fragment_tol_ppm == 20.0
    tol = Tolerance(20, "ppm")
    assert tol.at(500.0) == pytest.approx(0.01) and tol.da_ppm() == (0.0, 20.0)
    assert Tolerance(0.01).at(500.0) == 0.01 and Tolerance(0.01).da_ppm() == (0.01, 0.0)


def _required(stage: str) -> list[str]:
    return {"search": ["--spectra", "s", "--db", "d", "--output", "o"],
            "train-model": ["--spectra", "s", "--output", "o"],
            "report": ["--results-dir", "r", "--output", "o"],
            "translate": ["--spectra", "s", "--checkpoint", "c", "--output", "o"]}[stage]


@pytest.mark.parametrize("argv, message", [
    (["--top-k", "0"], "argument --top-k: value must be >= 1, got 0"),
    (["--precursor-tol-da", "-0.02"], "argument --precursor-tol-da: value must be >= 0"),
    (["--fragment-tol-ppm", "nan"], "argument --fragment-tol-ppm: value must be >= 0"),
    (["--fragment-tol-da", "0.02", "--fragment-tol-ppm", "10"], "not allowed with argument"),
    (["--h-shifts", "-1", "9"], "value must be -3..3"),
    (["--spectra-per-pass", "0"], "value must be >= 1"),
])
def test_bad_numbers_are_refused_with_the_option_and_the_range(argv, message, capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["search"] + _required("search") + argv)
    assert message in capsys.readouterr().err


def test_values_made_in_code_are_checked_too():
    with pytest.raises(ValueError, match="tolerance must be a finite number >= 0"):
        Tolerance(-0.1)
    with pytest.raises(ValueError, match="unit"):
        Tolerance(0.1, "Th")
    with pytest.raises(ValueError, match="top_n must be >= 1"):
        PeakSettings(top_n=0)
    with pytest.raises(ValueError, match="default_ion_mode must be one of positive, negative"):
        IngestParams(default_ion_mode="sideways")
    with pytest.raises(ValueError, match="max_bridges must be 0..8"):
        FragmentParams(max_bridges=-1)
    assert FragmentParams(bond_classes=["NC,OC", "CC"]).bond_classes == ("NC", "OC", "CC")


def test_flags_do_not_claim_a_default_and_contradict_each_other():
    text = _subparser("search").format_help()
    assert "--use-file-adduct" not in text
    flag_help = text.split("--ignore-file-adduct")[1].split("--max-charge")[0]
    assert "(default: True)" not in flag_help


def test_config_args_follow_the_config():
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    base = config_args(SearchStageParams, config)
    assert f"--top-k {config['search']['top_k']} " in base + " " and "--precursor-tol-da 0.02" in base and "--fragment-tol-da 0.01" in base
    config["search"]["fragment_tol_da"] = 0.005
    assert "--fragment-tol-da 0.005" in config_args(SearchStageParams, config)
    formula = config_args(FormulaStageParams, config)
    assert formula == "--elements CHNOPSFClBrI --ppm 3 --ilp-top 3"
    config["formula"]["ppm"] = None
    assert "--ppm" not in config_args(FormulaStageParams, config)
