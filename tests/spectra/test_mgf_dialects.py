"""MGF dialects of real exporters: ion mode, charge, adduct and ids read as the exporter meant them."""

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from specsweep.spectra.ingest import IngestParams, ingest, resolve_ion_mode
from specsweep.spectra.parts import read_spectra
from specsweep.spectra.records import RawSpectrum, charge_from_text

DATA = Path(__file__).resolve().parents[1] / "data"


def _rows(tmp_path, name, mode="positive"):
    manifest = ingest([DATA / name], tmp_path / "out", IngestParams(default_ion_mode=mode))
    rows = {r["spectrum_id"]: r for r in read_spectra(tmp_path / "out").to_pylist()}
    rejects = pq.read_table(tmp_path / "out" / "rejects.parquet").to_pylist()
    return manifest, rows, rejects


def test_msdial_export_adduct_wins_over_charge_sign(tmp_path):
    # MS-DIAL writes CHARGE=1+ under ION=[M-H]-: negative, even with a positive default
    manifest, rows, rejects = _rows(tmp_path, "msdial_export_neg.mgf", mode="positive")
    first, acetate, formate = (rows[f"msdial_export_neg:{i}"] for i in range(3))
    assert (first["ion_mode"], first["charge"], first["adduct"]) == ("negative", -1, "[M-H]-")
    assert first["feature_id"] == "1064" and first["scan"] == 1064
    assert first["rt_seconds"] == pytest.approx(4.213 * 60) and first["precursor_mz"] == 353.0878
    assert first["title"] == "ID: 1064|Chlorogenic acid-like"
    assert (acetate["ion_mode"], acetate["adduct"]) == ("negative", "[M+Hac-H]-")
    assert formate["adduct"] == "[M+FA-H]-" and formate["charge"] == -1
    # [M+Na-2H]- is not in the table: a counted reject, not searched under a default set
    assert manifest["counts"]["rejected_by_reason"]["unknown_adduct"] == 1
    assert [(r["record"], r["reason"]) for r in rejects] == [(3, "unknown_adduct")]
    assert "[M+Na-2H]-" in rejects[0]["detail"]


def test_mzmine_fbmn_feature_ids_and_unsigned_charge(tmp_path):
    _, rows, rejects = _rows(tmp_path, "mzmine_fbmn_pos.mgf", mode="negative")
    caffeine, theophylline, doubly = (rows[f"mzmine_fbmn_pos:{i}"] for i in range(3))
    assert not rejects
    assert caffeine["feature_id"] == "17" and caffeine["scan"] == 17 and caffeine["rt_seconds"] == 128.42
    # CHARGE=1+ is signed: positive although the dataset default is negative
    assert (caffeine["ion_mode"], caffeine["charge"], caffeine["adduct"]) == ("positive", 1, None)
    # CHARGE=1 (unsigned) says nothing about polarity: the dataset's ion mode decides
    assert (theophylline["ion_mode"], theophylline["charge"]) == ("negative", -1)
    assert doubly["charge"] == 2 and doubly["feature_id"] == "25"
    # no TITLE: empty title, the feature id and scan identify the spectrum
    assert caffeine["title"] == ""


def test_mzmine_fbmn_negative_run_charge_sign(tmp_path):
    # MZmine writes the scan's polarity after the charge: CHARGE=1- is negative even when the
    # dataset default is positive, and no adduct is assumed unless ION= names one
    _, rows, rejects = _rows(tmp_path, "mzmine_fbmn_neg.mgf", mode="positive")
    plain, chloride, doubly = (rows[f"mzmine_fbmn_neg:{i}"] for i in range(3))
    assert not rejects
    assert (plain["ion_mode"], plain["charge"], plain["adduct"]) == ("negative", -1, None)
    assert plain["feature_id"] == "31" and plain["scan"] == 31 and plain["rt_seconds"] == 252.8
    assert (chloride["ion_mode"], chloride["charge"], chloride["adduct"]) == ("negative", -1, "[M+Cl]-")
    assert chloride["feature_id"] == "32"
    assert (doubly["ion_mode"], doubly["charge"]) == ("negative", -2)
    assert doubly["precursor_mz"] == 95.0062


def test_gnps_library_blocks_without_title(tmp_path):
    _, rows, rejects = _rows(tmp_path, "gnps_library.mgf", mode="negative")
    pos, neg, sodium = (rows[f"gnps_library:{i}"] for i in range(3))
    assert not rejects
    assert pos["title"] == "CCMSLIB00099000001" and pos["scan"] == 1
    # adduct from the last word of NAME; CHARGE=0 then takes the adduct's charge
    assert (pos["ion_mode"], pos["charge"], pos["adduct"]) == ("positive", 1, "[M+H]+")
    assert (neg["ion_mode"], neg["charge"], neg["adduct"]) == ("negative", -1, "[M-H]-")
    assert (sodium["ion_mode"], sodium["charge"], sodium["adduct"]) == ("positive", 1, "[M+Na]+")
    assert pos["annotation_smiles"].startswith("O=c1c(O)")


def test_precedence_when_keys_disagree():
    neg_adduct = RawSpectrum(0, charge=1, ion_mode="positive", adduct="[M+FA-H]-")
    assert resolve_ion_mode(neg_adduct, "positive") == ("negative", -1)
    assert resolve_ion_mode(RawSpectrum(0, charge=2, adduct="M+H"), "negative") == ("positive", 1)
    assert resolve_ion_mode(RawSpectrum(0, charge=1, charge_signed=False), "negative") == ("negative", -1)
    assert resolve_ion_mode(RawSpectrum(0, charge=-1, ion_mode="positive"), "negative") == ("positive", 1)
    assert resolve_ion_mode(RawSpectrum(0, adduct="[M-2H]2-"), "positive") == ("negative", -2)


@pytest.mark.parametrize("text,expected", [("1+", (1, True)), ("2-", (-2, True)), ("-1", (-1, True)),
                                           ("+2", (2, True)), ("1", (1, False)), ("0", (0, False)),
                                           (None, (0, False)), ("2+ and 3+", (0, False)),
                                           ("2+,3+", (0, False))])
def test_charge_texts(text, expected):
    assert charge_from_text(text) == expected


def test_unreadable_charge_is_an_unparsable_block(tmp_path):
    src = tmp_path / "c.mgf"
    src.write_text("BEGIN IONS\nTITLE=x\nPEPMASS=300.0\nCHARGE=one\n100.0 1.0\nEND IONS\n"
                   "BEGIN IONS\nTITLE=ok\nPEPMASS=300.0\n100.0 1.0\nEND IONS\n")  # an ingest must use one
    manifest = ingest([src], tmp_path / "out")
    assert manifest["counts"]["rejected_by_reason"]["unparsable_block"] == 1
    assert manifest["counts"]["written"] == 1
