# Helpers shared by the rules: the dataset sheet, result paths, shipped files and the
# code-version parameters that make a stage rerun when its implementation changes.

import glob
import json
import os
import re
import shlex
import sys
from pathlib import Path

import pandas as pd


ROOT = Path(workflow.basedir)
PACKAGE = ROOT / "workflow" / "specsweep"
RESULTS = config["results"].rstrip("/")
SPECTRA_SUFFIXES = (".mgf", ".mzml", ".mzxml")

# Rules call `python -m specsweep`; the package is taken from this checkout (also inside the
# --use-conda environments, which hold only the dependencies).
shell.prefix(
    f"set -euo pipefail; export PYTHONPATH={shlex.quote(str(PACKAGE.parent))}${{{{PYTHONPATH:+:$PYTHONPATH}}}}; "
)


# Stage options come from the typed parameter blocks (workflow/specsweep/params), which name the
# config key of each knob; that module imports only the standard library.
sys.path.insert(0, str(PACKAGE.parent))
from specsweep.chem.adducts import resolve_adduct  # noqa: E402
from specsweep.codeversion import code_version as stage_code_version  # noqa: E402
from specsweep.contracts.results import ResultsLayout  # noqa: E402
from specsweep.params.options import Tolerance, config_args, from_options  # noqa: E402
from specsweep.params.recorded import check_against_model  # noqa: E402
from specsweep.params.stages import STAGES  # noqa: E402


def stage_args(stage):
    """Options of `specsweep <stage>` that carry this config's values (every knob with a config key)."""
    return config_args(STAGES[stage], config)


def dataset_stage_args(stage):
    """Like stage_args, with the dataset sheet's own precursor/fragment tolerances (when given)
    in place of the config's; the formula stage takes a ppm precursor tolerance as its --ppm."""

    def options(wildcards):
        tols = DATASETS[wildcards.dataset]["tolerances"]
        text = config_args(STAGES[stage], config, tols)
        prec = tols.get("precursor_tol")
        if stage == "formula" and prec is not None and prec.unit == "ppm":
            text += f" --ppm {prec.value:g}"
        return text

    return options


def _spectra_files(path):
    """Files of one dataset: a file, a folder (searched recursively) or a glob, sorted."""
    if os.path.isdir(path):
        found = [
            str(p)
            for p in Path(path).rglob("*")
            if p.is_file() and p.name.lower().removesuffix(".gz").endswith(SPECTRA_SUFFIXES)
        ]
    else:
        found = glob.glob(path, recursive=True)
    return sorted(found)


def _read_datasets(sheet):
    table = pd.read_csv(sheet, sep="\t", dtype=str, keep_default_na=False, comment="#")
    validate(table, "../workflow/schemas/datasets.schema.yaml")
    datasets = {}
    for row in table.to_dict("records"):
        name = row["name"]
        if name in datasets:
            raise ValueError(f"{sheet}: dataset {name!r} is listed twice")
        files = _spectra_files(row["path"])
        if not files:
            raise ValueError(f"{sheet}: dataset {name!r}: no spectra files match {row['path']!r}")
        adducts = [a.strip() for a in row.get("adducts", "").split(",") if a.strip()]
        unknown = [a for a in adducts if resolve_adduct(a) is None]
        if unknown:
            raise ValueError(f"{sheet}: dataset {name!r}: unknown adduct {unknown[0]!r} (docs/adducts.md)")
        tolerances = {}
        for column in ("precursor_tol", "fragment_tol"):
            if row.get(column, "").strip():
                try:
                    tolerances[column] = Tolerance.parse(row[column])
                except ValueError as exc:
                    raise ValueError(f"{sheet}: dataset {name!r}: {column}: {exc}") from None
        datasets[name] = dict(files=files, ion_mode=row["ion_mode"], adducts=adducts,
                              tolerances=tolerances)
    return datasets


DATASETS = _read_datasets(config["datasets"])


wildcard_constraints:
    dataset="|".join(re.escape(name) for name in DATASETS),


LAYOUT = ResultsLayout(RESULTS)  # where every output lives (specsweep/contracts/results.py)
DS = LAYOUT.dataset("{dataset}")  # one dataset's results, as output patterns


def dataset_files(wildcards):
    return DATASETS[wildcards.dataset]["files"]


def adduct_option(wildcards):
    """`--adducts A B ...` from the sheet, or nothing (the stage's default set for the ion mode)."""
    adducts = DATASETS[wildcards.dataset]["adducts"]
    return "--adducts " + " ".join(shlex.quote(a) for a in adducts) if adducts else ""


def code_version(stage):
    """Hash of the package sources `specsweep <stage>` runs (its command module and everything it
    imports, read from the code: specsweep/codeversion.py), so an edit reruns exactly the stages
    that import the edited module."""
    return stage_code_version(stage)


def optional_files(option, files):
    """`--option f1 f2 ...` (quoted), or nothing when there are no files."""
    files = list(files)
    return f"{option} " + " ".join(shlex.quote(f) for f in files) if files else ""


def log_path(rule_name, name=None):
    return LAYOUT.log(rule_name, name)


def bench_path(rule_name, name=None):
    return LAYOUT.benchmark(rule_name, name)


def all_outputs():
    outputs = [LAYOUT.report]
    for name in DATASETS:
        outputs += dataset_outputs(name)
    if config["fdr"]["global"]:
        outputs.append(LAYOUT.global_identifications)
    return outputs


