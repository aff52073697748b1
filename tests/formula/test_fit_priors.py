"""Tree statistics for fitting the priors (fit_priors.collect) on real demo spectra."""

from specsweep.formula.fit_priors import collect
from specsweep.formula.scoring import ScoringParams
from specsweep.spectra.mgf_reader import read_mgf


def test_collect_builds_trees_of_the_true_formula(demo_mgf):
    records = [r for r in read_mgf(demo_mgf) if r.formula][:3]
    stats = collect(records, ScoringParams())
    assert stats["n_trees"] >= 2
    assert stats["fragments"] and all(w > 0 for w, n in stats["losses"].values())
    assert len(stats["ppm_err"]) + len(stats["da_err"]) >= len(stats["fragments"])
