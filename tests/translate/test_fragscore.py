import numpy as np
import pytest

from specsweep.chem.masses import PROTON
from specsweep.fragment.graph import fragment_smiles
from specsweep.model.tables import ChargeTables, LogRankModel, save_model
from specsweep.translate.fragscore import load_fragment_scorer, peak_logranks

PARACETAMOL = "CC(=O)Nc1ccc(O)cc1"     # C8H9NO2
ISOMER = "COC(=O)c1ccc(N)cc1"          # methyl 4-aminobenzoate, C8H9NO2 as well


@pytest.fixture()
def model_path(tmp_path):
    t = ChargeTables.empty()
    t.counts[:, :, 1:4] = 20    # fragments of the true structure usually explain a strong peak
    t.counts[:, :, 7] = 10
    t.null_counts[1:4] = 2      # fragments of unrelated structures rarely do
    t.null_counts[7] = 50
    path = tmp_path / "model.json"
    save_model(LogRankModel({1: t, 2: ChargeTables(t.counts.copy(), t.null_counts.copy(), 0, 1)},
                            {"pseudo_count": 1.0}), path)
    return path


def test_true_structure_outscores_an_isomer(model_path):
    fg = fragment_smiles(PARACETAMOL)
    mz = np.unique(np.round(fg.mass[1:] + PROTON, 5))
    mz = mz[mz > 40]
    intensity = np.linspace(100.0, 10.0, len(mz))
    score = load_fragment_scorer(model_path)
    prec = fg.mass[0] + PROTON
    s_true = score(PARACETAMOL, mz, intensity, prec, "[M+H]+")
    s_iso = score(ISOMER, mz, intensity, prec, "[M+H]+")
    assert np.isfinite(s_true) and np.isfinite(s_iso)
    assert s_true > s_iso
    assert np.isnan(score("C[As](C)C", mz, intensity, prec, "[M+H]+"))   # no mass for As: not scored


def test_peak_logranks_follow_intensity_order():
    lr = peak_logranks(np.array([5.0, 100.0, 50.0, 50.0]))
    assert lr.tolist() == [3, 1, 2, 2]  # ranks 4, 1, 2, 3 (ties: lower index first); logRank = floor(log2 r) + 1


def test_negative_and_sodium_adducts_use_their_fragment_ions():
    """The shipped models: deprotonated fragments of paracetamol score under [M-H]- (with the
    negative-mode model) and sodiated ones under [M+Na]+, each above the protonated reading."""
    from specsweep.chem.adducts import get_adduct
    from specsweep.model.annotate import SODIUM_ION
    fg = fragment_smiles(PARACETAMOL)
    intensity_of = lambda mz: np.linspace(100.0, 10.0, len(mz))  # noqa: E731
    score = load_fragment_scorer()
    for adduct, carrier in (("[M-H]-", -PROTON), ("[M+Na]+", SODIUM_ION)):
        mz = np.unique(np.round(fg.mass[1:] + carrier, 5))
        mz = mz[mz > 40]
        prec = get_adduct(adduct).mz(fg.mass[0])
        right = score(PARACETAMOL, mz, intensity_of(mz), prec, adduct)
        wrong = score(PARACETAMOL, mz, intensity_of(mz), prec, "[M+H]+")
        assert np.isfinite(right) and right > wrong, adduct
