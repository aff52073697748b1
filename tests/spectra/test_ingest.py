import argparse
import json

import pyarrow.parquet as pq
import pytest

from specsweep.spectra import commands
from specsweep.spectra.ingest import IngestParams, ingest
from specsweep.spectra.inputs import spectrum_stems
from specsweep.spectra.parts import list_parts, read_manifest, read_spectra


def _files(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_same_input_gives_byte_identical_output(demo_mgf, tmp_path):
    ingest([demo_mgf], tmp_path / "a", IngestParams(part_size=16))
    ingest([demo_mgf], tmp_path / "b", IngestParams(part_size=16))
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert sorted(a) == ["manifest.json", "part-00000.parquet", "part-00001.parquet",
                         "part-00002.parquet", "part-00003.parquet", "rejects.parquet"]
    assert a == b


def test_parts_have_fixed_size_and_keep_order(demo_mgf, tmp_path):
    manifest = ingest([demo_mgf], tmp_path / "out", IngestParams(part_size=7))
    parts = list_parts(tmp_path / "out")
    sizes = [pq.read_metadata(p).num_rows for p in parts]
    assert sizes == [7] * 7 + [1]
    assert [p["n_spectra"] for p in manifest["parts"]] == sizes
    ids = read_spectra(tmp_path / "out", columns=["spectrum_id"]).column("spectrum_id").to_pylist()
    assert ids == [f"demo_spectra:{i}" for i in range(50)]
    # the part split does not change the content
    ingest([demo_mgf], tmp_path / "one", IngestParams(part_size=5000))
    assert read_spectra(tmp_path / "one").equals(read_spectra(tmp_path / "out"))


def test_rerun_replaces_old_parts_and_refuses_foreign_folders(demo_mgf, tmp_path):
    out = tmp_path / "out"
    ingest([demo_mgf], out, IngestParams(part_size=5))
    ingest([demo_mgf], out, IngestParams(part_size=25))
    assert [p.name for p in list_parts(out)] == ["part-00000.parquet", "part-00001.parquet"]
    assert read_manifest(out)["params"]["part_size"] == 25
    (out / "keep.txt").write_text("someone else's file")
    with pytest.raises(ValueError, match="not a spectra folder"):
        ingest([demo_mgf], out)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder left


def test_colliding_file_stems_get_relative_paths(tmp_path):
    a = tmp_path / "d1" / "x.mgf"
    b = tmp_path / "d2" / "deeper" / "x.mzML.gz"
    c = tmp_path / "d2" / "y.mgf"
    stems = spectrum_stems([a, b, c])
    assert stems == {a: "d1/x", b: "d2/deeper/x", c: "y"}
    d, e = tmp_path / "z.mgf", tmp_path / "z.mzXML"
    assert spectrum_stems([d, e]) == {d: "z.mgf", e: "z.mzXML"}


def test_cli_parses_options_and_writes_folder(demo_mgf, tmp_path):
    parser = argparse.ArgumentParser()
    commands.register(parser.add_subparsers())
    args = parser.parse_args(["ingest", "--input", str(demo_mgf), "--output-dir", str(tmp_path / "out"),
                              "--part-size", "30", "--top-n", "5", "--precursor-window-th", "2.0"])
    assert args.func(args) == 0
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["params"] == {"part_size": 30, "top_n": 5, "precursor_window_th": 2.0,
                                  "max_charge": 2, "default_ion_mode": "positive"}
    assert manifest["inputs"][0]["sha256"] and len(manifest["parts"]) == 2
    table = read_spectra(tmp_path / "out")
    lengths = table.column("mz").combine_chunks().value_lengths().to_pylist()
    assert max(lengths) == 5


def test_dev_500_ingests_completely(shared_data, tmp_path):
    src = shared_data / "spectra" / "massbank_hr_pos_MH_dev_500.mgf"
    manifest = ingest([src], tmp_path / "out")
    assert manifest["counts"]["read"] == 500 and manifest["counts"]["written"] == 500
    table = read_spectra(tmp_path / "out", columns=["annotation_inchikey14", "charge", "precursor_mz", "mz"])
    keys = table.column("annotation_inchikey14").to_pylist()
    assert len(set(keys)) == 500 and all(k and len(k) == 14 for k in keys)
    assert set(table.column("charge").to_pylist()) == {1}
    for prec, mz in zip(table.column("precursor_mz").to_pylist(), table.column("mz").to_pylist()):
        assert mz and max(mz) < prec - 1.5


def test_gzipped_mgf_and_load_spectra(demo_mgf, tmp_path):
    import gzip

    from specsweep.spectra.ingest import load_spectra

    gz = tmp_path / "demo_spectra.mgf.gz"
    gz.write_bytes(gzip.compress(demo_mgf.read_bytes()))
    from_gz = load_spectra(gz).drop_columns(["source_file"])
    ingest([demo_mgf], tmp_path / "out")
    from_dir = load_spectra(tmp_path / "out").drop_columns(["source_file"])
    assert from_gz.num_rows == 50 and from_gz.equals(from_dir)


def test_ion_mode_and_charge_sign_resolution():
    from specsweep.spectra.ingest import resolve_ion_mode
    from specsweep.spectra.records import RawSpectrum

    assert resolve_ion_mode(RawSpectrum(0, charge=1, ion_mode="negative"), "positive") == ("negative", -1)
    assert resolve_ion_mode(RawSpectrum(0, charge=-2), "positive") == ("negative", -2)
    assert resolve_ion_mode(RawSpectrum(0, charge=0), "negative") == ("negative", 0)
    assert resolve_ion_mode(RawSpectrum(0, charge=0), "positive") == ("positive", 0)
