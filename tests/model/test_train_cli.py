"""`specsweep train-model` on the demo spectra: every fragment of every structure is counted."""

import argparse
import json

import numpy as np
import pytest

from specsweep.fragment.graph import fragment_smiles
from specsweep.model import commands
from specsweep.model.tables import load_model


def run_train(argv):
    parser = argparse.ArgumentParser()
    commands.register(parser.add_subparsers())
    args = parser.parse_args(["train-model", *argv])
    return args.func(args)


def test_train_model_counts_every_fragment(demo_mgf, tmp_path):
    out = tmp_path / "model.json"
    assert run_train(["--spectra", str(demo_mgf), "--output", str(out)]) == 0
    model = load_model(out)
    raw = json.loads(out.read_text())
    # independent count: one per non-root fragment of each spectrum's structure
    smiles = [line.split("=", 1)[1] for line in demo_mgf.read_text().splitlines()
              if line.startswith("SMILES=")]
    expected = 0
    for smi in smiles:
        try:
            expected += len(fragment_smiles(smi)) - 1
        except (ValueError, KeyError):
            pass
    t = model.tables[1]
    assert t.n_spectra == raw["params"]["training"]["spectra_used"] > 0
    assert t.counts.sum() == expected
    assert t.counts[:, :, 0].sum() == 0           # no fragment gets the root's logRank
    assert t.counts[0].sum() == 0                 # and no fragment has the root's bond code
    # some fragments explain peaks, most do not
    matched = t.counts[:, :, 1:7].sum()
    assert 0 < matched < t.counts[:, :, 7].sum()
    assert raw["params"]["training_files"][0]["sha256"]
    assert raw["params"]["ingest"][0]["top_n"] > 0
    np.testing.assert_array_equal(model.llr_table(2), model.llr_table(1))


def test_excluded_compounds_are_left_out(demo_mgf, tmp_path):
    out = tmp_path / "model.json"
    # excluding the training file's own compounds leaves nothing to learn from
    with pytest.raises(ValueError, match="no charge-1 training spectra"):
        run_train(["--spectra", str(demo_mgf), "--exclude-spectra", str(demo_mgf),
                   "--output", str(out)])
    assert not out.exists()
