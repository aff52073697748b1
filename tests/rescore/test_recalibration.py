"""The PEP recalibration by the dataset's estimated absent share (rescore.recalibration)."""
import numpy as np
import pyarrow as pa
import pytest

from specsweep.rescore import uncertainty
from specsweep.rescore.model import RescoreModel, default_rescorer_path
from specsweep.rescore.pep import adapt_priors
from specsweep.rescore.recalibration import (Recalibration, basis, from_metadata, to_metadata)


def _logit(p):
    return np.log(p / (1 - p))


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _mix_dependent_hits(rng, n):
    """PEPs whose true wrong rate depends on the dataset's absent share: half as many wrong
    hits as said (in odds) with no compound absent, twice as many with every one absent."""
    pep = _sigmoid(rng.uniform(-6, 2, n))
    absent = rng.choice([0.0, 0.25, 0.5, 0.75, 1.0], n)
    truth = _sigmoid(_logit(pep) + np.log(2) * (2 * absent - 1))
    return pep, absent, rng.random(n) < truth, truth


def test_the_map_learns_how_the_mix_bends_the_pep():
    rng = np.random.default_rng(0)
    pep, absent, wrong, _ = _mix_dependent_hits(rng, 60_000)
    recal = Recalibration.fit(pep, absent, wrong)
    for a in (0.0, 0.5, 1.0):
        grid = np.array([0.01, 0.05, 0.1, 0.3])
        want = _sigmoid(_logit(grid) + np.log(2) * (2 * a - 1))
        got = recal.apply(grid, a)
        assert np.all(np.abs(got - want) < 0.25 * want + 0.005), (a, got, want)
    # more cautious the more compounds are missing, at the same PEP
    assert recal.apply([0.05], 0.0)[0] < recal.apply([0.05], 0.5)[0] < recal.apply([0.05], 1.0)[0]
    # a hit without evidence keeps PEP 1
    assert recal.apply([1.0, 0.2], 0.0)[0] == 1.0


def test_round_trips_through_the_model_file_and_the_parquet_metadata():
    rng = np.random.default_rng(1)
    pep, absent, wrong, _ = _mix_dependent_hits(rng, 5000)
    recal = Recalibration.fit(pep, absent, wrong)
    again = Recalibration.from_json(recal.to_json())
    x = np.linspace(0.001, 0.99, 50)
    assert np.array_equal(recal.apply(x, 0.3), again.apply(x, 0.3))
    schema = pa.schema([("a", pa.int64())]).with_metadata(to_metadata({"positive": recal,
                                                                        "negative": None}))
    maps = from_metadata(schema)
    assert maps["negative"] is None
    assert np.array_equal(maps["positive"].apply(x, 0.7), recal.apply(x, 0.7))
    assert from_metadata(pa.schema([("a", pa.int64())])) == {}
    bad = recal.to_json()
    bad["knots"] = bad["knots"][:-1]
    with pytest.raises(ValueError, match="knots"):
        Recalibration.from_json(bad)


def test_nothing_to_learn_gives_no_map():
    pep = np.linspace(0.01, 0.9, 100)
    assert Recalibration.fit(pep, np.zeros(100), np.zeros(100, bool)) is None
    assert Recalibration.fit(pep, np.zeros(100), np.ones(100, bool)) is None
    assert Recalibration.fit(np.ones(5), np.zeros(5), np.arange(5) % 2 == 0) is None
    assert basis([0.1, 0.5], 0.2).shape == (2, 13)


def test_shipped_maps_trust_a_confident_hit_more_when_every_compound_is_present():
    """Learnt from dev_full spectra (cross-fitted simulated datasets): a top hit at PEP 0.05 is
    wrong less often in a dataset whose compounds are all in the database than in one where
    most are missing, in both ion modes."""
    for mode in ("positive", "negative"):
        model = RescoreModel.load(default_rescorer_path(mode))
        assert model.recalibration is not None, mode
        assert model.info["pep_recalibration_hits"] > 1000
        low, high = model.recalibration.apply(np.array([0.05]), 0.0)[0], \
            model.recalibration.apply(np.array([0.05]), 0.9)[0]
        assert low < 0.05 < high, (mode, low, high)
    # both maps also learnt against 80k + MOSES (train-rescorer --map-candidates), each from its
    # own ion mode's spectra
    for mode, least in (("positive", 2000), ("negative", 1000)):
        info = RescoreModel.load(default_rescorer_path(mode)).info
        assert info["pep_map_also_from"]["trained_on"]["compounds"] > least, mode
        assert info["pep_map_also_from"]["search"]["ion_modes"] == [mode]


def _shift(c):
    """A map that adds ``c`` to logit(PEP), whatever the absent share."""
    coef = np.zeros((2, 14))
    coef[1, 0], coef[1, 1] = c, 1.0
    return Recalibration(coef)


def test_the_interval_follows_the_recalibrated_peps():
    rng = np.random.default_rng(2)
    y = rng.choice(3, size=400, p=[0.6, 0.3, 0.1])
    x = rng.normal(np.array([2.0, 0.0, -2.0])[y], 1.0)
    ev = np.exp(-0.5 * (x[:, None] - np.array([2.0, 0.0, -2.0])) ** 2)
    ev /= ev.sum(axis=1, keepdims=True)
    post, prior = adapt_priors(ev, np.full(3, 1 / 3))
    accepted = {"all": np.ones(y.size, bool)}
    matched = np.ones(y.size)
    plain = uncertainty.wrong_count_intervals(ev, matched, accepted)["all"]
    lower = uncertainty.wrong_count_intervals(ev, matched, accepted,
                                              recalibrations={0: _shift(-1.5)})["all"]
    want = _shift(-1.5).apply(1 - post[:, 0], prior[-1]).sum()
    assert lower[1] < plain[0]                       # far fewer wrong hits expected
    assert lower[0] <= want <= lower[1]


def test_delta_method_agrees_with_the_draws_under_a_map(monkeypatch):
    rng = np.random.default_rng(3)
    y = rng.choice(3, size=3000, p=[0.5, 0.3, 0.2])
    x = rng.normal(np.array([2.0, 0.0, -2.0])[y], 1.0)
    ev = np.exp(-0.5 * (x[:, None] - np.array([2.0, 0.0, -2.0])) ** 2)
    ev /= ev.sum(axis=1, keepdims=True)
    masks = {"all": np.ones(y.size, bool)}
    maps = {0: _shift(0.7)}
    drawn = uncertainty.wrong_count_intervals(ev, np.ones(y.size), masks, recalibrations=maps)
    monkeypatch.setattr(uncertainty, "EXACT_DRAWS_UP_TO", 10)
    delta = uncertainty.wrong_count_intervals(ev, np.ones(y.size), masks, recalibrations=maps)
    (a, b), (c, d) = drawn["all"], delta["all"]
    assert abs(a - c) <= 0.15 * (b - a) + 2 and abs(b - d) <= 0.15 * (b - a) + 2, (drawn, delta)
