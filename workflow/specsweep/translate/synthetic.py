"""Synthetic [M+H]+ spectra from our own forward model, for pretraining the translator.

Forward model: the molecule's fragmentation graph (:mod:`specsweep.fragment.graph`) and the
logRank model of the database search (:mod:`specsweep.model.tables`, molDiscovery's
P(logRank | bond type, parent logRank)). Walking the graph from the root, each fragment draws a
logRank from that distribution given its bond type and its parent's drawn logRank; logRank 7
means no peak. A fragment with a peak appears at (mass + s*H + proton) with the hydrogen shift s
drawn from (-1, 0, +1) (weights 1:2:1), and a relative intensity inside its logRank band
(2^-(l-1) times a uniform factor in [0.5, 1)). The precursor ion appears with probability 1/2, and
a few noise peaks (Poisson, mean 2) with logRanks drawn from the model's null distribution.
"""

from __future__ import annotations

import logging

import numpy as np

from specsweep.chem.masses import HYDROGEN, PROTON

log = logging.getLogger("specsweep.translate")

ABSENT = 7
H_SHIFTS = np.array([-1.0, 0.0, 1.0])
H_WEIGHTS = np.array([0.25, 0.5, 0.25])


def load_logrank_probabilities(model_path=None) -> tuple[np.ndarray, np.ndarray]:
    """(P(l | bond, parent l) (N_BOND_CODES, 8, 8), P(l | null) (8,)) for charge 1 from a model JSON.

    Without a path, the model shipped with the package is used.
    """
    from specsweep.model.tables import default_model_path, load_model
    path = model_path or default_model_path()
    return load_model(path).probabilities(1)


def sample_logranks(parent: np.ndarray, bond: np.ndarray, depth: np.ndarray, cond: np.ndarray,
                    rng: np.random.Generator) -> np.ndarray:
    """Draw a logRank (1..7) for every fragment, parents before children; the root gets 0."""
    lr = np.zeros(len(parent), dtype=np.int64)
    for d in range(1, int(depth.max(initial=0)) + 1):
        idx = np.flatnonzero(depth == d)
        if idx.size == 0:
            continue
        probs = cond[bond[idx].astype(np.int64), lr[parent[idx]]]  # (n, 8)
        cum = np.cumsum(probs, axis=1)
        u = rng.random(idx.size) * cum[:, -1]
        lr[idx] = np.minimum((cum < u[:, None]).sum(axis=1), ABSENT)
    return lr


def synthetic_peaks(frag_mass: np.ndarray, lr: np.ndarray, null: np.ndarray,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Peaks (m/z in Th ascending, relative intensity) of one synthetic [M+H]+ spectrum."""
    seen = np.flatnonzero((lr > 0) & (lr < ABSENT))
    prec = frag_mass[0] + PROTON
    shift = rng.choice(H_SHIFTS, size=seen.size, p=H_WEIGHTS)
    mz = [frag_mass[seen] + shift * HYDROGEN + PROTON]
    inten = [np.exp2(-(lr[seen] - 1.0)) * rng.uniform(0.5, 1.0, seen.size)]
    if rng.random() < 0.5:
        mz.append(np.array([prec]))
        inten.append(np.exp2(-float(rng.integers(0, 4))) * rng.uniform(0.5, 1.0, 1))
    n_noise = int(rng.poisson(2.0))
    if n_noise:
        q = null[1:ABSENT] / null[1:ABSENT].sum()
        mz.append(rng.uniform(min(50.0, prec / 2), prec, n_noise))
        inten.append(np.exp2(-(rng.choice(np.arange(1, ABSENT), n_noise, p=q) - 1.0)) * rng.uniform(0.5, 1.0, n_noise))
    mz, inten = np.concatenate(mz), np.concatenate(inten)
    keep = (mz > 0) & (mz <= prec + 0.5)
    order = np.argsort(mz[keep], kind="stable")
    return mz[keep][order], inten[keep][order]


def synthetic_examples(smiles: list[str], tokenizer, config, per_molecule: int = 2, model_path=None,
                       seed: int = 0, max_fragments: int = 5000, progress=None) -> tuple[dict, list[dict]]:
    """Encoded synthetic spectra for canonical SMILES (see dataset.build_examples for the layout).

    Structures are cut as the model's training structures were (its recorded fragmentation)."""
    from dataclasses import replace

    from specsweep.fragment.graph import fragment_smiles
    from specsweep.model.tables import default_model_path, load_model, model_fragmentation
    from specsweep.translate.dataset import encode_spectra, process, records_to_csr
    from specsweep.translate.tokenizer import pad_token_rows

    cond, null = load_logrank_probabilities(model_path)
    params = replace(model_fragmentation(load_model(model_path or default_model_path())),
                     max_fragments=max_fragments)
    records, rows, kept, rejects = [], [], [], []
    it = enumerate(smiles)
    if progress is None:
        from specsweep.progress import progress as bar
        it = bar(it, total=len(smiles), desc="synthetic spectra", unit="mol")
    for i, s in it:
        try:
            ids = tokenizer.encode(s)
        except ValueError as exc:
            rejects.append({"record": i, "record_id": s, "reason": "untokenizable_smiles", "detail": str(exc)})
            continue
        if len(ids) > config.max_len:
            rejects.append({"record": i, "record_id": s, "reason": "smiles_too_long", "detail": ""})
            continue
        try:
            fg = fragment_smiles(s, params)
        except (ValueError, KeyError) as exc:  # KeyError: an element without a mass in chem.masses
            rejects.append({"record": i, "record_id": s, "reason": "not_fragmented", "detail": repr(exc)})
            continue
        rng = np.random.default_rng([seed, i])
        for _ in range(per_molecule):
            lr = sample_logranks(fg.parent, fg.bond, fg.depth, cond, rng)
            mz, inten = synthetic_peaks(fg.mass, lr, null, rng)
            mz, inten = process(mz, inten, float(fg.mass[0] + PROTON))
            records.append({"mz": mz, "intensity": inten, "precursor_mz": float(fg.mass[0] + PROTON)})
            rows.append(ids)
            kept.append(s)
    offsets, mz, inten, prec = records_to_csr(records)
    arrays = encode_spectra(offsets, mz, inten, prec, ["[M+H]+"] * len(records), config)
    ok = arrays["n_peaks"] > 0
    arrays = {k: v[ok] for k, v in arrays.items()}
    arrays["tokens"] = pad_token_rows([r for r, g in zip(rows, ok) if g], config.max_len)
    arrays["smiles"] = np.array([s for s, g in zip(kept, ok) if g], dtype=str)
    arrays["precursor_mz"] = prec[ok]
    return arrays, rejects
