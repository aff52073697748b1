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


def test_stage_refuses_another_score_and_records_the_check(tmp_path, demo_mgf):
    import pyarrow as pa
    from specsweep.cli import main
    from specsweep.schema import CANDIDATES
    from specsweep.spectra.parts import read_spectra
    assert main(["ingest", "--input", str(demo_mgf), "--output-dir", str(tmp_path / "spectra")]) == 0
    sid = read_spectra(tmp_path / "spectra", columns=["spectrum_id"]).column("spectrum_id")[0].as_py()
    rows = [("m1", False, "AAAAAAAAAAAAAA", 12.0, 6, 0.8), ("m2", False, "BBBBBBBBBBBBBB", 11.0, 5, 0.6),
            ("m1", True, "AAAAAAAAAAAAAA", 4.0, 2, 0.2)]
    mol, dec, key, score, matched, expl = (list(c) for c in zip(*rows))
    cand = tmp_path / "candidates.parquet"
    pa.parquet.write_table(pa.table({
        "spectrum_id": [sid] * 3, "rank": [1, 2, 1], "mol_id": mol, "is_decoy": dec,
        "inchikey14": key, "smiles": ["C"] * 3, "exact_mass": [300.1] * 3,
        "adduct": ["[M+H]+"] * 3, "charge": [1] * 3, "precursor_error_ppm": [0.5] * 3,
        "score": score, "n_matched_peaks": matched, "explained_intensity": expl},
        schema=CANDIDATES), cand)
    shipped = RescoreModel.load(default_rescorer_path()).info["search"]
    same = _summary(sha=shipped["score_models"]["positive"]["sha256"], **shipped["params"])
    search_summary_path(cand).write_text(json.dumps(same))
    out = tmp_path / "rescored.parquet"
    summary = run_rescore(cand, tmp_path / "spectra", out)
    assert summary["search_check"]["positive"]["status"] == "same"
    search_summary_path(cand).write_text(json.dumps(_summary(sha="d" * 64)))
    with pytest.raises(SettingsMismatch, match="not scored as its training candidates"):
        run_rescore(cand, tmp_path / "spectra", out)
    argv = ["rescore", "--candidates", str(cand), "--spectra", str(tmp_path / "spectra"),
            "--output", str(out), "--allow-other-search"]
    assert main(argv) == 0
    written = json.loads((tmp_path / "rescored.summary.json").read_text())
    assert written["search_check"]["positive"]["status"] == "differs"


def test_shipped_rescorer_matches_the_shipped_score_model():
    """Retrain the rescorer (train-rescorer) whenever the shipped logRank model changes."""
    search = RescoreModel.load(default_rescorer_path()).info["search"]
    assert search["ion_modes"] == ["positive"]
    assert search["score_models"]["positive"]["sha256"] == sha256_file(default_model_path("positive"))
    assert search["params"]["min_matched_peaks"] >= 1
