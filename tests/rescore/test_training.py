import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from specsweep.rescore.model import RescoreModel
from specsweep.rescore.training import check_disjoint, known_answers, train
from specsweep.schema import CANDIDATES


def _synthetic(n_spectra=240, seed=0):
    """Known-answer candidate lists: the right structure explains more intensity, on average;
    every fourth spectrum's compound is missing from its list."""
    rng = np.random.default_rng(seed)
    rows, truth = [], {}
    for s in range(n_spectra):
        sid = f"ref:{s}"
        truth[sid] = f"K{s:013d}"
        n = int(rng.integers(3, 9))
        for j in range(n):
            right = j == 0 and s % 4 != 0
            key = truth[sid] if right else f"W{s:06d}{j:07d}"
            expl = float(np.clip(rng.normal(0.6 if right else 0.3, 0.15), 0, 1))
            score = float(rng.normal(10 if right else 8, 3))
            rows.append((sid, key, 200.0 + (j % 2) * 0.5, score, int(expl * 10), expl))
    cols = list(zip(*rows))
    n = len(rows)
    table = pa.table({
        "spectrum_id": cols[0], "rank": list(range(1, n + 1)), "mol_id": cols[1],
        "is_decoy": [False] * n, "inchikey14": cols[1], "smiles": ["C"] * n,
        "exact_mass": cols[2], "adduct": ["[M+H]+"] * n, "charge": [1] * n,
        "precursor_error_ppm": [0.0] * n, "score": cols[3], "n_matched_peaks": cols[4],
        "explained_intensity": cols[5]}, schema=CANDIDATES)
    return table, truth


def test_excluded_compounds_never_reach_training():
    table, truth = _synthetic()
    excluded = {truth[f"ref:{s}"] for s in range(0, 240, 3)}
    data, counts = known_answers(table, truth, {s: 10 for s in truth}, excluded)
    assert counts["dropped_excluded"] == 80 and counts["used"] == 160
    assert not set(data.true_key) & excluded
    with pytest.raises(ValueError, match="exclusion list"):
        check_disjoint(["K0000000000001", "K0000000000003"], {"K0000000000003"})


def test_training_is_deterministic_and_learns_the_evidence(tmp_path):
    table, truth = _synthetic()
    data, _ = known_answers(table, truth, {s: 10 for s in truth})
    validation = np.arange(data.true_key.size) % 5 == 0
    a = train(data, validation, {"trained_on": {}})
    b = train(data, validation, {"trained_on": {}})
    assert a.to_json() == b.to_json()
    w = dict(zip(a.ranker.features, a.ranker_w))
    assert w["explained_intensity"] > 0   # the right structure explains more intensity
    assert a.train_prior.sum() == pytest.approx(1.0)
    # the PEP map was fitted on cross-fitted simulated datasets and is stored with the model
    assert a.recalibration is not None and a.info["pep_recalibration_hits"] > 100
    a.save(tmp_path / "m.json")
    loaded = RescoreModel.load(tmp_path / "m.json")
    x = np.linspace(0.01, 0.99, 20)
    assert np.array_equal(loaded.recalibration.apply(x, 0.4), a.recalibration.apply(x, 0.4))


def test_train_rescorer_refuses_an_exclusion_list_without_compounds(tmp_path, caplog):
    from specsweep.cli import main
    from specsweep.spectra.ingest import ingest
    mgf = tmp_path / "x.mgf"
    mgf.write_text("BEGIN IONS\nPEPMASS=181.07\nCHARGE=1+\n50 1\n60 2\n70 3\n80 4\n90 5\nEND IONS\n")
    ingest([mgf], tmp_path / "spectra")
    rc = main(["train-rescorer", "--candidates", str(tmp_path / "c.parquet"), "--spectra",
               str(tmp_path / "spectra"), "--exclude-spectra", str(tmp_path / "spectra"),
               "--output", str(tmp_path / "m.json")])
    assert rc == 1 and not (tmp_path / "m.json").exists()
    assert "no annotated compound to exclude" in caplog.text


