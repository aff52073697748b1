"""Bond classes real data needs: sulfonamides (S-N) and organophosphates (O-P, P-S) break by
default, and their main fragments are then explained in real MassBank spectra of the demo set."""

import numpy as np
import pytest

from specsweep.fragment import bondtypes
from specsweep.fragment.graph import fragment_smiles
from specsweep.model.annotate import annotate
from specsweep.params.blocks import DEFAULT_BOND_CLASSES, FragmentParams

MOLDISCOVERY = FragmentParams(bond_classes=("NC", "OC", "CC"))


def test_defaults_cut_sulfonamide_and_phosphate_bonds():
    assert {"SN", "OP", "PS"} <= set(DEFAULT_BOND_CLASSES)
    # sulfamethoxazole: the S-N bridge gives the sulfanilyl piece C6H6NO2S (156.0119 Da), whose
    # [M - H + H]+ ion at m/z 156.0114 is the textbook sulfonamide fragment
    fg = fragment_smiles("Cc1cc(NS(=O)(=O)c2ccc(N)cc2)no1")
    assert bondtypes.SN in set(fg.bond.tolist())
    assert np.min(np.abs(fg.mass - 156.011925)) < 1e-4
    assert np.min(np.abs(fragment_smiles("Cc1cc(NS(=O)(=O)c2ccc(N)cc2)no1", MOLDISCOVERY).mass
                         - 156.011925)) > 1.0
    # malathion: P-S and O-P single bonds are cut (P=S stays whole)
    codes = set(fragment_smiles("CCOC(=O)CC(SP(=S)(OC)OC)C(=O)OCC").bond.tolist())
    assert bondtypes.PS in codes and bondtypes.OP in codes


@pytest.fixture(scope="module")
def demo_records(demo_mgf, tmp_path_factory):
    import pyarrow.parquet as pq
    from specsweep.spectra.ingest import ingest
    out = tmp_path_factory.mktemp("bonds") / "spectra"
    ingest([demo_mgf], out)
    rows = {}
    for part in sorted(out.glob("part-*.parquet")):
        for r in pq.read_table(part).to_pylist():
            rows[r["title"]] = r
    return rows


@pytest.mark.parametrize("title,at_least", [
    ("MSBNK-Eawag-EQ309605", 3),        # methidathion (organophosphate): 0 peaks without P-O/P-S
    ("MSBNK-BAFG-CSL2311095178", 10),   # a torasemide-like sulfonylurea: 6 peaks without S-N
])
def test_real_spectra_are_explained_better(demo_records, title, at_least):
    r = demo_records[title]
    mz, lr = np.asarray(r["mz"]), np.asarray(r["log_rank"], np.int8)
    explained = []
    for params in (MOLDISCOVERY, FragmentParams()):
        fg = fragment_smiles(r["annotation_smiles"], params)
        _, owner = annotate(fg.mass, fg.depth, mz, lr)
        explained.append(int((owner >= 0).sum()))
    assert explained[1] >= at_least > explained[0]
