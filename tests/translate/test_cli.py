"""train-translator and translate through the command line, on the bundled demo spectra."""


import math

import pyarrow as pa

from specsweep.files import read_table, write_table
from specsweep.model.tables import ChargeTables, LogRankModel, save_model
from specsweep.schema import FORMULAS, REJECTS, SPECTRA, TRANSLATIONS
from specsweep.spectra.ingest import ingest
from specsweep.translate.commands import main


def test_train_then_translate(demo_mgf, tmp_path):
    ckpt, prepared = tmp_path / "t.pt", tmp_path / "sets.npz"
    rc = main(["train-translator", "--spectra", str(demo_mgf), "--output", str(ckpt), "--prepared", str(prepared),
               "--finetune-steps", "30", "--batch-size", "16", "--d-model", "32", "--heads", "2",
               "--enc-layers", "1", "--dec-layers", "1", "--d-ff", "64", "--max-peaks", "16", "--lr", "3e-3"])
    assert rc == 0 and ckpt.exists() and prepared.exists()
    # same inputs and seed, another file name: the same bytes (no wall-clock value, no file name inside)
    again = tmp_path / "again.pt"
    assert main(["train-translator", "--spectra", str(demo_mgf), "--output", str(again), "--prepared", str(prepared),
                 "--finetune-steps", "30", "--batch-size", "16", "--d-model", "32", "--heads", "2",
                 "--enc-layers", "1", "--dec-layers", "1", "--d-ff", "64", "--max-peaks", "16", "--lr", "3e-3"]) == 0
    assert again.read_bytes() == ckpt.read_bytes()
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
    # with the formula stage's output and the logRank model: evidence columns are filled
    spec = read_table(spectra / "part-00000.parquet", SPECTRA, columns=["spectrum_id", "annotation_formula"])
    ids_list = spec["spectrum_id"].to_pylist()
    n = len(ids_list)
    formulas = pa.table({"spectrum_id": ids_list, "rank": [1] * n, "formula": spec["annotation_formula"].to_pylist(),
                         "adduct": ["[M+H]+"] * n, "score": [0.0] * n, "tree_score": [0.0] * n,
                         "mass_error_ppm": [0.0] * n, "n_explained_peaks": [0] * n,
                         "explained_intensity": [0.0] * n, "method": ["ilp"] * n, "status": ["ok"] * n,
                         "tree_json": ["{}"] * n})
    write_table(formulas, tmp_path / "formulas.parquet", FORMULAS)
    model = tmp_path / "model.json"
    t = ChargeTables.empty()
    t.counts[:, :, 1:4] = 20
    t.counts[:, :, 7] = 10
    t.null_counts[1:] = 5
    save_model(LogRankModel({1: t, 2: ChargeTables(t.counts.copy(), t.null_counts.copy(), 0, 1)}), model)
    out3 = tmp_path / "with_evidence.parquet"
    assert main(args(out3) + ["--formulas", str(tmp_path / "formulas.parquet"), "--model", str(model),
                              "--formula-constraint", "top", "--check-hydrogens"]) == 0
    ev = read_table(out3, TRANSLATIONS).to_pylist()
    truth = dict(zip(ids_list, spec["annotation_formula"].to_pylist()))
    from specsweep.chem.formulas import parse_formula
    from rdkit import Chem
    from rdkit.Chem import rdMolDescriptors
    from collections import Counter
    for r in ev:
        mol = Chem.MolFromSmiles(r["smiles"])
        f = rdMolDescriptors.CalcMolFormula(mol)
        want = parse_formula(truth[r["spectrum_id"]])
        assert r["formula_match"] == (f == truth[r["spectrum_id"]] or
                                      (f[-1] not in "+-" and parse_formula(f) == want))
        # decoding was constrained to the formula: every candidate has exactly its heavy atoms
        assert Counter(a.GetSymbol() for a in mol.GetAtoms()) == {e: n for e, n in want.items() if e != "H"}
        assert sum(a.GetTotalNumHs() for a in mol.GetAtoms()) == want.get("H", 0)  # --check-hydrogens
    assert sum(math.isfinite(r["fragment_score"]) for r in ev) > 0.5 * len(ev)
    # constrained and free beams pooled: still at most k candidates, every spectrum accounted for
    out4 = tmp_path / "pooled.parquet"
    assert main(args(out4) + ["--formulas", str(tmp_path / "formulas.parquet"), "--formula-constraint", "top+free"]) == 0
    pooled = read_table(out4, TRANSLATIONS).to_pylist()
    rej4 = {r["record_id"] for r in read_table(tmp_path / "pooled.rejects.parquet", REJECTS).to_pylist()}
    per = {}
    for r in pooled:
        per[r["spectrum_id"]] = per.get(r["spectrum_id"], 0) + 1
    assert max(per.values()) <= 4 and set(per) | rej4 == ids and len(per) >= len(got)

    # same inputs -> same bytes
    out2 = tmp_path / "again.parquet"
    assert main(args(out2)) == 0
    assert out.read_bytes() == out2.read_bytes()