def test_lists_are_cut_after_the_right_structure_is_removed():
    """A removed copy holds LIST_DEPTH candidates as a searched list would, not LIST_DEPTH - 1
    (a 49-candidate list would otherwise mean "compound absent" to the model)."""
    from specsweep.rescore.features import FEATURES, LIST_DEPTH
    n = LIST_DEPTH + 10
    scores = [30.0] + [20.0 - 0.1 * j for j in range(n - 1)]        # the right one on top
    keys = ["KRIGHT00000000"] + [f"W{j:013d}" for j in range(n - 1)]
    table = pa.table({
        "spectrum_id": ["ref:0"] * n, "rank": list(range(1, n + 1)), "mol_id": keys,
        "is_decoy": [False] * n, "inchikey14": keys, "smiles": ["C"] * n,
        "exact_mass": [300.0] * n, "adduct": ["[M+H]+"] * n, "charge": [1] * n,
        "precursor_error_ppm": [0.0] * n, "score": scores, "n_matched_peaks": [3] * n,
        "explained_intensity": [0.5] * n}, schema=CANDIDATES)
    data, _ = known_answers(table, {"ref:0": "KRIGHT00000000"}, {"ref:0": 10})
    searched = data.at_depth()
    removed = data.take(np.flatnonzero(~data.is_right())).at_depth()
    assert searched.spec.size == removed.spec.size == LIST_DEPTH
    assert searched.is_right().sum() == 1 and removed.is_right().sum() == 0
    col = FEATURES.index("log_candidates")
    assert removed.features()[2][0, col] == searched.features()[2][0, col] == np.log(LIST_DEPTH)


def test_shipped_ranker_is_the_mean_of_the_cross_fitted_rankers():
    """The PEP model learns from cross-fitted rankers' scores, so the ranker it is applied with
    is their mean (a refit on all compounds scores new spectra more confidently)."""
    from specsweep.rescore.features import FEATURES
    from specsweep.rescore.training import RANKER_FEATURES, average_ranker, pep_examples_crossfit
    table, truth = _synthetic()
    data, _ = known_answers(table, truth, {s: 10 for s in truth})
    model = train(data, np.arange(data.true_key.size) % 5 == 0, {"trained_on": {}})
    *_, rankers = pep_examples_crossfit(data.at_depth(), model.info["ranker_l2"])
    assert model.ranker_w == pytest.approx(average_ranker(rankers, model.ranker))
    # the mean ranker's score = the mean of the rankers' scores + one constant
    _, _, X = data.at_depth().features()
    cols = [FEATURES.index(f) for f in RANKER_FEATURES]
    mean_u = np.mean([s.apply(X[:, cols]) @ w for s, w in rankers], axis=0)
    diff = model.rescore(X) - mean_u
    assert np.ptp(diff) < 1e-9


def test_pep_examples_come_from_the_richest_spectra_of_each_compound():
    """Each compound's spectra with the most peaks make PEP examples (the ranker still learns
    from all): of four spectra of one compound with 5, 40, 12 and 40 peaks, the richest three are
    the two with 40 and the one with 12, and the richest one is the first with 40."""
    from specsweep.rescore.training import (PEP_SPECTRA_PER_COMPOUND, pep_examples_crossfit,
                                            richest_spectra)
    table, truth = _synthetic(n_spectra=80)
    for s in range(4):   # spectra 0-3: one compound
        truth[f"ref:{s}"] = "KSAMECOMPOUND0"
    peaks = {sid: 10 for sid in truth}
    peaks.update({"ref:0": 5, "ref:1": 40, "ref:2": 12, "ref:3": 40})
    data, _ = known_answers(table, truth, peaks)
    code = {k: i for i, k in enumerate(["ref:0", "ref:1", "ref:2", "ref:3"])}   # first appearance
    ids = ("ref:0", "ref:1", "ref:2", "ref:3")
    keep3 = richest_spectra(data, 3)
    assert [bool(keep3[code[s]]) for s in ids] == [False, True, True, True]
    keep = richest_spectra(data)
    assert PEP_SPECTRA_PER_COMPOUND == 1
    assert [bool(keep[code[s]]) for s in ids] == [False, True, False, False]
    assert keep[4:].all() and keep3[4:].all()     # one spectrum per other compound: all kept
    _, _, spec, _, _ = pep_examples_crossfit(data, 1.0, keep=keep)
    assert set(spec.tolist()) & set(code.values()) == {code["ref:1"]}


