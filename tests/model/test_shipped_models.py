"""The shipped models: one per ion mode, trained without any dev_500 compound of either polarity,
with the same fragmentation and model settings, and charge 2 falling back to charge 1."""

import hashlib

import pytest

from specsweep.model.tables import default_model_path, load_model

DEV_500 = ("massbank_hr_pos_MH_dev_500.mgf", "massbank_hr_neg_MmH_dev_500.mgf")


@pytest.mark.parametrize("mode,training", [("positive", "massbank_hr_pos_MH_dev_full.mgf.gz"),
                                           ("negative", "massbank_hr_neg_MmH_dev_full.mgf.gz")])
def test_shipped_model_excludes_both_dev_500_sets(mode, training):
    model = load_model(default_model_path(mode))
    assert [f["name"] for f in model.params["training_files"]] == [training]
    assert sorted(f["name"] for f in model.params["exclude_files"]) == sorted(DEV_500)
    assert model.params["training"]["spectra_used"] > 5000
    assert model.tables[2].fallback == 1 and "charge-1" in model.tables[2].note


def test_both_models_share_their_settings():
    pos, neg = (load_model(default_model_path(m)) for m in ("positive", "negative"))
    for key in ("fragmentation", "h_shifts", "null", "pseudo_count", "fragment_tol_da", "fragment_tol_ppm"):
        assert pos.params.get(key) == neg.params.get(key), key


def test_excluded_files_are_the_shared_ones(shared_data):
    for mode in ("positive", "negative"):
        for f in load_model(default_model_path(mode)).params["exclude_files"]:
            data = (shared_data / "spectra" / f["name"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == f["sha256"], (mode, f["name"])
