"""Molecular formula identification from MS/MS with fragmentation trees.

The method follows SIRIUS 3 (Böcker & Dührkop, "Fragmentation trees reloaded", J Cheminform 8:5,
2016): candidate precursor formulas by mass decomposition, one fragmentation graph per candidate,
maximum a posteriori edge weights, and the maximum colorful subtree of that graph (exact by ILP,
approximately by a fast heuristic). Modules:

- ``alphabet``: element alphabets, bounds, formula arrays and keys
- ``decompose``: round-robin extended residue table and interval decomposition (Numba)
- ``peaks``: MS/MS peak preparation (merge, noise floor, peak limit)
- ``priors``: prior tables (SIRIUS 3.1.3 values and our own fitted ones) as lookup arrays
- ``scoring``: root, vertex and edge log-scores
- ``graph``: fragmentation graph of one candidate
- ``heuristic``: greedy insertion heuristic for the maximum colorful subtree
- ``ilp``: exact maximum colorful subtree by integer linear programming (pulp + HiGHS / CBC)
- ``recalibration``: hypothesis-driven affine recalibration (Theil-Sen)
- ``rules``: chemical plausibility of candidate molecules (even-electron rule, element ratios)
- ``isotopes``: isotope patterns of precursor ions and their score against an MS1 pattern
- ``identify``: the per-spectrum driver with its work budget
- ``trees``: tree JSON and drawing (Graphviz DOT, matplotlib)
"""
