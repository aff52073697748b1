"""[M]+ ions in the formula stage: the ion is the molecule less one electron, so the molecule may be
odd-electron (a permanently charged compound as written) or closed-shell (a radical cation M•+);
every other ion type keeps the even-electron rule. Spectra as a file names them, through ingest."""

import argparse

from specsweep.chem.adducts import get_adduct
from specsweep.chem.formulas import formula_mass, parse_formula, rdbe
from specsweep.chem.masses import ELECTRON
from specsweep.files import read_table
from specsweep.formula import commands
from specsweep.schema import FORMULAS
from specsweep.spectra.ingest import ingest

# Choline (C5H14NO+, a quaternary ammonium: as written an odd-electron formula, RDBE -0.5), its
# ESI-MS/MS product ions as libraries record them (MassBank/MoNA choline spectra): trimethylammonium
# C3H10N+ 60.0808, C3H8N+ 58.0651, the trimethylamine radical cation C3H9N•+ 59.0730, and the
# hydroxyethyl cation C2H5O+ 45.0335; precursor 104.1070.
CHOLINE = [(45.03349, 150.0), (58.06513, 210.0), (59.07295, 90.0), (60.08078, 1000.0), (104.10699, 400.0)]
# Toluene's electron-ionisation spectrum (C7H8•+ 92.0621; tropylium C7H7+ 91.0542 as base peak,
# C5H5+ 65.0386, C3H3+ 39.0229): a closed-shell molecule seen as its radical cation.
TOLUENE = [(39.02293, 60.0), (65.03858, 110.0), (91.05423, 1000.0), (92.06205, 700.0)]


def _mgf(path, spectra):
    blocks = []
    for title, adduct, peaks in spectra:
        precursor = max(mz for mz, _ in peaks)
        lines = ["BEGIN IONS", f"TITLE={title}", f"PEPMASS={precursor}", "CHARGE=1+", "ION_MODE=positive",
                 f"ADDUCT={adduct}", *[f"{mz} {i}" for mz, i in peaks], "END IONS", ""]
        blocks.append("\n".join(lines))
    path.write_text("\n".join(blocks))
    return path


def _top_rows(tmp_path, spectra):
    ingest([_mgf(tmp_path / "in.mgf", spectra)], tmp_path / "spectra")
    parser = argparse.ArgumentParser()
    commands.register(parser.add_subparsers())
    args = parser.parse_args(["formula", "--spectra", str(tmp_path / "spectra"), "--output",
                              str(tmp_path / "f.parquet"), "--ppm", "5"])
    assert args.func(args) == 0
    rows = read_table(tmp_path / "f.parquet", FORMULAS).to_pylist()
    return {r["spectrum_id"].split(":")[1]: r for r in rows if r["rank"] == 1}, rows


def test_files_naming_m_plus_get_odd_electron_molecules_and_radical_cations(tmp_path):
    # the masses above are those of the ions: the molecule's mass less one electron
    assert abs(get_adduct("[M]+").mz(formula_mass({"C": 7, "H": 8})) - 92.06205) < 2e-5
    assert abs(formula_mass(parse_formula("C5H14NO")) - ELECTRON - 104.10699) < 2e-5
    top, rows = _top_rows(tmp_path, [("choline", "[M]+", CHOLINE), ("choline_as_MH", "[M+H]+", CHOLINE),
                                     ("toluene", "M+.", TOLUENE)])
    assert len(top) == 3
    # the permanent cation, as written: odd-electron, allowed because the ion is the molecule itself
    assert (top["0"]["formula"], top["0"]["adduct"]) == ("C5H14NO", "[M]+")
    assert top["0"]["n_explained_peaks"] >= 3
    # the same peaks named [M+H]+: the even-electron rule holds, so the molecule is C5H13NO
    by_spectrum = {}
    for r in rows:
        by_spectrum.setdefault(r["spectrum_id"].split(":")[1], []).append(r["formula"])
    assert top["1"]["formula"] == "C5H13NO" and "C5H14NO" not in by_spectrum["1"]
    assert rdbe(parse_formula("C5H14NO")) == -0.5
    assert all(rdbe(parse_formula(f)) == int(rdbe(parse_formula(f))) for f in by_spectrum["1"])
    # a radical cation (a spelling with the radical dot, read as [M]+): the closed-shell molecule
    assert (top["2"]["formula"], top["2"]["adduct"]) == ("C7H8", "[M]+")
    assert top["2"]["n_explained_peaks"] >= 2
