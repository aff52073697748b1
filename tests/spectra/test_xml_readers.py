import gzip
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from specsweep.spectra.ingest import ingest
from specsweep.spectra.parts import read_spectra
from specsweep.spectra.xml_readers import read_mzml, read_mzxml
from tests.spectra.msfiles import write_mzml, write_mzxml


MS2_MZ = [55.0184, 81.0340, 109.0289, 127.0395]
MS2_INT = [120.5, 3400.25, 980.0, 15.0]


def _mzml_spectra():
    return [
        dict(scan=1, ms_level=1, mz=[300.0, 400.0], intensity=[1e5, 2e5], rt_minutes=1.0),
        dict(scan=2, ms_level=2, mz=MS2_MZ, intensity=MS2_INT, precursor_mz=145.0495, charge=1,
             rt_minutes=1.25),
        dict(scan=3, ms_level=2, mz=[60.0], intensity=[1.0], precursor_mz=145.0, bad_binary=True),
        dict(scan=4, ms_level=2, mz=[90.0, 95.5], intensity=[7.0, 8.0], precursor_mz=191.0197,
             polarity="negative", compress=False),
        dict(scan=5, ms_level=3, mz=[60.0], intensity=[1.0], precursor_mz=145.0),
        dict(scan=6, ms_level=2, mz=[60.0], intensity=[1.0]),
    ]


def test_mzml_values_round_trip(tmp_path):
    src = tmp_path / "run1.mzML"
    write_mzml(src, _mzml_spectra())
    recs = list(read_mzml(src))
    assert [r.index for r in recs] == list(range(6))
    ms2 = recs[1]
    assert ms2.ms_level == 2 and ms2.scan == 2 and ms2.precursor_mz == 145.0495 and ms2.charge == 1
    assert ms2.rt_seconds == 75.0 and ms2.ion_mode == "positive"
    assert ms2.mz.tolist() == MS2_MZ
    assert np.allclose(ms2.intensity, MS2_INT)
    assert recs[2].error == "unparsable_block"
    assert recs[3].ion_mode == "negative" and recs[3].charge == 0


def test_mzml_ingest_skips_ms1_and_rejects_bad_spectra(tmp_path):
    src = tmp_path / "run1.mzML"
    write_mzml(src, _mzml_spectra())
    manifest = ingest([src], tmp_path / "out")
    c = manifest["counts"]
    assert (c["read"], c["written"], c["rejected"], c["skipped_ms1"]) == (6, 2, 3, 1)
    rejects = pq.read_table(tmp_path / "out" / "rejects.parquet").to_pylist()
    assert [(r["record"], r["reason"]) for r in rejects] == [
        (2, "unparsable_block"), (4, "unsupported_ms_level"), (5, "no_precursor")]
    rows = read_spectra(tmp_path / "out").to_pylist()
    assert [r["spectrum_id"] for r in rows] == ["run1:1", "run1:3"]
    assert rows[0]["scan"] == 2 and rows[0]["title"] == "controllerType=0 controllerNumber=1 scan=2"
    assert rows[0]["mz"] == MS2_MZ and rows[0]["rank"] == [3, 1, 2, 4]
    assert rows[1]["ion_mode"] == "negative" and rows[1]["charge"] == 0


def test_mzxml_nested_scans_round_trip(tmp_path):
    src = tmp_path / "run2.mzXML"
    write_mzxml(src, dict(mz=[300.0, 400.0], intensity=[1e5, 2e5], rt_seconds=60.0),
                [dict(mz=MS2_MZ, intensity=MS2_INT, precursor_mz=145.0495, charge=1, rt_seconds=61.5),
                 dict(mz=[70.0, 80.0], intensity=[3.0, 1.0], precursor_mz=180.0634, rt_seconds=62.0,
                      polarity="-")],
                compress=True)
    recs = list(read_mzxml(src))
    assert [(r.scan, r.ms_level) for r in recs] == [(1, 1), (2, 2), (3, 2)]
    assert recs[1].precursor_mz == 145.0495 and recs[1].charge == 1 and recs[1].rt_seconds == 61.5
    assert recs[1].mz.tolist() == MS2_MZ and recs[1].intensity.tolist() == MS2_INT
    assert recs[2].ion_mode == "negative" and recs[2].charge == 0


def test_gzipped_xml_and_folders(tmp_path):
    data = tmp_path / "dataset" / "sub"
    data.mkdir(parents=True)
    plain = tmp_path / "run1.mzML"
    write_mzml(plain, _mzml_spectra())
    with gzip.open(data / "run1.mzML.gz", "wb") as fh:
        fh.write(plain.read_bytes())
    write_mzxml(data / "run2.mzXML", dict(mz=[300.0], intensity=[1.0], rt_seconds=1.0),
                [dict(mz=MS2_MZ, intensity=MS2_INT, precursor_mz=145.0495, charge=1, rt_seconds=2.0)])
    (data / "notes.txt").write_text("not spectra")
    manifest = ingest([tmp_path / "dataset"], tmp_path / "out")
    assert [(Path(f["path"]).name, f["format"]) for f in manifest["inputs"]] == [
        ("run1.mzML.gz", "mzml"), ("run2.mzXML", "mzxml")]
    ids = read_spectra(tmp_path / "out").column("spectrum_id").to_pylist()
    assert ids == ["run1:1", "run1:3", "run2:1"]