def test_the_pep_map_also_learns_from_another_database():
    """Spectra of the same compounds searched against another database add simulated datasets
    to the map's training (scored by the same fold models); ranker and PEP model are unchanged."""
    table, truth = _synthetic()
    data, _ = known_answers(table, truth, {s: 10 for s in truth})
    other_table, _ = _synthetic(seed=5)   # same spectrum ids and compounds, other candidate lists
    other, _ = known_answers(other_table, truth, {s: 10 for s in truth})
    validation = np.arange(data.true_key.size) % 5 == 0
    alone = train(data, validation, {})
    both = train(data, validation, {}, other_databases=[other])
    assert both.info["pep_recalibration_hits"] > alone.info["pep_recalibration_hits"]
    assert np.array_equal(both.ranker_w, alone.ranker_w) and np.array_equal(both.pep_W, alone.pep_W)
    assert both.recalibration.to_json() != alone.recalibration.to_json()


def _with_formulas(seed=0):
    """The synthetic lists with real formula masses: the right structure's formula is C10H12O4
    in half of the spectra and C11H16O3 (another mass in the same window) in the other half;
    wrong structures mostly have the other formula, every fourth row the right one. The formula
    stage ranks the right formula first in five spectra of six, second in the rest."""
    from specsweep.chem.formulas import formula_mass, parse_formula
    table, truth = _synthetic(seed=seed)
    pair = ("C10H12O4", "C11H16O3")
    mass = {f: formula_mass(parse_formula(f)) for f in pair}
    code = {sid: n for n, sid in enumerate(sorted(truth))}
    keys = table.column("inchikey14").to_pylist()
    ids = table.column("spectrum_id").to_pylist()
    right_of = {sid: pair[n % 2] for sid, n in code.items()}
    other_of = {sid: pair[1 - n % 2] for sid, n in code.items()}
    exact = [mass[right_of[s] if k == truth[s] or i % 4 == 0 else other_of[s]]
             for i, (k, s) in enumerate(zip(keys, ids))]
    table = table.set_column(table.schema.get_field_index("exact_mass"), "exact_mass",
                             pa.array(exact, pa.float64()))
    rows = {"spectrum_id": [], "rank": [], "formula": [], "status": []}
    for sid, n in code.items():
        order = (right_of[sid], other_of[sid]) if n % 6 else (other_of[sid], right_of[sid])
        for r, f in enumerate(order, 1):
            rows["spectrum_id"].append(sid), rows["rank"].append(r)
            rows["formula"].append(f), rows["status"].append("ok")
    return table, truth, pa.table(rows)


