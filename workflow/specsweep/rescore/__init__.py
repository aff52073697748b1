"""Evidence rescoring of database candidates and posterior error probabilities (PEP).

- :mod:`.features`: per-candidate evidence features computed from one spectrum's candidate list.
- :mod:`.linear`: small, deterministic logistic models in NumPy (conditional logit, multinomial).
- :mod:`.model`: the rescoring model file (ranker + PEP model): load, save, apply, schema check.
- :mod:`.pep`: prior adaptation to a dataset, PEP-based q-values.
- :mod:`.training`: known-answer training sets, the exclusion list, ``train-rescorer``.
- :mod:`.stage`: the ``specsweep rescore`` stage (candidates -> re-ranked candidates with PEP).
"""
