import numpy as np

from specsweep.translate.dataset import canonical_no_stereo, read_annotated
from specsweep.translate.tokenizer import (BOS, EOS, INTENSITY_SHIFT, UNK, SmilesTokenizer, encode_peaks,
                                           split_smiles)


def _demo_smiles(demo_molecules, n=300):
    lines = demo_molecules.read_text().splitlines()
    col = lines[0].split("\t").index("smiles")
    return [line.split("\t")[col] for line in lines[1:n + 1]]


def test_smiles_round_trip_on_real_structures(demo_molecules):
    smiles = [c[0] for c in map(canonical_no_stereo, _demo_smiles(demo_molecules)) if c]
    tok = SmilesTokenizer.build(smiles[:200])
    for s in smiles[:200]:
        ids = tok.encode(s)
        assert ids[0] == BOS and ids[-1] == EOS
        assert tok.decode(ids) == s
    assert "Cl" in tok.vocab and "C" in tok.vocab and "l" not in tok.vocab  # two-letter atoms stay whole
    assert split_smiles("C[C@H](Br)c1ccccc1") == ["C", "[C@H]", "(", "Br", ")", "c", "1", "c", "c", "c", "c", "c", "1"]
    # a token never seen in the vocabulary maps to <unk>
    small = SmilesTokenizer.build(["CCO"])
    assert UNK in small.encode("CCN").tolist()


def test_encode_peaks_keeps_top_peaks_below_precursor():
    mz = np.array([50.01, 60.5, 70.25, 80.0, 95.1234, 150.2])
    inten = np.array([10.0, 1000.0, 0.0, 300.0, 1.0, 5000.0])
    offsets = np.array([0, 6])
    out = encode_peaks(offsets, mz, inten, np.array([100.0]), max_peaks=3)
    n = int(out["n_peaks"][0])
    assert n == 3
    # 150.2 is above the precursor, 70.25 has zero intensity: top 3 of the rest, in m/z order
    assert out["peak_int"][0, :n].tolist() == [50, 60, 80]
    np.testing.assert_allclose(out["peak_frac"][0, :n], [0.01, 0.5, 0.0], atol=1e-5)
    assert out["peak_bin"][0, 1] == INTENSITY_SHIFT          # base peak
    assert out["peak_bin"][0, 0] < out["peak_bin"][0, 2] < INTENSITY_SHIFT
    assert out["peak_loss"][0, :n].tolist() == [50, 40, 20]


def test_mgf_records_are_processed_like_ingest(demo_mgf):
    recs = read_annotated([demo_mgf])
    assert len(recs) == 50
    for r in recs:
        assert r["smiles"] and np.isfinite(r["precursor_mz"])
        # ingest's processing removes the precursor region (precursor - 1.5 Th and above)
        assert (r["mz"] < r["precursor_mz"] - 1.5 + 1e-9).all()
        assert np.all(np.diff(r["mz"]) >= 0)


def test_training_spectra_are_the_ingest_output(demo_mgf, tmp_path):
    """The translator's training reader gives the same peaks as the ingested folder the search
    reads (one reader for all), whether it is given the MGF or that folder."""
    from specsweep.spectra.ingest import ingest
    from specsweep.spectra.parts import read_spectra
    ingest([demo_mgf], tmp_path / "spectra")
    folder = read_spectra(tmp_path / "spectra", columns=["mz", "annotation_smiles"]).to_pylist()
    for recs in (read_annotated([demo_mgf]), read_annotated([tmp_path / "spectra"])):
        assert [r["smiles"] for r in recs] == [f["annotation_smiles"] for f in folder]
        assert all(np.array_equal(r["mz"], f["mz"]) for r, f in zip(recs, folder))
