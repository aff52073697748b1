"""A database folder is checked against its manifest when opened: a partial, mixed, resized,
corrupted or foreign database is refused by `search` with a message naming the file and the
remedy, before any spectrum is scored."""

from __future__ import annotations

import json
import shutil

import pytest

from specsweep.cli import main
from specsweep.files import FolderCheckError
from specsweep.search.database import read_manifest

REMEDY = "Rerun `specsweep fragment` into an empty folder"


@pytest.fixture()
def db_copy(tmp_path, small_db):
    db = tmp_path / "db"
    shutil.copytree(small_db, db)
    return db


def _search(db, spectra, out, *extra):
    return main(["search", "--spectra", str(spectra), "--db", str(db), "--output", str(out), *extra])


def _shards(db):
    return json.loads((db / "manifest.json").read_text())["shards"]


def test_clean_database_opens_with_checksums(small_db):
    shards, manifest = read_manifest(small_db, verify_checksums=True)
    assert len(shards) >= 3 and all(s.path.exists() for s in shards)
    assert all(e["bytes"] == (small_db / e["file"]).stat().st_size for e in manifest["shards"])


def test_missing_shard_is_refused(db_copy, small_spectra, tmp_path, caplog):
    victim = _shards(db_copy)[1]["file"]
    (db_copy / victim).unlink()
    assert _search(db_copy, small_spectra, tmp_path / "c.parquet") == 1
    assert f"{db_copy / victim}: listed in" in caplog.text and "partial" in caplog.text
    assert REMEDY in caplog.text
    assert not (tmp_path / "c.parquet").exists()


def test_shard_of_another_run_is_refused(db_copy, small_spectra, tmp_path, caplog):
    shutil.copy(db_copy / _shards(db_copy)[0]["file"], db_copy / "shard-0099.parquet")
    assert _search(db_copy, small_spectra, tmp_path / "c.parquet") == 1
    assert "shard-0099.parquet: not listed in" in caplog.text and REMEDY in caplog.text


def test_resized_shard_is_refused_without_checksums(db_copy):
    path = db_copy / _shards(db_copy)[0]["file"]
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(FolderCheckError, match="bytes, but .* records"):
        read_manifest(db_copy, verify_checksums=False)


def test_corrupted_shard_is_refused_by_search(db_copy, small_spectra, tmp_path, caplog):
    """Same size, a few bytes changed in the middle (a bad disk block): only the sha256 sees it."""
    entry = _shards(db_copy)[-1]
    path = db_copy / entry["file"]
    data = bytearray(path.read_bytes())
    mid = len(data) // 2
    data[mid:mid + 16] = bytes(b ^ 0xFF for b in data[mid:mid + 16])
    path.write_bytes(bytes(data))
    assert _search(db_copy, small_spectra, tmp_path / "c.parquet") == 1
    assert f"{path}: sha256 differs" in caplog.text and REMEDY in caplog.text
    assert not (tmp_path / "c.parquet").exists()
    assert not list(tmp_path.glob(".c.parquet*"))   # no temporary file left either


def test_foreign_format_and_broken_manifest_are_refused(db_copy, small_spectra, tmp_path, caplog):
    manifest = json.loads((db_copy / "manifest.json").read_text())
    (db_copy / "manifest.json").write_text(json.dumps({**manifest, "format": "specsweep-fragment-db-0"}))
    assert _search(db_copy, small_spectra, tmp_path / "c.parquet") == 1
    assert "format 'specsweep-fragment-db-0'" in caplog.text
    (db_copy / "manifest.json").write_text('{"format": "specsweep-fragment-db-1", "shards": [')
    assert _search(db_copy, small_spectra, tmp_path / "c.parquet") == 1
    assert "not a readable database manifest" in caplog.text and REMEDY in caplog.text
    (db_copy / "manifest.json").unlink()
    assert _search(db_copy, small_spectra, tmp_path / "c.parquet") == 1
    assert "no database manifest" in caplog.text


def test_clean_database_searches(small_db, small_spectra, tmp_path):
    assert _search(small_db, small_spectra, tmp_path / "c.parquet") == 0
    assert (tmp_path / "c.parquet").exists()


def test_spectra_folder_that_does_not_match_its_manifest_is_refused(tmp_path, small_db, small_spectra, caplog):
    """The same check for a spectra folder: a part missing or of another size is refused by search."""
    spectra = tmp_path / "spectra"
    shutil.copytree(small_spectra, spectra)
    part = sorted(spectra.glob("part-*.parquet"))[1]
    part.write_bytes(part.read_bytes()[:-50])
    assert _search(small_db, spectra, tmp_path / "c.parquet") == 1
    assert f"{part}:" in caplog.text and "Rerun `specsweep ingest`" in caplog.text
    part.unlink()
    assert _search(small_db, spectra, tmp_path / "c.parquet") == 1
    assert f"{part}: listed in" in caplog.text
