"""Fitted prior tables per ion mode: a negative-mode spectrum is scored with the tables fitted from
[M-H]- trees (data/fitted_priors_negative.json), a positive one with those of [M+H]+ trees."""

import json

import pytest

from specsweep.formula import identify as ident
from specsweep.formula import priors
from specsweep.spectra.mgf_reader import read_mgf

FIXED = "CHNOPSFClBrI"
# C13H14O5 [M-H]-, 29 peaks; a dev_full compound in neither dev_500 file
NEGATIVE_TITLE = "MSBNK-AAFC-AC000429"


@pytest.fixture(scope="module")
def negative_record(shared_data):
    for rec in read_mgf(shared_data / "spectra" / "massbank_hr_neg_MmH_dev_full.mgf.gz"):
        if rec.title == NEGATIVE_TITLE:
            return rec
    raise AssertionError(f"{NEGATIVE_TITLE} not in the negative dev_full file")


def _rank(rec, settings):
    info = {}
    _, rows = ident.identify(rec.precursor_mz, rec.mz, rec.intensity, [rec.adduct], FIXED, settings, info=info)
    return rows, info


def test_negative_mode_scalars_come_from_the_negative_tables():
    assert priors.FITTED_PRIORS_NEGATIVE.exists()
    negative = json.loads(priors.FITTED_PRIORS_NEGATIVE.read_text())
    base = ident.FormulaSettings()
    neg = ident.settings_for_ion_mode(base, negative=True)
    assert neg.params.fragment_sd_ppm == pytest.approx(2 * negative["mass_error"]["sd_ppm_above_200"])
    assert neg.params.loss_mu == pytest.approx(negative["loss_mass"]["mu"])
    assert neg.params.fragment_sd_ppm != base.params.fragment_sd_ppm
    assert ident.settings_for_ion_mode(base, negative=False) is base
    # a scalar the caller set is kept; the others still swap
    mine = ident.FormulaSettings(params=ident.get_profile("qtof", fragment_sd_ppm=7.0))
    neg_mine = ident.settings_for_ion_mode(mine, negative=True)
    assert neg_mine.params.fragment_sd_ppm == 7.0
    assert neg_mine.params.loss_mu == pytest.approx(negative["loss_mass"]["mu"])
    # the SIRIUS-only scoring has no fitted tables to swap
    sirius = ident.FormulaSettings(priors="sirius", params=ident.get_profile("qtof", priors="sirius"))
    assert ident.settings_for_ion_mode(sirius, negative=True) is sirius


def test_a_real_negative_spectrum_is_scored_with_the_negative_tables(negative_record, monkeypatch):
    settings = ident.FormulaSettings(ranker=None)
    rows, info = _rank(negative_record, settings)
    assert info["fitted_tables"] == priors.FITTED_PRIORS_NEGATIVE.name
    assert rows[0]["formula"] == "C13H14O5"
    # without the negative file the positive-mode tables are used, and the tree scores change
    monkeypatch.setattr(priors, "FITTED_PRIORS_NEGATIVE", priors.DATA / "absent.json")
    ident._edge_scorer.cache_clear()
    try:
        rows_pos, info_pos = _rank(negative_record, settings)
    finally:
        ident._edge_scorer.cache_clear()
    assert info_pos["fitted_tables"] == priors.FITTED_PRIORS.name
    assert rows_pos[0]["formula"] == "C13H14O5"
    assert rows[0]["tree_score"] != pytest.approx(rows_pos[0]["tree_score"])


def test_a_positive_spectrum_keeps_the_positive_tables(demo_mgf):
    rec = next(r for r in read_mgf(demo_mgf) if r.adduct == "[M+H]+" and r.formula)
    _, info = _rank(rec, ident.FormulaSettings(ranker=None))
    assert info["fitted_tables"] == priors.FITTED_PRIORS.name
