"""prepare-db rejects and merges with reasons; fragment shards are deterministic and complete."""

import json

import pyarrow.parquet as pq
import pytest
from rdkit import Chem

from specsweep.cli import main
from specsweep.files import read_table
from specsweep.schema import FRAGMENT_SHARD, ID_MAP, MOLECULES, REJECTS

ROWS = [
    ("caffeine", "Cn1cnc2c1c(=O)n(C)c(=O)n2C"),
    ("caffeine_again", "CN1C=NC2=C1C(=O)N(C)C(=O)N2C"),     # same structure, other SMILES: merged
    ("sodium_acetate", "CC(=O)[O-].[Na+]"),                  # salt: largest fragment, neutralised
    ("broken", "C1CC(C"),                                    # unparsable
    ("sulfuric_acid", "OS(=O)(=O)O"),                        # no carbon
    ("mercury", "C[Hg]C"),                                   # unsupported element
    ("long_chain", "C" * 200),                               # 2.8 kDa: above max mass
    ("", "c1ccccc1O"),                                       # no id: IK14-<key>
    ("caffeine", "CCO"),                                     # id already used by another structure
]


@pytest.fixture()
def molecule_tsv(tmp_path):
    path = tmp_path / "mols.tsv"
    path.write_text("id\tsmiles\tname\n" + "".join(f"{i}\t{s}\tn{k}\n" for k, (i, s) in enumerate(ROWS)))
    return path


def test_prepare_db_reasons_and_id_map(tmp_path, molecule_tsv):
    out = tmp_path / "molecules.parquet"
    assert main(["prepare-db", "--input", str(molecule_tsv), "--output", str(out)]) == 0
    mols = read_table(out, MOLECULES).to_pylist()
    rejects = read_table(tmp_path / "molecules.rejects.parquet", REJECTS).to_pylist()
    idmap = read_table(tmp_path / "molecules.idmap.parquet", ID_MAP).to_pylist()
    by_id = {m["mol_id"]: m for m in mols}
    assert set(by_id) == {"caffeine", "sodium_acetate", "IK14-ISWSIDIOOBJBQZ"}
    assert by_id["sodium_acetate"]["smiles"] == "CC(=O)O"
    assert by_id["caffeine"]["formula"] == "C8H10N4O2"
    assert by_id["caffeine"]["exact_mass"] == pytest.approx(194.080376, abs=1e-5)
    reasons = {r["record_id"]: r["reason"] for r in rejects}
    assert reasons == {"broken": "unparsable_smiles", "sulfuric_acid": "no_carbon", "mercury": "unsupported_element",
                       "long_chain": "mass_above_max", "caffeine": "duplicate_id"}
    assert {"input_id": "caffeine_again", "mol_id": "caffeine"} in idmap
    summary = json.loads((tmp_path / "molecules.summary.json").read_text())
    assert summary["records"] == len(ROWS) == len(mols) + summary["merged_duplicates"] + len(rejects)


def test_prepare_db_reads_sdf_and_smi(tmp_path):
    sdf = tmp_path / "in.sdf"
    with Chem.SDWriter(str(sdf)) as w:
        for name, smi in (("menthol", "CC(C)C1CCC(C)CC1O"), ("vanillin", "COc1cc(C=O)ccc1O")):
            mol = Chem.MolFromSmiles(smi)
            mol.SetProp("_Name", name)
            w.write(mol)
    smi = tmp_path / "in.smi"
    smi.write_text("CCO ethanol\nnot_a_smiles bad\n")
    out = tmp_path / "m.parquet"
    assert main(["prepare-db", "--input", str(sdf), str(smi), "--output", str(out), "--max-mass", "500"]) == 0
    assert sorted(read_table(out, MOLECULES).column("mol_id").to_pylist()) == ["ethanol", "menthol", "vanillin"]
    assert read_table(tmp_path / "m.rejects.parquet", REJECTS).column("reason").to_pylist() == ["unparsable_smiles"]


def test_missing_smiles_column_is_a_clear_error(tmp_path, caplog):
    bad = tmp_path / "x.tsv"
    bad.write_text("id\tstructure\nA\tCCO\n")
    assert main(["prepare-db", "--input", str(bad), "--output", str(tmp_path / "o.parquet")]) == 1
    assert "no smiles column" in caplog.text and "x.tsv" in caplog.text
    assert not (tmp_path / "o.parquet").exists()


@pytest.fixture(scope="module")
def small_molecules(tmp_path_factory, demo_molecules):
    tmp = tmp_path_factory.mktemp("db")
    subset = tmp / "subset.tsv"
    lines = demo_molecules.read_text().splitlines()
    subset.write_text("\n".join(lines[:61]) + "\n")        # header + 60 molecules
    out = tmp / "molecules.parquet"
    assert main(["prepare-db", "--input", str(subset), "--output", str(out)]) == 0
    return out


def _fragment(molecules, out, threads):
    assert main(["fragment", "--molecules", str(molecules), "--output-dir", str(out), "--threads", str(threads),
                 "--decoy-pool-molecules", "40", "--shard-width-da", "150"]) == 0


def test_shards_byte_identical_across_runs_and_workers(tmp_path, small_molecules):
    _fragment(small_molecules, tmp_path / "a", 1)
    _fragment(small_molecules, tmp_path / "b", 2)
    files_a = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert files_a == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in files_a:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    n_mol = pq.read_table(small_molecules).num_rows
    assert manifest["counts"]["targets"] + manifest["counts"]["rejected"] == n_mol
    assert manifest["counts"]["decoys"] == manifest["counts"]["targets"]
    # every shard holds only its mass range, sorted by mass, each decoy beside its target
    for shard in manifest["shards"]:
        t = read_table(tmp_path / "a" / shard["file"], FRAGMENT_SHARD)
        masses = t.column("exact_mass").to_pylist()
        assert masses == sorted(masses)
        assert all(shard["min_mass"] <= m < shard["max_mass"] for m in masses)
        ids, decoy = t.column("mol_id").to_pylist(), t.column("is_decoy").to_pylist()
        assert ids[0::2] == ids[1::2] and decoy[0::2] == [False] * (len(ids) // 2) and all(decoy[1::2])
        fm = t.column("frag_mass").to_pylist()
        for target, dec in zip(fm[0::2], fm[1::2]):
            assert dec[0] == target[0] and len(dec) == len(target)   # same precursor, same shape
            if len(target) > 3:
                assert set(dec[1:]) != set(target[1:])
