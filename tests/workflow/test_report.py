"""The report stage on real demo spectra: peaks explained by the true structure are highlighted,
the page is self-contained and byte-stable."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pytest

from specsweep import schema
from specsweep.files import read_table, write_table
from specsweep.params.options import Tolerance
from specsweep.report.annotate import match_peaks
from specsweep.report.curves import accepted_vs_qvalue, decoy_fraction_by_score

pytest.importorskip("specsweep.fragment.graph")


def test_match_peaks_takes_the_closest_ion_within_tolerance():
    ions = np.array([100.0, 150.02, 150.00, 300.0])
    peaks = np.array([99.995, 150.015, 200.0, 300.011, 150.004])
    assert match_peaks(peaks, ions, Tolerance(0.01)).tolist() == [0, 1, -1, -1, 2]
    assert match_peaks(peaks, np.array([]), Tolerance(0.01)).tolist() == [-1] * 5


def test_curves_count_ties_together():
    t, c = accepted_vs_qvalue(np.array([0.0, 0.01, 0.01, 0.04, 0.5]), max_q=0.05, n_points=6)
    assert t[1] == pytest.approx(0.01)
    assert c.tolist() == [1, 3, 3, 3, 4, 4]
    s, fdr = decoy_fraction_by_score(np.array([5.0, 4.0, 4.0, 3.0]),
                                     np.array([False, True, False, True]))
    assert s.tolist() == [5.0, 4.0, 3.0]
    # (D + 1) / T: 1/1, then 2/2 (tie counted at once), then 3/2
    assert fdr.tolist() == [1.0, 1.0, 1.5]


def _demo_results(tmp_path, demo_mgf, demo_molecules, identified=4):
    """Results folder from the real demo spectra: ingested parts, and candidates naming each
    spectrum's true structure as the best target (a decoy second), with FDR rows, and a small
    database (the first 40 demo molecules)."""
    from specsweep.cli import main
    from specsweep.spectra.ingest import ingest
    from specsweep.files import read_table, write_json

    ds = tmp_path / "results" / "datasets" / "demo"
    ingest([demo_mgf], ds / "spectra")
    spectra = read_table(next((ds / "spectra").glob("part-*.parquet")), schema.SPECTRA).to_pylist()[:8]
    rows, ids = [], []
    for i, s in enumerate(spectra):
        common = dict(spectrum_id=s["spectrum_id"], inchikey14=s["annotation_inchikey14"],
                      smiles=s["annotation_smiles"], exact_mass=s["precursor_mz"] - 1.007276,
                      adduct="[M+H]+", charge=1, precursor_error_ppm=0.0,
                      n_matched_peaks=5, explained_intensity=0.5)
        rows.append(dict(common, rank=1, mol_id=f"M{i}", is_decoy=False, score=20.0 - i))
        rows.append(dict(common, rank=2, mol_id=f"M{i}", is_decoy=True, score=1.0 - i))
        ids.append(dict(common, mol_id=f"M{i}", score=20.0 - i, q_value=0.01 * i,
                        compound_q_value=0.01 * i, rank=1, feature_id=None, scan=s["scan"],
                        precursor_mz=s["precursor_mz"], rt_seconds=s["rt_seconds"],
                        pep=None, pep_q_value=None, identified=i < identified))
    write_table(pa.Table.from_pylist(rows), ds / "candidates.parquet", schema.CANDIDATES)
    write_table(pa.Table.from_pylist(ids), ds / "fdr" / "identifications.parquet", schema.IDENTIFICATIONS)
    write_json({"spectra": len(spectra)}, ds / "fdr" / "summary.json")
    few = tmp_path / "few.tsv"
    few.write_text("".join(demo_molecules.read_text().splitlines(keepends=True)[:41]))
    db = tmp_path / "results" / "db"
    assert main(["prepare-db", "--input", str(few), "--output", str(db / "molecules.parquet")]) == 0
    assert main(["fragment", "--molecules", str(db / "molecules.parquet"), "--output-dir", str(db / "fragments"),
                 "--decoy-pool-molecules", "40"]) == 0
    return tmp_path / "results", spectra


def _run_report(results, out):
    from specsweep.cli import main
    ran = [] if (results / "datasets" / "demo" / "translations.parquet").exists() else ["--no-translations"]
    assert main(["report", "--results-dir", str(results), "--output", str(out), "--top-spectra", "4",
                 "--no-formulas", *ran]) == 0
    return out.read_text()


def test_report_highlights_peaks_the_true_structure_explains(tmp_path, demo_mgf, demo_molecules):
    results, spectra = _demo_results(tmp_path, demo_mgf, demo_molecules)
    page = _run_report(results, tmp_path / "report.html")
    assert page.startswith("<!DOCTYPE html>")
    # self-contained: every image inline, nothing fetched from elsewhere
    srcs = re.findall(r'src="([^"]*)"', page)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert "http://" not in page and "https://" not in page
    # 2 score histograms + FDR curves + 4 annotated spectra
    assert len(srcs) == 7
    explained = [(int(a), int(b)) for a, b in re.findall(r"(\d+) of (\d+) peaks explained", page)]
    assert len(explained) == 4
    # the true structure explains some peaks of most real spectra, never more than there are
    assert sum(a > 0 for a, _ in explained) >= 3
    assert all(a <= b for a, b in explained)
    assert "<td>spectra ingested</td><td class=\"num\">50</td>" in page
    assert "same compound" in page
    assert "<td>targets</td>" in page   # the database section, from its manifest
    # byte-stable
    again = _run_report(results, tmp_path / "again.html")
    assert again == page


def test_report_refuses_a_missing_stage_output(tmp_path, demo_mgf, demo_molecules, caplog):
    from specsweep.cli import main
    results, _ = _demo_results(tmp_path, demo_mgf, demo_molecules)
    # formulas were expected (the formula stage is on) but are not there: an error, not an empty section
    assert main(["report", "--results-dir", str(results), "--output", str(tmp_path / "r.html")]) == 1
    assert "formulas.parquet: missing; the formula stage has not finished" in caplog.text
    (results / "datasets" / "demo" / "fdr" / "summary.json").unlink()
    assert main(["report", "--results-dir", str(results), "--output", str(tmp_path / "r.html"),
                 "--no-formulas", "--no-translations"]) == 1
    assert "summary.json: missing; the fdr stage has not finished" in caplog.text
    assert not (tmp_path / "r.html").exists()


def _translations(ds, spectra, toy: bool):
    import json as _json
    rows = [dict(spectrum_id=s["spectrum_id"], rank=1, smiles="C" * 120, inchikey14="X" * 14,
                 beam_logprob=-1.0, mass_error_ppm=1.0, formula_match=False, fragment_score=0.0,
                 rerank_score=0.0) for s in spectra]
    write_table(pa.Table.from_pylist(rows), ds / "translations.parquet", schema.TRANSLATIONS,
                metadata={schema.TRANSLATOR_META_KEY: _json.dumps(
                    {"toy": toy, "pretrain": {"steps": 60, "examples": 800}})})


def test_report_survives_math_text_ids_and_marks_a_toy_translator(tmp_path, demo_mgf, demo_molecules):
    """A molecule id with '$_$' (matplotlib math text) is drawn as text; a toy translator's
    strings stay out of the summary table, with a note saying why."""
    results, spectra = _demo_results(tmp_path, demo_mgf, demo_molecules)
    ds = results / "datasets" / "demo"
    cands = read_table(ds / "candidates.parquet", schema.CANDIDATES)
    odd = [f"x$_$y{i}" for i in range(cands.num_rows // 2) for _ in range(2)]
    cands = cands.set_column(cands.schema.get_field_index("mol_id"), "mol_id", pa.array(odd))
    write_table(cands, ds / "candidates.parquet", schema.CANDIDATES)
    ident = read_table(ds / "fdr" / "identifications.parquet", schema.IDENTIFICATIONS)
    ident = ident.set_column(ident.schema.get_field_index("mol_id"), "mol_id", pa.array(odd[0::2]))
    write_table(ident, ds / "fdr" / "identifications.parquet", schema.IDENTIFICATIONS)
    _translations(ds, spectra, toy=True)
    page = _run_report(results, tmp_path / "report.html")
    assert "x$_$y0" in page
    assert "top de novo structure" not in page and "toy translator" in page
    assert "60 steps on 800 examples" in page
    _translations(ds, spectra, toy=False)
    page = _run_report(results, tmp_path / "real.html")
    assert "top de novo structure" in page and "toy translator" not in page


def test_large_formula_trees_are_collapsed():
    from specsweep.report.plots import collapse_tree
    # a chain 0 -> 1 -> ... -> 9 and leaves 10..39 hanging from node 1; intensity grows with id
    edges = [{"source": i, "target": i + 1, "loss": "CH2"} for i in range(9)]
    edges += [{"source": 1, "target": i, "loss": "H2O"} for i in range(10, 40)]
    nodes = [{"id": i, "formula": f"F{i}", "mz": 100.0 + i, "rel_intensity": i / 40} for i in range(40)]
    small = collapse_tree({"root": "F0", "nodes": nodes, "edges": edges}, 8)
    kept = sorted(n["id"] for n in small["nodes"])
    # the six most intense leaves and the two ancestors they need (root, node 1)
    assert kept == [0, 1, 34, 35, 36, 37, 38, 39]
    assert all(e["source"] in kept and e["target"] in kept for e in small["edges"])
    assert len(small["edges"]) == len(kept) - 1      # still a tree


def test_nothing_below_the_accepted_level_is_called_identified(tmp_path, demo_mgf, demo_molecules):
    results, _ = _demo_results(tmp_path, demo_mgf, demo_molecules, identified=0)
    page = _run_report(results, tmp_path / "report.html")
    assert "Best target hits (none identified)" in page and "Top identifications" not in page
    assert "identified: <b>" not in page and "best target hit: <b>" in page


def test_histogram_winners_follow_the_fdr_tie_rule():
    """A spectrum whose best target and best decoy score alike is a decoy win, in the plots as in
    the FDR accounting."""
    from specsweep.report.html import spectrum_winner_scores
    rows = [dict(spectrum_id="a", rank=1, is_decoy=False, score=5.0),
            dict(spectrum_id="a", rank=1, is_decoy=True, score=5.0),
            dict(spectrum_id="b", rank=1, is_decoy=False, score=4.0),
            dict(spectrum_id="b", rank=2, is_decoy=False, score=3.0),
            dict(spectrum_id="b", rank=1, is_decoy=True, score=2.0)]
    score, decoy = spectrum_winner_scores(pa.Table.from_pylist(rows), "score")
    assert sorted(zip(score.tolist(), decoy.tolist())) == [(4.0, False), (5.0, True)]


def test_pep_levels_show_their_expected_wrong_count_and_interval():
    from specsweep.report.html import identified_rows
    summary = {"acceptance": {"measure": "pep_q_value", "level_name": "5%"},
               "spectra_accounting": {"identified": 231, "identified_compounds": 229,
                                      "target_won": 400, "decoy_won": 91},
               "measures": {"q_value": {"levels": {"5%": {"accepted": 12, "unique_compounds": 12}}},
                            "pep_q_value": {"levels": {
                                "5%": {"accepted": 231, "unique_compounds": 229,
                                       "expected_wrong": 11.5, "wrong_interval_90": [6, 17]},
                                "1%": {"accepted": 0, "unique_compounds": 0,
                                       "expected_wrong": 0.0, "wrong_interval_90": [0, 0]}}}}}
    rows = dict((k.strip(), v) for k, v in identified_rows(summary))
    assert rows["spectra accepted at pep_q_value <= 5%"] == "231 (expected wrong 11.5, 90 % interval 6-17)"
    assert rows["spectra accepted at pep_q_value <= 1%"] == 0
    assert rows["spectra accepted at q_value <= 5%"] == 12   # no interval for the decoy measure
