import numpy as np
import pyarrow as pa
import pytest

from specsweep.rescore.features import FEATURES
from specsweep.rescore.model import RescoreModel, default_rescorer_path
from specsweep.rescore.stage import rescore_table
from specsweep.schema import CANDIDATES, RESCORED


def _candidates():
    """Two spectra, targets and decoys, as the search writes them."""
    rows = [  # spectrum, mol, decoy, key, mass, score, matched, explained
        ("s:0", "m1", False, "AAAAAAAAAAAAAA", 300.1, 12.0, 6, 0.8),
        ("s:0", "m2", False, "BBBBBBBBBBBBBB", 300.1, 11.0, 5, 0.6),
        ("s:0", "m3", False, "CCCCCCCCCCCCCC", 300.2, 3.0, 1, 0.1),
        ("s:0", "m1", True, "AAAAAAAAAAAAAA", 300.1, 4.0, 2, 0.2),
        ("s:1", "m4", False, "DDDDDDDDDDDDDD", 500.3, 8.0, 0, 0.0),
        ("s:1", "m4", True, "DDDDDDDDDDDDDD", 500.3, 8.0, 0, 0.0),
    ]
    cols = list(zip(*rows))
    n = len(rows)
    return pa.table({
        "spectrum_id": cols[0], "rank": list(range(1, n + 1)), "mol_id": cols[1],
        "is_decoy": cols[2], "inchikey14": cols[3], "smiles": ["C"] * n, "exact_mass": cols[4],
        "adduct": ["[M+H]+"] * n, "charge": [1] * n, "precursor_error_ppm": [0.5] * n,
        "score": cols[5], "n_matched_peaks": cols[6], "explained_intensity": cols[7]},
        schema=CANDIDATES)


def test_shipped_model_loads_and_is_deterministic():
    model = RescoreModel.load(default_rescorer_path())
    assert model.info["excluded"]["compounds"] > 0   # trained with an exclusion list
    a, sa = rescore_table(_candidates(), model, {"s:0": 10, "s:1": 10})
    b, sb = rescore_table(_candidates(), RescoreModel.load(default_rescorer_path()),
                          {"s:0": 10, "s:1": 10})
    assert a.equals(b) and sa == sb
    assert a.schema.equals(RESCORED, check_metadata=False)
    assert a.num_rows == 6
    top = a.filter(pa.compute.is_valid(a.column("pep")))
    assert sorted(top.column("spectrum_id").to_pylist()) == ["s:0", "s:1"]
    assert not any(top.column("is_decoy").to_pylist())
    # a top hit that explains no peak has no evidence: PEP 1
    assert top.filter(pa.compute.equal(top.column("spectrum_id"), "s:1")).column("pep")[0].as_py() == 1.0


def test_model_refuses_a_feature_table_of_the_wrong_schema():
    model = RescoreModel.load(default_rescorer_path())
    res, _ = rescore_table(_candidates(), model, {"s:0": 10, "s:1": 10})
    X = model.check_table(res)
    assert X.shape == (6, len(FEATURES))
    used = model.ranker.features[1]
    with pytest.raises(ValueError, match=f"missing feature columns \\['{used}'\\]"):
        model.check_table(res.drop_columns([used]))
    bad = res.set_column(res.schema.get_field_index(used), used,
                         res.column(used).cast(pa.float32()))
    with pytest.raises(ValueError, match=f"{used} \\(float\\)"):
        model.check_table(bad)


def test_model_file_refused_when_not_a_rescorer(tmp_path):
    p = tmp_path / "m.json"
    p.write_text('{"format": "something-else"}')
    with pytest.raises(ValueError, match="not a rescoring model"):
        RescoreModel.load(p)
    p.write_text("{")
    with pytest.raises(ValueError, match="cannot read"):
        RescoreModel.load(p)
