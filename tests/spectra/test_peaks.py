import numpy as np

from specsweep.chem.masses import PROTON
from specsweep.spectra.peaks import check_peaks, precursor_bounds, process_peaks


def test_singly_charged_removes_precursor_region_zero_intensity_and_keeps_top_n():
    mz = np.array([150.0, 50.0, 60.0, 70.0, 80.0, 98.4, 98.6, 100.0, 101.0])
    inten = np.array([999.0, 5.0, 5.0, 0.0, 3.0, 4.0, 9.0, 10.0, 2.0])
    out_mz, out_int, rank, lr = process_peaks(mz, inten, precursor_mz=100.0, charge=1, top_n=3,
                                              precursor_window_th=1.5)
    # 98.6, 100, 101, 150 are in the precursor region; 70 has zero intensity; of the rest
    # (50:5, 60:5, 80:3, 98.4:4) the three most intense are kept, the 5-5 tie goes to lower m/z.
    assert out_mz.tolist() == [50.0, 60.0, 98.4]
    assert out_int.dtype == np.float32 and out_int.tolist() == [5.0, 5.0, 4.0]
    assert rank.tolist() == [1, 2, 3]
    assert lr.tolist() == [1, 2, 2]


def test_ranks_follow_intensity_and_output_is_sorted_by_mz():
    rng = np.random.default_rng(3)
    mz = rng.uniform(50, 400, 200)
    inten = rng.uniform(1, 1000, 200)
    out_mz, out_int, rank, lr = process_peaks(mz, inten, precursor_mz=500.0, charge=1, top_n=80)
    assert len(out_mz) == 80
    assert np.all(np.diff(out_mz) > 0)
    order = np.argsort(-inten)[:80]
    assert set(out_mz.tolist()) == set(mz[order].tolist())
    # rank 1 is the most intense peak, ranks are a permutation of 1..80
    assert sorted(rank.tolist()) == list(range(1, 81))
    assert out_int[rank == 1][0] == np.float32(inten.max())
    assert (np.diff(out_int[np.argsort(rank)]) <= 0).all()
    assert (lr[rank >= 64] == 7).all() and (lr[rank < 64] <= 6).all()


def test_doubly_charged_keeps_singly_charged_fragments_above_precursor():
    prec = 300.0
    neutral = 2 * (prec - PROTON)
    mz = np.array([150.0, 299.5, 300.5, 350.0, neutral + PROTON - 1.0, neutral + PROTON + 5.0])
    inten = np.ones_like(mz)
    out_mz, *_ = process_peaks(mz, inten, prec, charge=2, precursor_window_th=1.5)
    assert out_mz.tolist() == [150.0, 350.0]
    # unknown charge uses max_charge: 1 cuts everything above, 2 keeps 350
    assert process_peaks(mz, inten, prec, charge=0, max_charge=1)[0].tolist() == [150.0]
    assert process_peaks(mz, inten, prec, charge=0, max_charge=2)[0].tolist() == [150.0, 350.0]


def test_negative_mode_bounds_use_deprotonation():
    low, high, upper = precursor_bounds(300.0, -2, "negative", 1.0, 2)
    assert (low, high) == (299.0, 301.0)
    assert np.isclose(upper, 2 * (300.0 + PROTON) - PROTON - 1.0)


def test_check_peaks_reasons():
    assert check_peaks(np.array([1.0, 2.0]), np.array([1.0, 0.0])) is None
    assert check_peaks(np.array([1.0, np.nan]), np.array([1.0, 1.0])) == "nan_values"
    assert check_peaks(np.array([1.0, 2.0]), np.array([np.inf, 1.0])) == "nan_values"
    assert check_peaks(np.array([-1.0, 2.0]), np.array([1.0, 1.0])) == "negative_mz"
