"""Settings that travel with a database or a model, and the rule for a stage given other ones.

A database records how its molecules were cut (``manifest.json`` ``params``: the
:class:`~specsweep.params.blocks.FragmentParams` fields and the shard width). A logRank model
records how its training structures were cut (``params.fragmentation``), the fragment tolerance
its peaks were matched with (``params.fragment_tol_da`` / ``fragment_tol_ppm``), the hydrogen
shifts of its fragment ions (``params.h_shifts``) and the ingest settings of its training
spectra (``params.ingest``: one entry per distinct setting).

The rule (docs/where-things-live.md): a model's logRank tables mean something only for graphs
cut and matched the way its training graphs were, and for peaks ranked the way its training
peaks were, so

- a stage that scores with a model **refuses** a database cut differently (max_bridges,
  max_two_cuts, bond_classes, cc_in_two_cut), a fragment tolerance or hydrogen shifts given
  that differ from the model's, and spectra whose peaks were processed otherwise than all of
  its training spectra (top_n, precursor_window_th, max_charge), with a message naming each
  setting, both values and the fix;
- where a stage is given no value, it **uses the recorded one**: the search's hydrogen shifts
  come from the model, the report and translate's re-ranking cut structures as the database or
  the model records.

Only the standard library is used, so the workflow checks the config against a given model
before any job runs (rules/common.smk).
"""

from __future__ import annotations

from specsweep.params.options import Tolerance

# What changes a fragmentation graph (the fragment ions' hydrogen shifts are applied when matching).
FRAGMENTATION_KEYS = ("max_bridges", "max_two_cuts", "bond_classes", "cc_in_two_cut")
# What changes a spectrum's peaks, and so their ranks and logRanks (ingest settings).
PEAK_KEYS = ("top_n", "precursor_window_th", "max_charge")


class SettingsMismatch(ValueError):
    """A stage was given settings that differ from those recorded with its database or model."""


def _norm(value):
    return tuple(value) if isinstance(value, list) else value


def model_tolerance(model_params: dict) -> Tolerance | None:
    """The fragment tolerance a model was trained with (None: not recorded, or not one unit)."""
    da = float(model_params.get("fragment_tol_da") or 0.0)
    ppm = float(model_params.get("fragment_tol_ppm") or 0.0)
    if "fragment_tol_da" not in model_params or (da and ppm):
        return None
    return Tolerance(ppm, "ppm") if ppm else Tolerance(da, "Da")


def differences(given: dict, recorded: dict, keys=FRAGMENTATION_KEYS) -> list[tuple[str, object, object]]:
    """(key, given, recorded) for every key both dicts hold with different values."""
    return [(k, given[k], recorded[k]) for k in keys
            if k in given and k in recorded and _norm(given[k]) != _norm(recorded[k])]


def _option(key: str) -> str:
    return "--" + key.replace("_", "-")


def peak_problems(spectra: list[dict], recorded: list[dict]) -> list[str]:
    """One message for each ingest setting of ``spectra`` (dicts of ingest ``params``) that no
    recorded training setting shares in every :data:`PEAK_KEYS` value (none when either is empty)."""
    problems = []
    for given in spectra:
        if not recorded or any(not differences(given, r, PEAK_KEYS) for r in recorded):
            continue
        closest = min(recorded, key=lambda r: len(differences(given, r, PEAK_KEYS)))
        diff = differences(given, closest, PEAK_KEYS)
        problems.append(
            "spectra ingested with " + ", ".join(f"{k} = {g}" for k, g, _ in diff)
            + " but the model was trained on spectra ingested with "
            + ", ".join(f"{k} = {r}" for k, _, r in diff)
            + " (ingest them with " + " ".join(f"{_option(k)} {r}" for k, _, r in diff)
            + ", or train a model on spectra ingested like these)")
    return problems


def check_against_model(model_params: dict, model_name: str, *, database: dict | None = None,
                        fragment_tol: Tolerance | None = None, h_shifts=None,
                        spectra: list[dict] | None = None, fix: str = "") -> None:
    """Raise :class:`SettingsMismatch` when the given settings differ from the model's record.

    ``database``: a database manifest's ``params`` (or any dict of fragmentation settings);
    ``fragment_tol`` and ``h_shifts``: what the stage was told to match with; ``spectra``: the
    ingest settings of the spectra it scores (:func:`peak_problems`).
    """
    problems = []
    for key, given, recorded in differences(database or {}, model_params.get("fragmentation", {})):
        problems.append(f"{key} = {_norm(given)} but the model was trained on graphs cut with {_norm(recorded)}")
    recorded_tol = model_tolerance(model_params)
    if fragment_tol is not None and recorded_tol is not None and fragment_tol != recorded_tol:
        problems.append(f"fragment tolerance {fragment_tol} but the model was trained with {recorded_tol}")
    if h_shifts is not None and "h_shifts" in model_params and _norm(h_shifts) != _norm(model_params["h_shifts"]):
        problems.append(f"hydrogen shifts {_norm(h_shifts)} but the model was trained with "
                        f"{_norm(model_params['h_shifts'])}")
    problems += peak_problems(spectra or [], model_params.get("ingest") or [])
    if problems:
        raise SettingsMismatch(f"{model_name}: " + "; ".join(problems)
                               + (f". {fix}" if fix else "")
                               + " (a model's scores hold only for graphs cut and matched, and peaks"
                               " ranked, as in its training)")
