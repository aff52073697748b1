"""Systematic fragment mass offsets per spectrum: for every peak, the sub-formula of the TRUE
formula (annotated) nearest in mass within +-15 ppm (at least 3 mDa); per spectrum, the median
signed ppm error of the peaks so explained at m/z >= 100 (at least 3 such peaks). Prints how common
and how large the offsets are, and optionally writes the per-peak errors (for fitting the
fragment mass-error model: ``--peaks OUT.npz``).

    nice -n 10 .venv/bin/python benchmarks/formula_mass_offsets.py FILE.mgf[.gz] ... \
        [--exclude DEV500.mgf ...] [--peaks errors.npz]

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import io
import os

import numpy as np

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

from specsweep.chem.adducts import get_adduct  # noqa: E402
from specsweep.chem.formulas import parse_formula  # noqa: E402
from specsweep.chem.masses import PROTON  # noqa: E402
from specsweep.formula.alphabet import Alphabet  # noqa: E402
from specsweep.formula.decompose import Decomposer  # noqa: E402
from specsweep.formula.identify import adduct_atoms  # noqa: E402
from specsweep.formula.peaks import PeakParams, prepare_peaks  # noqa: E402
from specsweep.spectra.mgf_reader import read_mgf  # noqa: E402

ALPHABET = Alphabet.parse("CHNOPSFClBrI")


def _records(path: str):
    if path.endswith(".gz"):
        import tempfile
        with gzip.open(path, "rt") as fh, tempfile.NamedTemporaryFile("w", suffix=".mgf", delete=False) as out:
            out.write(fh.read())
        yield from read_mgf(out.name)
        os.unlink(out.name)
    else:
        yield from read_mgf(path)


def _key(rec) -> str | None:
    return rec.inchikey.split("-")[0] if rec.inchikey else None


def peak_errors(rec, dec: Decomposer, window_ppm: float = 15.0, window_da: float = 0.003):
    """(m/z, signed ppm error, relative intensity) of the peaks explained by a sub-formula of the
    true root formula (nearest within the window)."""
    try:
        true = parse_formula(rec.formula)
    except ValueError:  # an element outside the table
        return None
    if any(el not in ALPHABET.elements for el in true):
        return None
    atoms, sign = adduct_atoms(get_adduct(rec.adduct or "[M+H]+").name)
    root = dict(true)
    for el, n in atoms.items():
        root[el] = root.get(el, 0) + n
    root_vec = ALPHABET.to_array(root)
    peaks = prepare_peaks(rec.mz, rec.intensity, rec.precursor_mz, 0.002, PeakParams())
    out = []
    for mz, rel in zip(peaks.mz, peaks.rel_intensity):
        neutral = mz - sign * PROTON
        tol = max(window_ppm * 1e-6 * mz, window_da)
        forms, _ = dec.decompose_within(neutral - tol, neutral + tol, max_counts=root_vec, max_steps=1_000_000)
        forms = forms[np.all(forms <= root_vec, axis=1)] if forms.shape[0] else forms
        if not forms.shape[0]:
            continue
        err = neutral - ALPHABET.mass(forms)
        j = int(np.argmin(np.abs(err)))
        out.append((mz, err[j] / (mz - err[j]) * 1e6, rel))
    return np.array(out).reshape(-1, 3)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--exclude", nargs="*", default=[], help="MGF files whose compounds (first InChIKey block) are skipped")
    ap.add_argument("--peaks", help="write per-peak errors (npz: file index, spectrum, m/z, ppm, rel. intensity)")
    ap.add_argument("--one-per-compound", action="store_true", help="first spectrum of each compound only")
    args = ap.parse_args()
    excluded = {_key(r) for f in args.exclude for r in _records(f)} - {None}
    dec = Decomposer(ALPHABET)
    rows = []
    for fi, path in enumerate(args.files):
        seen, med = set(), []
        for si, rec in enumerate(_records(path)):
            k = _key(rec)
            if not rec.formula or k in excluded or (args.one_per_compound and k in seen):
                continue
            seen.add(k)
            e = peak_errors(rec, dec)
            if e is None:
                continue
            for mz, ppm, rel in e:
                rows.append((fi, si, mz, ppm, rel))
            sel = e[e[:, 0] >= 100]
            if sel.shape[0] >= 3:
                med.append(float(np.median(sel[:, 1])))
        med = np.abs(np.array(med))
        print(f"{path}: {med.size} spectra with >= 3 explained peaks at m/z >= 100; |median ppm error| "
              f"> 3: {np.mean(med > 3):.1%}, > 5: {np.mean(med > 5):.1%}, > 7: {np.mean(med > 7):.1%}, "
              f"> 10: {np.mean(med > 10):.1%}; quantiles 50/90/95/99 %: "
              + " ".join(f"{q:.2f}" for q in np.quantile(med, [0.5, 0.9, 0.95, 0.99])))
    if args.peaks:
        np.savez(args.peaks, rows=np.array(rows))


if __name__ == "__main__":
    main()
