"""Settings recorded with a database or a model, and what a stage does when given other ones."""

from __future__ import annotations

import json

import pytest

from specsweep.model.tables import default_model_path
from specsweep.params.blocks import DEFAULT_BOND_CLASSES
from specsweep.params.options import Tolerance
from specsweep.params.recorded import PEAK_KEYS, SettingsMismatch, check_against_model, model_tolerance
from tests.search.conftest import run_cli

SHIPPED = json.loads(default_model_path().read_text())["params"]


def test_the_shipped_model_records_its_settings():
    assert model_tolerance(SHIPPED) == Tolerance(0.01, "Da")
    assert SHIPPED["fragmentation"]["max_bridges"] == 2 and SHIPPED["h_shifts"] == [-1, 0, 1]
    check_against_model(SHIPPED, "shipped", database={"max_bridges": 2, "max_two_cuts": 1,
                                                      "bond_classes": list(DEFAULT_BOND_CLASSES)},
                        fragment_tol=Tolerance(0.01), h_shifts=(-1, 0, 1))


def test_a_mismatch_names_each_setting_and_both_values():
    with pytest.raises(SettingsMismatch) as err:
        check_against_model(SHIPPED, "m.json", database={"max_bridges": 3},
                            fragment_tol=Tolerance(10, "ppm"), h_shifts=(0,))
    text = str(err.value)
    assert text.startswith("m.json: max_bridges = 3 but the model was trained on graphs cut with 2")
    assert "fragment tolerance 10 ppm but the model was trained with 0.01 Da" in text
    assert "hydrogen shifts (0,) but the model was trained with (-1, 0, 1)" in text


@pytest.fixture(scope="module")
def one_bridge_db(tmp_path_factory, demo_molecules):
    root = tmp_path_factory.mktemp("one_bridge")
    run_cli(["prepare-db", "--input", str(demo_molecules), "--output", str(root / "m.parquet")])
    run_cli(["fragment", "--molecules", str(root / "m.parquet"), "--output-dir", str(root / "db"),
             "--max-bridges", "1"])
    return root / "db"


def _search(spectra, db, out, *extra) -> int:
    from specsweep.cli import main
    return main(["search", "--spectra", str(spectra), "--db", str(db), "--output", str(out), "--mpi", "off",
                 *extra])


def test_search_refuses_a_database_cut_otherwise_than_the_model(one_bridge_db, demo_spectra, tmp_path, caplog):
    manifest = json.loads((one_bridge_db / "manifest.json").read_text())
    assert manifest["params"]["max_bridges"] == 1   # the database records how it was cut
    assert _search(demo_spectra, one_bridge_db, tmp_path / "c.parquet") == 1
    assert "max_bridges = 1 but the model was trained on graphs cut with 2" in caplog.text
    assert not (tmp_path / "c.parquet").exists()


def test_search_refuses_another_tolerance_and_reuses_the_models_shifts(demo_db, demo_spectra, tmp_path, caplog):
    assert _search(demo_spectra, demo_db, tmp_path / "a.parquet", "--fragment-tol-da", "0.02") == 1
    assert "fragment tolerance 0.02 Da but the model was trained with 0.01 Da" in caplog.text
    assert _search(demo_spectra, demo_db, tmp_path / "b.parquet", "--h-shifts", "0") == 1
    assert _search(demo_spectra, demo_db, tmp_path / "c.parquet", "--top-k", "2") == 0
    summary = json.loads((tmp_path / "c.summary.json").read_text())
    assert summary["params"]["h_shifts"] == [-1, 0, 1] and summary["params"]["fragment_tol_da"] == 0.01


def test_a_model_trained_with_other_settings_is_refused_by_translate_scoring(tmp_path):
    from specsweep.translate.fragscore import load_fragment_scorer
    model = json.loads(default_model_path().read_text())
    model["params"]["fragment_tol_da"] = 0.005
    path = tmp_path / "model.json"
    path.write_text(json.dumps(model))
    with pytest.raises(SettingsMismatch, match="fragment tolerance 0.01 Da but the model was trained with 0.005 Da"):
        load_fragment_scorer(path, Tolerance(0.01))
    assert load_fragment_scorer(path, Tolerance(0.005)) is not None


