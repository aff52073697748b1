"""Learned re-ranking of formula candidates (specsweep.formula.ranker, ranker_training)."""

import json
from dataclasses import replace

import numpy as np
import pytest

from specsweep.formula.identify import FormulaSettings, identify
from specsweep.formula.ranker import (DEFAULT_MODEL, FEATURES, FormulaRanker, RankerSchemaError,
                                      fit_conditional_logit, load_ranker)
from specsweep.spectra.mgf_reader import read_mgf

FIXED = "CHNOPSFClBrI"


@pytest.fixture(scope="module")
def demo(demo_mgf):
    return {r.title: r for r in read_mgf(demo_mgf)}


def test_shipped_model_loads_and_matches_the_features():
    model = load_ranker(DEFAULT_MODEL)
    assert model.features == FEATURES
    assert np.all(np.isfinite(model.weights)) and np.all(model.scale > 0)
    # trained without the test compounds: the file says which files were excluded
    assert {"massbank_hr_pos_MH_dev_500.mgf", "massbank_hr_neg_MmH_dev_500.mgf"} <= set(model.meta["excluded_files"])


def test_wrong_schema_is_refused(tmp_path):
    d = json.loads(DEFAULT_MODEL.read_text())
    d["features"] = d["features"][:-1]
    d["weights"] = d["weights"][:-1]
    bad = tmp_path / "old_ranker.json"
    bad.write_text(json.dumps(d))
    with pytest.raises(RankerSchemaError, match="feature schema differs.*missing"):
        load_ranker(bad)
    model = load_ranker(DEFAULT_MODEL)
    with pytest.raises(RankerSchemaError, match=f"expected {len(FEATURES)}"):
        model.scores(np.zeros((3, len(FEATURES) - 2)))
    (tmp_path / "junk.json").write_text("{\"kind\": \"something else\"}")
    with pytest.raises(RankerSchemaError, match="not a formula ranker"):
        load_ranker(tmp_path / "junk.json")


