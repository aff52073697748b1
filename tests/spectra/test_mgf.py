import numpy as np
import pyarrow.parquet as pq
import pytest

from specsweep.spectra.ingest import IngestParams, ingest
from specsweep.spectra.mgf_reader import read_mgf
from specsweep.spectra.parts import read_spectra


def _first_block(path):
    """Header values and peaks of the first block, parsed here without pyteomics."""
    params, peaks = {}, []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line == "END IONS":
            break
        if "=" in line:
            k, v = line.split("=", 1)
            params[k] = v
        elif line and line != "BEGIN IONS":
            peaks.append([float(x) for x in line.split()])
    return params, np.array(peaks)


def test_demo_mgf_count_and_values(demo_mgf, tmp_path):
    manifest = ingest([demo_mgf], tmp_path / "out")
    assert manifest["counts"]["read"] == 50 and manifest["counts"]["written"] == 50
    table = read_spectra(tmp_path / "out")
    assert table.num_rows == 50
    assert table.column("spectrum_id").to_pylist() == [f"demo_spectra:{i}" for i in range(50)]
    row = table.slice(0, 1).to_pylist()[0]
    params, peaks = _first_block(demo_mgf)
    prec = float(params["PEPMASS"])
    assert row["title"] == params["TITLE"]
    assert row["precursor_mz"] == prec
    assert row["charge"] == 1 and row["ion_mode"] == "positive" and row["adduct"] == params["ADDUCT"]
    assert row["annotation_smiles"] == params["SMILES"]
    assert row["annotation_inchikey14"] == params["INCHIKEY"][:14]
    assert row["annotation_formula"] == params["FORMULA"]
    assert row["n_peaks_raw"] == len(peaks)
    kept = peaks[(peaks[:, 1] > 0) & (peaks[:, 0] < prec - 1.5)]
    kept = kept[np.argsort(kept[:, 0])]
    assert row["mz"] == kept[:, 0].tolist()
    assert np.allclose(row["intensity"], kept[:, 1])
    expected_rank = np.empty(len(kept), dtype=int)
    expected_rank[np.lexsort((kept[:, 0], -kept[:, 1]))] = np.arange(1, len(kept) + 1)
    assert row["rank"] == expected_rank.tolist()
    assert row["log_rank"] == [int(np.floor(np.log2(r))) + 1 if r < 64 else 7 for r in expected_rank]


BAD_MGF = """# comment line before the first block
BEGIN IONS
TITLE=good_gnps_style
PEPMASS=300.1200 15000.0
CHARGE=2+
SCANS=17
RTINSECONDS=123.5
IONMODE=Positive
SMILES=N/A
50.0 10.0
150.5 30.0
301.5 12.0
END IONS
BEGIN IONS
TITLE=no_charge_negative
PEPMASS=250.0
ION_MODE=negative
ADDUCT=[M-H]-
100.0 1.0
120.0 2.0
END IONS
BEGIN IONS
TITLE=no_peaks_at_all
PEPMASS=200.0
CHARGE=1+
END IONS
BEGIN IONS
TITLE=missing_pepmass
CHARGE=1+
100.0 5.0
END IONS
BEGIN IONS
TITLE=zero_pepmass
PEPMASS=0.0
100.0 5.0
END IONS
BEGIN IONS
TITLE=nan_intensity
PEPMASS=200.0
100.0 nan
120.0 3.0
END IONS
BEGIN IONS
TITLE=negative_mz
PEPMASS=200.0
-5.0 3.0
120.0 3.0
END IONS
BEGIN IONS
TITLE=garbage_peak_line
PEPMASS=200.0
100.0 abc
END IONS
BEGIN IONS
TITLE=only_zero_and_precursor_peaks
PEPMASS=200.0
CHARGE=1
100.0 0.0
199.5 50.0
201.0 50.0
END IONS
BEGIN IONS
TITLE=unterminated
PEPMASS=200.0
100.0 3.0
BEGIN IONS
TITLE=charge_one_minus
PEPMASS=400.0
CHARGE=1-
150.0 3.0
END IONS
BEGIN IONS
TITLE=truncated_at_end
PEPMASS=200.0
100.0 3.0
"""