def test_the_model_learns_from_the_formula_stage_and_needs_its_results(tmp_path):
    """With the formula stage's results the ranker and the PEP model read the rank of each
    candidate's formula; such a model refuses to rescore without them."""
    from specsweep.rescore.stage import rescore_table, run_rescore
    table, truth, formulas = _with_formulas()
    data, counts = known_answers(table, truth, {s: 10 for s in truth}, formulas=formulas)
    assert data.with_formulas and counts["with_formulas"] == 240
    validation = np.arange(data.true_key.size) % 5 == 0
    model = train(data, validation, {})
    plain = train(known_answers(table, truth, {s: 10 for s in truth})[0], validation, {})
    assert model.uses_formulas and not plain.uses_formulas
    w = dict(zip(model.ranker.features, model.ranker_w))
    assert w["formula_rank_inv"] > 0   # the right structure's formula ranks first more often
    assert "formula_rank_inv" in model.pep.features
    # the formula evidence moves right structures up against their other-formula competitors
    ranked, _ = rescore_table(table, model, {s: 10 for s in truth}, formulas)
    ranked_plain, _ = rescore_table(table, plain, {s: 10 for s in truth})

    def top1(t):
        first = t.filter(pc.and_(pc.equal(t.column("rank"), 1), pc.invert(t.column("is_decoy"))))
        return sum(k == truth[s] for k, s in zip(first.column("inchikey14").to_pylist(),
                                                 first.column("spectrum_id").to_pylist()))
    assert top1(ranked) > top1(ranked_plain)
    model.save(tmp_path / "m.json")
    assert RescoreModel.load(tmp_path / "m.json").uses_formulas
    from specsweep.files import write_table
    from specsweep.spectra.ingest import ingest
    write_table(table, tmp_path / "c.parquet", CANDIDATES)
    (tmp_path / "x.mgf").write_text("BEGIN IONS\nPEPMASS=181.07\nCHARGE=1+\n50 1\n60 2\n70 3\nEND IONS\n")
    ingest([tmp_path / "x.mgf"], tmp_path / "spectra")
    with pytest.raises(ValueError, match="reads the formula stage"):
        run_rescore(tmp_path / "c.parquet", tmp_path / "spectra", tmp_path / "out.parquet",
                    model_path=tmp_path / "m.json")


def test_missing_values_do_not_count_in_a_column_scale():
    from specsweep.rescore.linear import column_scale
    X = np.array([[1.0, 2.0], [3.0, np.nan], [5.0, 6.0], [7.0, np.nan]])
    mean, scale = column_scale(X)
    assert mean[0] == pytest.approx(4.0) and scale[0] == pytest.approx(np.sqrt(5.0))
    assert mean[1] == pytest.approx(4.0) and scale[1] == pytest.approx(2.0)   # from 2 and 6 only
    weighted, _ = column_scale(X, np.array([1.0, 1.0, 3.0, 1.0]))
    assert weighted[1] == pytest.approx((2.0 + 18.0) / 4.0)


def test_formula_results_of_other_spectra_are_refused(tmp_path):
    """A formula-reading model given formulas of other spectra: refused, not rescored as if the
    formula stage had found nothing."""
    from specsweep.files import write_table
    from specsweep.rescore.stage import run_rescore
    from specsweep.schema import FORMULAS
    from specsweep.spectra.ingest import ingest
    table, truth, formulas = _with_formulas()
    data, _ = known_answers(table, truth, {s: 10 for s in truth}, formulas=formulas)
    train(data, np.arange(data.true_key.size) % 5 == 0, {}).save(tmp_path / "m.json")
    write_table(table, tmp_path / "c.parquet", CANDIDATES)
    (tmp_path / "x.mgf").write_text("BEGIN IONS\nPEPMASS=181.07\nCHARGE=1+\n50 1\n60 2\n70 3\nEND IONS\n")
    ingest([tmp_path / "x.mgf"], tmp_path / "spectra")
    other = formulas.set_column(0, "spectrum_id", pa.array([f"other:{s}" for s in
                                                            formulas.column("spectrum_id").to_pylist()]))
    n = other.num_rows
    full = pa.table({f.name: other.column(f.name) if f.name in other.column_names else
                     pa.nulls(n, f.type) for f in FORMULAS})
    write_table(full, tmp_path / "f.parquet", FORMULAS)
    with pytest.raises(ValueError, match="no result for any spectrum"):
        run_rescore(tmp_path / "c.parquet", tmp_path / "spectra", tmp_path / "out.parquet",
                    model_path=tmp_path / "m.json", formulas=tmp_path / "f.parquet")
