"""Candidate preselection of the formula stage (docs/formula.md, "Preselection"), on a real
demo spectrum: a 605 Da [M+H]+ precursor over CHNOPSFClBrI has thousands of plausible formulas."""

import numpy as np
import pytest

from specsweep.formula.alphabet import Alphabet
from specsweep.formula.identify import FormulaSettings, identify, precursor_candidates
from specsweep.spectra.mgf_reader import read_mgf

TITLE = "MSBNK-Antwerp_Univ-METOX_P101901_FB57"
ALPHABET = "CHNOPSFClBrI"


@pytest.fixture(scope="module")
def spectrum(demo_mgf):
    return next(r for r in read_mgf(demo_mgf) if r.title == TITLE)


def test_root_preselection_keeps_the_best_root_scores(spectrum):
    alphabet = Alphabet.parse(ALPHABET)
    settings = FormulaSettings()
    every = precursor_candidates(spectrum.precursor_mz, ["[M+H]+"], alphabet, settings)
    assert len(every) > 2000
    kept = precursor_candidates(spectrum.precursor_mz, ["[M+H]+"], alphabet, settings, keep_best=500)
    assert len(kept) == 500
    best = sorted(every, key=lambda c: -c.root_score)[:500]
    assert {tuple(c.formula) for c in kept} == {tuple(c.formula) for c in best}
    # kept in the order the decomposition made them (the tie order of later steps)
    position = {tuple(c.formula): i for i, c in enumerate(every)}
    assert [position[tuple(c.formula)] for c in kept] == sorted(position[tuple(c.formula)] for c in kept)


def test_only_preselected_candidates_get_trees_and_are_reported(spectrum):
    info: dict = {}
    settings = FormulaSettings(ranker=None, preselect_by_root=400, preselect_by_bound=20)
    status, rows = identify(spectrum.precursor_mz, spectrum.mz, spectrum.intensity, ["[M+H]+"], ALPHABET,
                            settings, info=info)
    assert status == "ok"
    assert info["n_candidates"] == 400
    # the plausible formulas are counted before the preselection: all of them
    plausible = precursor_candidates(spectrum.precursor_mz, ["[M+H]+"], Alphabet.parse(ALPHABET),
                                     settings)
    assert info["n_plausible"] == len(plausible) > 2000
    # pruning by the bound may stop the visit before the limit; here it does not
    assert info["n_preselected_by_bound"] == 400 - 20
    assert len(rows) == 10 and all(r["method"] != "none" and r["tree_json"] for r in rows)


def test_preselection_off_and_on_agree_where_the_answer_is_early(spectrum):
    """With preselection off every candidate is scored; a tight preselection reaches the same top
    formulas on this spectrum (its answer lies early in both orders). CHNOPS keeps it quick."""
    full = FormulaSettings(ranker=None, preselect_by_root=0, preselect_by_bound=0)
    info: dict = {}
    _, rows_all = identify(spectrum.precursor_mz, spectrum.mz, spectrum.intensity, ["[M+H]+"], "CHNOPS", full,
                           info=info)
    assert info["n_candidates"] > 300
    _, rows = identify(spectrum.precursor_mz, spectrum.mz, spectrum.intensity, ["[M+H]+"], "CHNOPS",
                       FormulaSettings(ranker=None, preselect_by_root=300, preselect_by_bound=60))
    assert [r["formula"] for r in rows[:3]] == [r["formula"] for r in rows_all[:3]]
    assert np.allclose([r["score"] for r in rows[:3]], [r["score"] for r in rows_all[:3]])
