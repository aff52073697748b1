"""Precursor isotope patterns from MS1 scans: extraction rules on a made pattern, and the formula
stage on a real data-dependent run (pesticide mix, TripleTOF 6600; tests/data/README.md)."""

import argparse
import shutil

import numpy as np

from specsweep.chem.formulas import parse_formula
from specsweep.files import read_table
from specsweep.formula import commands
from specsweep.formula.isotopes import ion_pattern
from specsweep.formula.ms1 import extract_pattern, precursor_patterns
from specsweep.schema import FORMULAS
from specsweep.spectra.ingest import ingest
from specsweep.spectra.parts import read_spectra
from specsweep.spectra.xml_readers import read_mzml

# compounds of the excerpt (precursor m/z of their [M+H]+ / [M+Na]+ ions): annotations of the same
# run in OpenMS's test data (AssayGeneratorMetabo_ams_output.tsv), checked against the formulas' m/z
TRUTH = {289.1201: "C15H17ClN4", 292.1201: "C15H18ClN3O", 382.9701: "C14H8Cl3F3N2O", 339.9961: "C10H12N3O3PS2"}


def _truth(mz):
    return next((f for m, f in TRUTH.items() if abs(m - mz) < 0.002), None)


def test_extract_pattern_merges_shifts_and_stops_at_gaps():
    mz, p = ion_pattern({"C": 15, "H": 18, "Cl": 1, "N": 3, "O": 1}, 1)  # cyproconazole [M+H]+
    scan_mz = np.concatenate([[mz[0] - 0.5, mz[0] + 0.5], mz[:4], [mz[2] + 0.009, mz[0] + 6.0]])
    scan_int = np.concatenate([[50.0, 60.0], 1000 * p[:4] / p[0], [30.0, 40.0]])
    got_mz, got_int = extract_pattern(scan_mz, scan_int, mz[0] + 0.001)
    assert got_mz.size == 4 and np.isclose(got_mz[0], mz[0])
    # the M+2 shift gathers both peaks within its window (intensity sum, weighted mean m/z)
    assert np.isclose(got_int[2], 1000 * p[2] / p[0] + 30.0)
    assert mz[2] < got_mz[2] < mz[2] + 0.009
    assert extract_pattern(scan_mz, scan_int, mz[0] + 0.05) is None  # no M+0 within tolerance


def test_patterns_from_real_dda_run(test_data):
    path = test_data / "pestmix1_dda_excerpt.mzML"
    ms2 = [r for r in read_mzml(path) if r.ms_level == 2]
    patterns = precursor_patterns(path, {r.index: (r.precursor_mz, 1) for r in ms2})
    assert set(patterns) == {r.index for r in ms2}
    for r in ms2:
        mz, inten = patterns[r.index]
        if _truth(r.precursor_mz) == "C14H8Cl3F3N2O":  # three chlorines: M+2 about as high as M+0
            assert mz.size == 5 and 0.8 < inten[2] / inten[0] < 1.2 and 0.2 < inten[4] / inten[0] < 0.45


def _run(argv):
    parser = argparse.ArgumentParser()
    commands.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.func(args)


def _count(formula: str, element: str) -> int:
    return parse_formula(formula).get(element, 0)


def test_formula_stage_uses_ms1_patterns(tmp_path, test_data):
    """The file names no adduct, so the default adduct set is tried. Chlorine and sulfur show in
    the M+2 peak: with the MS1 patterns every top formula has the true number of Cl and S atoms
    (without them, most do not), and fluopicolide's true formula enters the top 10."""
    mzml = shutil.copy(test_data / "pestmix1_dda_excerpt.mzML", tmp_path / "pestmix.mzML")
    ingest([mzml], tmp_path / "spectra")
    spectra = read_spectra(tmp_path / "spectra", columns=["spectrum_id", "precursor_mz"]).to_pylist()
    truth = {rec["spectrum_id"]: _truth(rec["precursor_mz"]) for rec in spectra}
    assert len(truth) == 5 and all(truth.values())
    right, top10 = {}, {}
    for name, flag in (("ms1", []), ("no_ms1", ["--no-ms1"])):
        out = tmp_path / f"formulas_{name}.parquet"
        assert _run(["formula", "--spectra", str(tmp_path / "spectra"), "--output", str(out),
                     "--elements", "CHNOPSFClBrI", *flag]) == 0
        rows = read_table(out, FORMULAS).to_pylist()
        top = {r["spectrum_id"]: r["formula"] for r in rows if r["rank"] == 1}
        right[name] = sum(all(_count(top[s], e) == _count(f, e) for e in ("Cl", "S")) for s, f in truth.items())
        top10[name] = {(r["spectrum_id"], r["formula"]) for r in rows}
    assert right["ms1"] == 5 and right["no_ms1"] <= 3
    fluopicolide = next((s, f) for s, f in truth.items() if f == "C14H8Cl3F3N2O")
    assert fluopicolide in top10["ms1"] and fluopicolide not in top10["no_ms1"]
