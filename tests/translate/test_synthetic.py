import numpy as np
import pytest

from specsweep.chem.masses import HYDROGEN, PROTON
from specsweep.fragment.graph import fragment_smiles
from specsweep.model.tables import ChargeTables, LogRankModel, save_model
from specsweep.translate.model import TranslatorConfig
from specsweep.translate.synthetic import (load_logrank_probabilities, sample_logranks, synthetic_examples,
                                           synthetic_peaks)
from specsweep.translate.tokenizer import SmilesTokenizer

SMILES = ["CC(=O)Nc1ccc(O)cc1", "COc1cc(C=CC(=O)O)ccc1O", "CN1CCC23c4c5ccc(O)c4OC2C(O)C=CC3C1C5"]


@pytest.fixture()
def model_path(tmp_path):
    t = ChargeTables.empty()
    t.counts[:, :, 2] = 30     # fragments mostly get logRank 2 ...
    t.counts[:, :, 7] = 10     # ... and sometimes no peak
    t.counts[:, 7, 7] = 1000   # the children of a fragment without a peak rarely have one
    t.null_counts[:] = 5
    t.n_spectra = 1
    path = tmp_path / "model.json"
    save_model(LogRankModel({1: t, 2: ChargeTables(t.counts.copy(), t.null_counts.copy(), 0, 1)},
                            {"pseudo_count": 1.0}), path)
    return path


def test_synthetic_peaks_sit_on_fragment_ions(model_path):
    cond, null = load_logrank_probabilities(model_path)
    fg = fragment_smiles(SMILES[2])
    rng = np.random.default_rng(0)
    lr = sample_logranks(fg.parent, fg.bond, fg.depth, cond, rng)
    assert lr[0] == 0 and lr[1:].min() >= 1 and lr.max() <= 7
    # the draw follows the table: children of a fragment without a peak rarely get one
    deep = np.flatnonzero(fg.depth >= 2)
    draws = np.stack([sample_logranks(fg.parent, fg.bond, fg.depth, cond, rng) for _ in range(20)])
    parent_lr = draws[:, fg.parent[deep]]
    child_seen = draws[:, deep] < 7
    assert child_seen[parent_lr == 7].mean() < 0.1 < 0.5 < child_seen[parent_lr < 7].mean()
    mz, inten = synthetic_peaks(fg.mass, lr, null, rng)
    ions = (fg.mass[:, None] + np.array([-1, 0, 1]) * HYDROGEN + PROTON).ravel()
    explained = np.abs(mz[:, None] - ions[None, :]).min(axis=1) < 1e-6
    assert explained.mean() > 0.8
    assert (mz <= fg.mass[0] + PROTON + 1e-6).all()


def test_synthetic_examples_are_deterministic(model_path):
    tok = SmilesTokenizer.build(SMILES)
    cfg = TranslatorConfig(vocab=tok.vocab, max_peaks=32)
    a, rej = synthetic_examples(SMILES + ["C[As](C)C(=O)O"], tok, cfg, per_molecule=2, model_path=model_path,
                                seed=3, progress=False)
    b, _ = synthetic_examples(SMILES, tok, cfg, per_molecule=2, model_path=model_path, seed=3, progress=False)
    assert len(a["tokens"]) == 6 and [r["record"] for r in rej] == [3]
    for k in ("peak_int", "peak_frac", "peak_bin", "tokens"):
        assert np.array_equal(a[k], b[k])
    assert not np.array_equal(a["peak_frac"][0], a["peak_frac"][1])  # two draws per molecule differ
    assert (a["n_peaks"] > 0).all()
    np.testing.assert_allclose(a["prec_int"] + a["prec_frac"], a["precursor_mz"], atol=1e-4)
