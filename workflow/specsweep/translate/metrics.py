"""De novo metrics as MassSpecGym defines them (Bushuiev et al. 2024).

Per spectrum and for k in (1, 10): exact match = the true first InChIKey block equals that of any
valid prediction among the first k; max Tanimoto = the best Tanimoto similarity between RDKit
Morgan bit vectors (radius 2, 2048 bits) of the truth and any of the first k predictions, with
invalid predictions and empty lists counting 0. Both are averaged over spectra.
"""

from __future__ import annotations

import numpy as np
from rdkit import Chem, DataStructs, RDLogger
from rdkit.Chem import rdFingerprintGenerator

RDLogger.DisableLog("rdApp.*")
_MORGAN = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)


def _key_and_fp(smiles: str):
    mol = Chem.MolFromSmiles(smiles) if smiles else None
    if mol is None:
        return None, None
    key = Chem.MolToInchiKey(mol)
    return (key[:14] if key else None), _MORGAN.GetFingerprint(mol)


def spectrum_scores(true_smiles: str, predictions: list[str], ks=(1, 10)) -> dict[str, float]:
    """Exact match and max Tanimoto at each k for one spectrum (predictions ranked best first)."""
    tkey, tfp = _key_and_fp(true_smiles)
    if tfp is None:
        raise ValueError(f"true structure does not parse: {true_smiles!r}")
    hits, sims = [], []
    for s in predictions[: max(ks)]:
        key, fp = _key_and_fp(s)
        hits.append(key is not None and key == tkey)
        sims.append(DataStructs.TanimotoSimilarity(tfp, fp) if fp is not None else 0.0)
    out = {}
    for k in ks:
        out[f"top{k}_exact"] = float(any(hits[:k]))
        out[f"top{k}_tanimoto"] = float(max(sims[:k], default=0.0))
    return out


def de_novo_metrics(true_smiles: list[str], predictions: list[list[str]], ks=(1, 10)) -> dict[str, float]:
    """Mean of :func:`spectrum_scores` over spectra, plus ``n_spectra`` and ``mean_valid``."""
    if len(true_smiles) != len(predictions):
        raise ValueError("one prediction list per true structure is needed")
    rows = [spectrum_scores(t, p, ks) for t, p in zip(true_smiles, predictions)]
    out = {k: float(np.mean([r[k] for r in rows])) if rows else 0.0 for k in (rows[0] if rows else {})}
    out["n_spectra"] = len(rows)
    out["mean_candidates"] = float(np.mean([len(p) for p in predictions])) if predictions else 0.0
    return out
