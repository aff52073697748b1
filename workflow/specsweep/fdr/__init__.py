"""Target-decoy false discovery rate (FDR) estimation. The decoys themselves are made with the
database, by :mod:`specsweep.fragment.decoys`.

- :mod:`.qvalues`: q-values from scores and decoy flags, (D+1)/T made monotone.
- :mod:`.competition`: best hit per spectrum, and the picked competition per compound.
- :mod:`.balance`: checks that refuse results without decoys or with a broken target/decoy balance.
- :mod:`.accounting`: where every input spectrum ended (summary.json).
- :mod:`.calibration`: estimated FDR next to the true false discovery proportion.
- :mod:`.stage`: the ``specsweep fdr`` stage (reads candidates and spectra, writes FDR/).
"""