def test_a_model_records_the_peak_settings_of_its_training_spectra():
    ingest = SHIPPED["ingest"]
    assert [{k: e[k] for k in PEAK_KEYS} for e in ingest] == [{"top_n": 100, "precursor_window_th": 1.5,
                                                               "max_charge": 2}]
    check_against_model(SHIPPED, "shipped", spectra=[dict(ingest[0], part_size=10)])  # part size: no matter
    with pytest.raises(SettingsMismatch) as err:
        check_against_model(SHIPPED, "m.json", spectra=[dict(ingest[0], top_n=20, max_charge=3)])
    assert ("m.json: spectra ingested with top_n = 20, max_charge = 3 but the model was trained on "
            "spectra ingested with top_n = 100, max_charge = 2 (ingest them with --top-n 100 "
            "--max-charge 2, or train a model on spectra ingested like these)") in str(err.value)


@pytest.fixture(scope="module")
def top20(tmp_path_factory, demo_mgf):
    """The demo spectra ingested keeping 20 peaks, and a model trained on them so processed."""
    root = tmp_path_factory.mktemp("top20")
    run_cli(["ingest", "--input", str(demo_mgf), "--output-dir", str(root / "spectra"), "--top-n", "20"])
    run_cli(["train-model", "--spectra", str(demo_mgf), "--output", str(root / "model.json"), "--top-n", "20"])
    return root / "spectra", root / "model.json"


def test_search_refuses_spectra_ingested_otherwise_than_the_models_training_spectra(
        top20, demo_db, demo_spectra, tmp_path, caplog):
    spectra20, model20 = top20
    recorded = json.loads(model20.read_text())["params"]["ingest"]
    assert [e["top_n"] for e in recorded] == [20]      # train-model ingested its raw file at --top-n 20
    # the shipped model (training spectra kept 100 peaks) refuses spectra that kept 20 ...
    assert _search(spectra20, demo_db, tmp_path / "a.parquet") == 1
    assert ("spectra ingested with top_n = 20 but the model was trained on spectra ingested with "
            "top_n = 100") in caplog.text
    assert not (tmp_path / "a.parquet").exists()
    # ... and the model trained at 20 peaks refuses the default ingest (100), for either ion mode
    caplog.clear()
    assert _search(demo_spectra, demo_db, tmp_path / "b.parquet", "--model", str(model20),
                   "--negative-model", "same") == 1
    assert "top_n = 100 but the model was trained on spectra ingested with top_n = 20" in caplog.text
    # spectra processed as each model's training spectra are searched
    assert _search(spectra20, demo_db, tmp_path / "c.parquet", "--model", str(model20),
                   "--negative-model", "same", "--top-k", "2") == 0
    assert _search(demo_spectra, demo_db, tmp_path / "d.parquet", "--top-k", "2") == 0


def test_translate_scoring_refuses_spectra_ingested_otherwise_than_the_model(top20, demo_spectra):
    from specsweep.contracts.spectra_folder import ingest_settings, spectra_parts
    from specsweep.translate.fragscore import load_fragment_scorer
    spectra20, model20 = top20
    kept20, kept100 = ingest_settings(spectra_parts([spectra20])), ingest_settings(spectra_parts([demo_spectra]))
    assert [s["top_n"] for s in kept20] == [20] and [s["top_n"] for s in kept100] == [100]
    with pytest.raises(SettingsMismatch, match="spectra ingested with top_n = 20 but the model was trained on "
                                               "spectra ingested with top_n = 100"):
        load_fragment_scorer(None, Tolerance(0.01), spectra=kept20)      # the shipped models
    with pytest.raises(SettingsMismatch, match="top_n = 100 but the model was trained on spectra ingested with top_n = 20"):
        load_fragment_scorer(model20, Tolerance(0.01), spectra=kept100)
    assert load_fragment_scorer(model20, Tolerance(0.01), spectra=kept20) is not None
    assert load_fragment_scorer(None, Tolerance(0.01), spectra=kept100) is not None