def test_bad_blocks_give_exact_reject_reasons(tmp_path):
    src = tmp_path / "bad.mgf"
    src.write_text(BAD_MGF)
    manifest = ingest([src], tmp_path / "out")
    rejects = pq.read_table(tmp_path / "out" / "rejects.parquet").to_pylist()
    got = [(r["record"], r["record_id"], r["reason"]) for r in rejects]
    assert got == [
        (2, "no_peaks_at_all", "no_peaks"),
        (3, "missing_pepmass", "no_precursor"),
        (4, "zero_pepmass", "no_precursor"),
        (5, "nan_intensity", "nan_values"),
        (6, "negative_mz", "negative_mz"),
        (7, "garbage_peak_line", "unparsable_block"),
        (8, "only_zero_and_precursor_peaks", "no_peaks"),
        (9, "unterminated", "unparsable_block"),
        (11, "truncated_at_end", "truncated_file"),     # the file ends inside this block
    ]
    assert all(r["source"] == str(src) and r["detail"] for r in rejects)
    counts = manifest["counts"]
    assert counts["read"] == 12 and counts["written"] == 3 and counts["rejected"] == 9
    assert counts["files_with_faults"] == 1 and manifest["inputs"][0]["file_fault"] == "truncated_file"
    assert counts["rejected_by_reason"] == {
        "unparsable_block": 2, "unsupported_ms_level": 0, "no_precursor": 2, "nan_values": 1,
        "negative_mz": 1, "bad_charge": 0, "unknown_adduct": 0, "no_peaks": 2, "truncated_file": 1, "unreadable_file": 0,
        "not_a_spectrum_file": 0, "empty_file": 0}

    rows = read_spectra(tmp_path / "out").to_pylist()
    assert [r["spectrum_id"] for r in rows] == ["bad:0", "bad:1", "bad:10"]
    good, neg, minus = rows
    assert good["precursor_mz"] == 300.12 and good["charge"] == 2 and good["scan"] == 17
    assert good["rt_seconds"] == 123.5 and good["ion_mode"] == "positive"
    assert good["annotation_smiles"] is None  # N/A is no structure
    # charge 2: 301.5 is within 1.5 Th of the precursor, 150.5 (singly charged fragment) is kept
    assert good["mz"] == [50.0, 150.5] and good["rank"] == [2, 1]
    # no CHARGE, but the adduct [M-H]- says charge 1
    assert neg["charge"] == -1 and neg["ion_mode"] == "negative" and neg["adduct"] == "[M-H]-"
    assert minus["charge"] == -1 and minus["ion_mode"] == "negative"


def test_reader_yields_every_block_in_order(tmp_path):
    src = tmp_path / "bad.mgf"
    src.write_text(BAD_MGF)
    records = list(read_mgf(src))
    assert [r.index for r in records] == list(range(12))
    assert records[0].charge == 2 and records[1].charge == 0


def test_header_parameters_apply_to_every_block(tmp_path):
    src = tmp_path / "header.mgf"
    src.write_text("CHARGE=2+\nBEGIN IONS\nPEPMASS=300.0\n100.0 1.0\nEND IONS\n"
                   "BEGIN IONS\nPEPMASS=300.0\nCHARGE=1+\n100.0 1.0\nEND IONS\n"
                   "BEGIN IONS\nPEPMASS=300.0\nCHARGE=2+ and 3+\n100.0 1.0\nEND IONS\n")
    assert [r.charge for r in read_mgf(src)] == [2, 1, 0]


def test_unknown_and_missing_inputs_are_clear_errors(tmp_path):
    other = tmp_path / "spectra.txt"
    other.write_text("x")
    with pytest.raises(ValueError, match="unknown spectrum format"):
        ingest([other], tmp_path / "out")
    with pytest.raises(FileNotFoundError, match="no such file"):
        ingest([tmp_path / "absent.mgf"], tmp_path / "out")
    with pytest.raises(ValueError, match="no .mgf"):
        ingest([tmp_path], tmp_path / "out", IngestParams())
