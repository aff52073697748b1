"""Whole-file faults at ingest: each bad file is one reject row with a file-level reason, the
spectra read before a fault are kept, the rest of the dataset goes on, and an input that gives
no spectrum at all is an error (exit 1, nothing written)."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from specsweep.cli import main
from tests.faults.badfiles import write_bad, write_good

FILE_REASONS = ("empty_file", "not_a_spectrum_file", "truncated_file", "unreadable_file")


@pytest.fixture()
def bad_files(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    return folder, write_bad(folder)


def _ingest(inputs, out):
    return main(["ingest", "--input", *map(str, inputs), "--output-dir", str(out)])


@pytest.mark.parametrize("name", ["empty.mgf", "blank.mzML", "noise.mgf", "noise.mzML", "noise.mzXML.gz",
                                  "notes.mgf"])
def test_bad_file_alone_is_an_error(bad_files, tmp_path, caplog, name):
    folder, expected = bad_files
    assert _ingest([folder / name], tmp_path / "out") == 1
    reason = expected[name][0]
    assert "no spectrum could be used" in caplog.text
    assert f"{folder / name}: 1 records, 1 rejected ({reason}:" in caplog.text
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.glob(".out.*"))


def test_named_file_that_cannot_be_opened_is_an_error(bad_files, tmp_path, caplog):
    """Named on the command line, a dangling link is an input error; inside a folder it is an
    unreadable_file reject (test_mixed_folder_goes_on_with_exact_counts)."""
    folder, _ = bad_files
    assert _ingest([folder / "gone.mgf"], tmp_path / "out") == 1
    assert f"{folder / 'gone.mgf'}: no such file" in caplog.text


@pytest.mark.parametrize("name,kept", [("cut.mgf.gz", 6), ("cut.mzML", 1)])
def test_truncated_file_alone_keeps_what_was_read(bad_files, tmp_path, name, kept):
    folder, _ = bad_files
    assert _ingest([folder / name], tmp_path / "out") == 0
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    c = manifest["counts"]
    assert (c["read"], c["written"], c["rejected"], c["files_with_faults"]) == (kept + 1, kept, 1, 1)
    rejects = pq.read_table(tmp_path / "out" / "rejects.parquet").to_pylist()
    assert [(r["record"], r["reason"]) for r in rejects] == [(kept, "truncated_file")]


def test_mixed_folder_goes_on_with_exact_counts(bad_files, tmp_path):
    folder, expected = bad_files
    good = write_good(folder)
    assert _ingest([folder], tmp_path / "out") == 0
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    by_name = {f["path"].rsplit("/", 1)[1]: f for f in manifest["inputs"]}
    assert set(by_name) == set(expected) | set(good)
    for name, n in good.items():
        f = by_name[name]
        assert (f["written"], f["rejected"], f["file_fault"]) == (n, 0, None), name
    for name, (reason, kept) in expected.items():
        f = by_name[name]
        assert (f["file_fault"], f["written"], f["rejected"], f["read"]) == (reason, kept, 1, kept + 1), name
    c = manifest["counts"]
    assert c["written"] == 15 + 7 and c["rejected"] == 9 and c["files_with_faults"] == 9
    assert c["read"] == c["written"] + c["rejected"] + c["skipped_ms1"]
    assert {r: c["rejected_by_reason"][r] for r in FILE_REASONS} == {
        "empty_file": 2, "not_a_spectrum_file": 3, "truncated_file": 2, "unreadable_file": 2}
    rejects = pq.read_table(tmp_path / "out" / "rejects.parquet").to_pylist()
    assert sorted((r["source"].rsplit("/", 1)[1], r["reason"]) for r in rejects) == sorted(
        (name, reason) for name, (reason, _) in expected.items())
    assert all(r["detail"] for r in rejects)


def test_file_faults_reach_the_fdr_summary(bad_files, tmp_path, small_db):
    folder, _ = bad_files
    write_good(folder)
    spectra, cands, fdr = tmp_path / "spectra", tmp_path / "c.parquet", tmp_path / "fdr"
    assert _ingest([folder], spectra) == 0
    assert main(["search", "--spectra", str(spectra), "--db", str(small_db), "--output", str(cands)]) == 0
    assert main(["fdr", "--candidates", str(cands), "--spectra", str(spectra), "--output-dir", str(fdr)]) == 0
    acc = json.loads((fdr / "summary.json").read_text())["spectra_accounting"]
    assert acc["input_total"] == 22 + 9 and acc["rejected"] == 9
    assert acc["rejected_by_reason"]["truncated_file"] == 2 and acc["rejected_by_reason"]["empty_file"] == 2
