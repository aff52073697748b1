"""The rescorer refuses candidates scored otherwise than its training candidates (and says why)."""

import json
import logging

import pytest

from specsweep.files import sha256_file
from specsweep.model.tables import default_model_path
from specsweep.params.recorded import SettingsMismatch
from specsweep.rescore.model import RescoreModel, default_rescorer_path
from specsweep.rescore.provenance import (check_search, common_record, search_record,
                                          search_summary_path)
from specsweep.rescore.stage import run_rescore
from specsweep.rescore.training import training_search


def _summary(sha="a" * 64, **params):
    base = {"fragment_tol_da": 0.01, "fragment_tol_ppm": None, "h_shifts": [-1, 0, 1],
            "min_matched_peaks": 1, "precursor_tol_da": 0.02, "precursor_tol_ppm": None,
            "adducts": "from file, else default for ion mode", "adduct_priors": True,
            "targets_only": False, "top_k": 100000}
    return {"models": {"positive": {"path": "m.json", "sha256": sha, "training_files": ["t.mgf"]},
                       "negative": {"path": "n.json", "sha256": "n" * 64, "training_files": []}},
            "params": {**base, **params}}


def _info(**kw):
    return {"search": {**search_record(_summary(**kw), ["positive"]), "ion_modes": ["positive"]}}


def test_same_search_passes():
    assert check_search(_summary(top_k=50), _info(), "m", 50)["status"] == "same"
    # the negative model is not the rescorer's business when it learnt positive spectra only
    other_neg = _summary()
    other_neg["models"]["negative"]["sha256"] = "x" * 64
    assert check_search(other_neg, _info(), "m", 50)["status"] == "same"


@pytest.mark.parametrize("summary, words", [
    (_summary(sha="b" * 64), "positive-mode score model sha256 bbbbbbbbbbbbbbbb"),
    (_summary(fragment_tol_da=0.02), "fragment_tol_da = 0.02 but 0.01 in training"),
    (_summary(h_shifts=[0]), "h_shifts"),
    (_summary(min_matched_peaks=0), "min_matched_peaks = 0 but 1"),
])
def test_other_score_refused_unless_allowed(summary, words, caplog):
    with pytest.raises(SettingsMismatch, match=words) as err:
        check_search(summary, _info(), "rescorer.json", 50)
    assert "train-rescorer" in str(err.value) and "--allow-other-search" in str(err.value)
    with caplog.at_level(logging.WARNING, logger="specsweep.rescore"):
        out = check_search(summary, _info(), "rescorer.json", 50, allow=True)
    assert out["status"] == "differs" and any(words.split()[0] in m for m in out["messages"])
    assert words.split()[0] in caplog.text


def test_other_lists_warn(caplog):
    with caplog.at_level(logging.WARNING, logger="specsweep.rescore"):
        out = check_search(_summary(precursor_tol_da=0.05, top_k=10), _info(), "m", 50)
    assert out["status"] == "differs"
    assert any("precursor_tol_da = 0.05 but 0.02" in m for m in out["messages"])
    assert any("top_k = 10" in m for m in out["messages"])
    assert "precursor_tol_da" in caplog.text


def test_unrecorded_is_unchecked_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="specsweep.rescore"):
        assert check_search(None, _info(), "m", 50)["status"] == "unchecked"
        assert check_search(_summary(), {}, "m", 50)["status"] == "unchecked"
        old = _summary()
        del old["models"]["positive"]["sha256"]      # a summary from before the digest
        out = check_search(old, _info(), "m", 50)
    assert out["status"] == "unchecked" and "positive-mode score model" in out["messages"][0]
    assert "cannot check" in caplog.text


def test_training_records_one_search_and_refuses_mixed(tmp_path):
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    search_summary_path(a).write_text(json.dumps(_summary()))
    search_summary_path(b).write_text(json.dumps(_summary(sha="c" * 64)))
    rec = training_search([a], ["positive"])
    assert rec["score_models"] == {"positive": {"sha256": "a" * 64, "training_files": ["t.mgf"]}}
    assert rec["params"]["min_matched_peaks"] == 1 and rec["ion_modes"] == ["positive"]
    with pytest.raises(SettingsMismatch, match="searched differently"):
        training_search([a, b], ["positive"])
    assert training_search([tmp_path / "none.parquet"], ["positive"]) is None
    with pytest.raises(SettingsMismatch):
        common_record([search_record(_summary()), search_record(_summary(h_shifts=[0]))], ["x", "y"])


def test_stage_refuses_before_reading_anything(tmp_path):
    cand = tmp_path / "candidates.parquet"          # never read: the check comes first
    search_summary_path(cand).write_text(json.dumps(_summary(sha="d" * 64)))
    with pytest.raises(SettingsMismatch, match="not scored as its training candidates"):
        run_rescore(cand, tmp_path / "spectra", tmp_path / "out.parquet")


def test_shipped_rescorer_matches_the_shipped_score_model():
    """Retrain the rescorer (train-rescorer) whenever the shipped logRank model changes."""
    search = RescoreModel.load(default_rescorer_path()).info["search"]
    assert search["ion_modes"] == ["positive"]
    assert search["score_models"]["positive"]["sha256"] == sha256_file(default_model_path("positive"))
    assert search["params"]["min_matched_peaks"] >= 1