def test_feature_table_of_another_schema_is_refused(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from specsweep.formula.ranker_training import META_COLUMNS, read_table
    cols = {c: [0] for c in META_COLUMNS} | {f: [0.0] for f in FEATURES if f != "tree_gap"}
    pq.write_table(pa.table(cols), tmp_path / "t.parquet")
    with pytest.raises(RankerSchemaError, match=r"missing \['tree_gap'\]"):
        read_table(tmp_path / "t.parquet")


def test_fit_recovers_the_preferred_direction_and_is_deterministic():
    rng = np.random.default_rng(3)
    groups, k, d = 300, 6, 3
    x = rng.normal(size=(groups * k, d))
    true_w = np.array([2.0, -1.0, 0.0])
    group = np.repeat(np.arange(groups), k)
    label = np.zeros(groups * k)
    for g in range(groups):  # the right candidate drawn from the softmax of the true weights
        s = x[g * k:(g + 1) * k] @ true_w
        p = np.exp(s - s.max())
        label[g * k + rng.choice(k, p=p / p.sum())] = 1
    w1 = fit_conditional_logit(x, group, label, l2=1.0)
    w2 = fit_conditional_logit(x, group, label, l2=1.0)
    assert np.array_equal(w1, w2)
    assert w1[0] > 1.2 and w1[1] < -0.5 and abs(w1[2]) < 0.4


def test_identify_with_ranker_is_deterministic_and_a_permutation(demo):
    rec = next(iter(demo.values()))
    on = FormulaSettings(alphabet=FIXED, ranker=str(DEFAULT_MODEL))
    off = replace(on, ranker=None)
    info: dict = {}
    _, rows_off = identify(rec.precursor_mz, rec.mz, rec.intensity, [rec.adduct], FIXED, off, info=info)
    _, rows_a = identify(rec.precursor_mz, rec.mz, rec.intensity, [rec.adduct], FIXED, on)
    _, rows_b = identify(rec.precursor_mz, rec.mz, rec.intensity, [rec.adduct], FIXED, on)
    assert rows_a == rows_b
    assert [r["rank"] for r in rows_a] == list(range(1, len(rows_a) + 1))
    pool = info["posterior_formulas"]
    assert len(rows_off) == on.report_top < len(pool) <= on.pool
    assert info["ranker_features"].shape == (len(pool), len(FEATURES))
    # without the ranker: the posterior's best report_top; with it: the first report_top of the
    # ranker's order over the whole pool
    assert pool[: len(rows_off)] == [r["formula"] for r in rows_off]
    order = load_ranker(str(DEFAULT_MODEL)).order(info["ranker_features"])
    assert [r["formula"] for r in rows_a] == [pool[j] for j in order[: on.report_top]]


def test_ranker_undoes_a_fluorine_for_c3_swap_on_a_real_spectrum(demo):
    """MassBank MSBNK-BAFG-CSL2311106851, C9H12N2O2 [M+H]+, fixed alphabet: the tree posterior puts
    C6H13FN2O3 first (F + H + O for C3, one of the known swaps; its tree explains more peaks),
    6 ppm from the precursor, against 0.3 ppm for C9H12N2O2. The ranker puts the true formula first;
    the tree features favour the fluorine candidate, so the reason is in the formula and mass-error
    features (mass error, fluorine and its prior, RDBE, H/C, ...): given the true candidate's
    values of those, the fluorine candidate is (nearly) level again."""
    rec = demo["MSBNK-BAFG-CSL2311106851"]
    off = FormulaSettings(alphabet=FIXED, ranker=None)
    info: dict = {}
    _, rows_off = identify(rec.precursor_mz, rec.mz, rec.intensity, [rec.adduct], FIXED, off, info=info)
    _, rows_on = identify(rec.precursor_mz, rec.mz, rec.intensity, [rec.adduct], FIXED,
                          replace(off, ranker=str(DEFAULT_MODEL)))
    assert rows_off[0]["formula"] == "C6H13FN2O3" and rows_on[0]["formula"] == "C9H12N2O2" == rec.formula
    x = info["ranker_features"]
    wrong, right = 0, info["posterior_formulas"].index("C9H12N2O2")
    col = {name: k for k, name in enumerate(FEATURES)}
    assert x[wrong, col["abs_ppm"]] > 5 > 1 > x[right, col["abs_ppm"]]
    assert x[wrong, col["tree_gap"]] == 0 > x[right, col["tree_gap"]]
    swapped = x.copy()
    tree_features = {"total_gap", "tree_gap", "total_gap_x_mass", "tree_gap_x_mass", "log_rank", "no_tree", "exact",
                     "explained_peaks", "explained_peaks_gap", "explained_intensity", "explained_intensity_gap",
                     "tree_per_peak", "special_fragments", "special_unsupported", "negative_x_tree_gap"}
    assert x[wrong, col["explained_peaks"]] > x[right, col["explained_peaks"]]
    for name in FEATURES:
        if name not in tree_features:
            swapped[wrong, col[name]] = x[right, col[name]]
    model = load_ranker(DEFAULT_MODEL)
    margin = model.scores(x)[right] - model.scores(x)[wrong]
    assert margin > 0
    # the formula and mass-error features carry (nearly) all of the margin
    assert model.scores(swapped)[right] - model.scores(swapped)[wrong] < 0.1 * margin


def test_formula_command_refuses_a_ranker_of_another_schema_before_any_spectrum(tmp_path, demo_mgf):
    import argparse

    from specsweep.formula import commands
    d = json.loads(DEFAULT_MODEL.read_text())
    d["features"] = list(reversed(d["features"]))
    bad = tmp_path / "reordered.json"
    bad.write_text(json.dumps(d))
    parser = argparse.ArgumentParser()
    commands.register(parser.add_subparsers())
    args = parser.parse_args(["formula", "--spectra", str(tmp_path / "missing"), "--output",
                              str(tmp_path / "f.parquet"), "--ranker", str(bad)])
    with pytest.raises(SystemExit, match="--ranker: .*reordered.json: .*feature schema differs"):
        args.func(args)
    assert not (tmp_path / "f.parquet").exists()


def test_training_choice_per_file_keeps_the_smaller_file(tmp_path, demo_mgf):
    """With a cap per file, each training file contributes its own seeded share; excluded
    compounds never do."""
    from specsweep.formula.ranker_training import compound_key, select_spectra
    recs = [r for r in read_mgf(demo_mgf) if r.inchikey and r.formula]
    big, small = tmp_path / "big.mgf", tmp_path / "small.mgf"
    text = demo_mgf.read_text()
    big.write_text(text)
    blocks = text.split("END IONS")
    small.write_text("END IONS".join(blocks[:3]) + "END IONS\n")
    small_keys = {compound_key(r.inchikey) for r in read_mgf(small) if r.inchikey}
    excluded = {compound_key(recs[-1].inchikey)}
    pooled = select_spectra([big, small], excluded, 1, 2, 2000.0, 14)
    assert len(pooled) == 2
    split = select_spectra([big, small], excluded, 1, None, 2000.0, 14, per_file=2)
    assert len(split) == 4
    assert {compound_key(r.inchikey) for r in split[2:]} <= small_keys
    assert not {compound_key(r.inchikey) for r in split} & excluded
    assert [r.title for r in split] == [r.title for r in select_spectra([big, small], excluded, 1, None, 2000.0, 14,
                                                                          per_file=2)]
