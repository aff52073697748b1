"""train-translator and translate through the command line, on the bundled demo spectra."""


from specsweep.files import read_table
from specsweep.schema import REJECTS, SPECTRA, TRANSLATIONS
from specsweep.spectra.ingest import ingest
from specsweep.translate.commands import main


def test_train_then_translate(demo_mgf, tmp_path):
    ckpt, prepared = tmp_path / "t.pt", tmp_path / "sets.npz"
    rc = main(["train-translator", "--spectra", str(demo_mgf), "--output", str(ckpt), "--prepared", str(prepared),
               "--finetune-steps", "30", "--batch-size", "16", "--d-model", "32", "--heads", "2",
               "--enc-layers", "1", "--dec-layers", "1", "--d-ff", "64", "--max-peaks", "16", "--lr", "3e-3"])
    assert rc == 0 and ckpt.exists() and prepared.exists()
    spectra = tmp_path / "spectra"
    ingest([demo_mgf], spectra)
    out = tmp_path / "translations.parquet"

    def args(output):
        return ["translate", "--spectra", str(spectra), "--checkpoint", str(ckpt), "--output", str(output),
                "--beam-size", "4", "--batch-size", "16", "--device", "cpu"]
    assert main(args(out)) == 0
    tr = read_table(out, TRANSLATIONS).to_pylist()
    rej = read_table(tmp_path / "translations.rejects.parquet", REJECTS).to_pylist()
    ids = {r["spectrum_id"] for r in read_table(spectra / "part-00000.parquet", SPECTRA,
                                                 columns=["spectrum_id"]).to_pylist()}
    got = {r["spectrum_id"] for r in tr}
    rejected = {r["record_id"] for r in rej}
    assert got | rejected == ids and not got & rejected          # every spectrum ends in one place
    assert all(r["reason"] == "no_valid_candidate" for r in rej)
    by_spec = {}
    for r in tr:
        by_spec.setdefault(r["spectrum_id"], []).append(r)
    for rows in by_spec.values():
        assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1)) and len(rows) <= 4
        scores = [r["rerank_score"] for r in rows]
        assert scores == sorted(scores, reverse=True)
        assert len({r["inchikey14"] for r in rows}) == len(rows)
    # same inputs -> same bytes
    out2 = tmp_path / "again.parquet"
    assert main(args(out2)) == 0
    assert out.read_bytes() == out2.read_bytes()