def dataset_outputs(name):
    outputs = [
        LAYOUT.dataset(name).candidates,
        LAYOUT.dataset(name).identifications,
    ]
    if config["formula"]["enabled"]:
        outputs.append(LAYOUT.dataset(name).formulas)
    if config["translate"]["enabled"]:
        outputs.append(LAYOUT.dataset(name).translations)
    return outputs


wildcard_constraints:
    job=r"\d+",


# what every formula job of a dataset runs with (rules/formula.smk)
FORMULA_STAGE = dict(
    adducts=adduct_option,
    options=dataset_stage_args("formula"),
    extra=config["formula"]["extra"],
    code=code_version("formula"),
)


def formula_stage_record(wildcards):
    """Everything the parts' jobs run with, as one string (a parameter of the merge)."""
    values = [v(wildcards) if callable(v) else v for v in FORMULA_STAGE.values()]
    return " ".join(str(v) for v in values)


def formula_jobs(dataset):
    """The dataset's spectra parts in groups of `formula.parts_per_job` consecutive parts, one per
    formula job; known once the ingest checkpoint has written the parts."""
    from specsweep.contracts.spectra_folder import SpectraFolder
    folder = checkpoints.ingest.get(dataset=dataset).output[0]
    parts = [str(p) for p in SpectraFolder(folder).parts()]
    size = config["formula"]["parts_per_job"]
    return [parts[i:i + size] for i in range(0, len(parts), size)]


def formula_job_name(number):
    return f"{number:05d}"


def formula_job_parts(wildcards):
    """Spectra parts of one formula job."""
    jobs = formula_jobs(wildcards.dataset)
    number = int(wildcards.job)
    if number >= len(jobs):
        raise ValueError(f"dataset {wildcards.dataset!r} has {len(jobs)} formula jobs, not {number + 1}")
    return jobs[number]


def formula_job_outputs(wildcards):
    """Formulas files of every formula job of the dataset, in part order."""
    jobs = formula_jobs(wildcards.dataset)
    return [LAYOUT.dataset(wildcards.dataset).formula_part(formula_job_name(i)) for i in range(len(jobs))]


def model_file(wildcards=None):
    """The logRank model search and translate use: given, trained here, or shipped."""
    if config["model"]["path"]:
        return config["model"]["path"]
    if config["model"]["train_spectra"]:
        return LAYOUT.model
    return str(PACKAGE / "data" / "default_model.json")


def ingest_peak_settings():
    """The peak settings the ingest rule gives every dataset (config keys, then ingest.extra)."""
    options = f"{stage_args('ingest')} {config['ingest']['extra']}"
    return from_options(STAGES["ingest"], options).record()


def check_model_settings():
    """Refuse, before any job runs, a given or shipped model whose recorded fragmentation,
    fragment tolerance or training spectra's peak settings differ from this config's (a model
    trained here uses the config's)."""
    if config["model"]["train_spectra"] and not config["model"]["path"]:
        return
    path = model_file()
    if not os.path.exists(path):
        return  # made by another workflow; the search checks it when it runs
    with open(path) as fh:
        recorded = json.load(fh).get("params", {})
    db = config["database"]
    check_against_model(
        recorded, path,
        database={"max_bridges": db["max_bridges"], "max_two_cuts": db["max_2cuts"]},
        fragment_tol=Tolerance(config["search"]["fragment_tol_da"], "Da"),
        spectra=[ingest_peak_settings()],
        fix="Set model.train_spectra to train a model with these settings, or use the model's",
    )


def rescorer_file(ion_mode="positive"):
    """The rescoring model of an ion mode: given in the config, else the shipped one."""
    from specsweep.rescore.model import default_rescorer_path

    given = config["rescore"]["negative_model" if ion_mode == "negative" else "model"]
    return given or str(default_rescorer_path(ion_mode))


def rescore_reads_formulas():
    """True when a rescoring model in use reads the formula stage's results; such a model cannot
    run without that stage."""
    from specsweep.rescore.model import RescoreModel

    reading = [m for m in ("positive", "negative") if RescoreModel.load(rescorer_file(m)).uses_formulas]
    if reading and not config["formula"]["enabled"]:
        raise ValueError(
            f"config: the {' and '.join(reading)} rescoring model reads the formula stage's results "
            "(trained with them); set formula.enabled: true or give rescore.model / "
            "rescore.negative_model a model without them"
        )
    return bool(reading)


def rescore_inputs(wildcards):
    inputs = dict(
        candidates=LAYOUT.dataset(wildcards.dataset).candidates,
        search_summary=LAYOUT.dataset(wildcards.dataset).candidates_summary,
        spectra=LAYOUT.dataset(wildcards.dataset).spectra,
        model=rescorer_file("positive"),
        negative_model=rescorer_file("negative"),
    )
    if RESCORE_READS_FORMULAS:
        inputs["formulas"] = LAYOUT.dataset(wildcards.dataset).formulas
    return inputs


def translator_checkpoint(wildcards=None):
    """The translator checkpoint: given in the config, else trained by rule train_translator."""
    if config["translate"]["checkpoint"]:
        return config["translate"]["checkpoint"]
    return LAYOUT.translator


def translate_inputs(wildcards):
    inputs = dict(
        spectra=LAYOUT.dataset(wildcards.dataset).spectra,
        ckpt=translator_checkpoint(),
        model=model_file(),
    )
    if config["formula"]["enabled"]:
        inputs["formulas"] = LAYOUT.dataset(wildcards.dataset).formulas
    return inputs


check_model_settings()
RESCORE_READS_FORMULAS = rescore_reads_formulas()
