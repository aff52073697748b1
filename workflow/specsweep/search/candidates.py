"""Which database molecules are candidates for which spectrum.

A molecule of neutral mass M is a candidate for a spectrum with precursor m/z ``mz`` under
adduct ``a`` when ``|a.mz(M) - mz| <= tol`` (tol in Th: a :class:`Tolerance` in Da on the m/z axis, or in
ppm of ``mz``). Because
``a.mz`` is increasing in M, this is a neutral-mass window ``[a.neutral_mass(mz - tol),
a.neutral_mass(mz + tol)]``, found by binary search in the mass-sorted shard.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from specsweep.chem.adducts import ADDUCTS, Adduct, adduct_log_prior, default_adducts, resolve_adduct
from specsweep.params.blocks import PrecursorMatching
from specsweep.params.options import Tolerance


@dataclass(frozen=True)
class AdductChoice:
    """How adducts are chosen per spectrum.

    explicit: adducts to try (None: ``default_adducts(ion_mode)``, plus ``[M]+`` in positive mode,
    which only permanent cations take, see :func:`expand_pairs`); from_file: use the adduct a
    spectrum names; a name the adduct table does not know gives no adduct at all (the spectrum
    then ends as a counted ``no_candidates`` reject), never the default set in its place;
    max_charge: charges tried when a spectrum's charge is unknown (0). priors: when a set is tried,
    each window carries log(prior / top prior) of its adduct (:func:`adduct_log_prior`), added
    to its candidates' scores.
    """
    explicit: tuple[Adduct, ...] | None = None
    from_file: bool = False
    max_charge: int = 2
    priors: bool = True   # weigh the adducts of a tried set by ADDUCT_PRIOR (else equal odds)

    def named(self, adduct: str | None) -> bool:
        """Whether a spectrum's own adduct decides (then no prior applies)."""
        return bool(self.from_file and adduct)

    def for_spectrum(self, ion_mode: str | None, charge: int, adduct: str | None) -> list[Adduct]:
        if self.from_file and adduct:
            named = resolve_adduct(adduct)
            return [named] if named is not None else []
        mode = (ion_mode or "positive").lower()
        pool = list(self.explicit) if self.explicit is not None else default_adducts(mode)
        if self.explicit is None and not mode.startswith("neg") and OWN_CHARGE not in pool:
            pool.append(OWN_CHARGE)   # for permanent cations only (expand_pairs)
        sign = -1 if mode.startswith("neg") else 1
        out = []
        for a in pool:
            if (a.charge > 0) != (sign > 0):
                continue
            if charge != 0 and abs(a.charge) != abs(charge):
                continue
            if charge == 0 and abs(a.charge) > self.max_charge:
                continue
            out.append(a)
        return out


@dataclass
class Windows:
    """Neutral-mass windows, one per (spectrum, adduct) tried."""
    spec: np.ndarray      # int64 index of the spectrum in its batch
    adduct: np.ndarray    # int64 index into ``names``
    charge: np.ndarray    # int8 signed charge of the adduct
    prior: np.ndarray     # float64 log prior ratio added to the scores (0: adduct named by the file)
    lo: np.ndarray        # float64 Da
    hi: np.ndarray        # float64 Da
    names: list[str]
    adducts: list[Adduct]

    def __len__(self) -> int:
        return self.spec.shape[0]


def precursor_windows(precursor_mz, charge, ion_mode, adduct, choice: AdductChoice,
                      tol: Tolerance = PrecursorMatching.precursor_tol) -> Windows:
    """Windows for a batch of spectra (arrays/lists of equal length); ``tol`` on the m/z."""
    names: list[str] = []
    objs: list[Adduct] = []
    index: dict[str, int] = {}
    spec, add, chg, lo, hi, prior = [], [], [], [], [], []
    for s in range(len(precursor_mz)):
        mz = float(precursor_mz[s])
        half = tol.at(mz)
        weigh = choice.priors and not choice.named(adduct[s])
        for a in choice.for_spectrum(ion_mode[s], int(charge[s]), adduct[s]):
            if a.name not in index:
                index[a.name] = len(names)
                names.append(a.name)
                objs.append(a)
            spec.append(s)
            add.append(index[a.name])
            chg.append(a.charge)
            lo.append(a.neutral_mass(mz - half))
            hi.append(a.neutral_mass(mz + half))
            # a permanent cation has one ion, its own charge: no odds against it
            prior.append(adduct_log_prior(a) if weigh and not is_own_charge(a) else 0.0)
    return Windows(np.asarray(spec, np.int64), np.asarray(add, np.int64),
                   np.asarray(chg, np.int8), np.asarray(prior, np.float64), np.asarray(lo, np.float64),
                   np.asarray(hi, np.float64), names, objs)


def expand_pairs(windows: Windows, masses: np.ndarray,
                 cation: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(window index, row) of every candidate pair; ``masses`` ascending.

    With ``cation`` (one bool per row: a permanent cation), a permanent cation pairs only with
    ``[M]+`` windows (its own charge is its only ion) and every other molecule only with the
    other windows (a radical cation of a neutral molecule is not an ESI ion we model).
    """
    first = np.searchsorted(masses, windows.lo, side="left")
    last = np.searchsorted(masses, windows.hi, side="right")
    n = np.maximum(last - first, 0)
    win = np.repeat(np.arange(len(windows), dtype=np.int64), n)
    starts = np.repeat(first - np.concatenate(([0], np.cumsum(n)[:-1])), n)
    rows = starts + np.arange(win.shape[0], dtype=np.int64)
    if cation is not None and win.shape[0]:
        own = np.array([is_own_charge(a) for a in windows.adducts], bool)
        keep = own[windows.adduct[win]] == cation[rows]
        win, rows = win[keep], rows[keep]
    return win, rows


OWN_CHARGE = ADDUCTS["[M]+"]
"""The adduct of a permanent cation: the molecule itself, m/z = M - one electron."""


def is_own_charge(adduct: Adduct) -> bool:
    return adduct.name == OWN_CHARGE.name
