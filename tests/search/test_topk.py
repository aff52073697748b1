"""Per-spectrum top-k merges give the same rows however the hits are split."""

import numpy as np

from specsweep.search import topk


def random_hits(rng, n):
    # distinct (spectrum, molecule, decoy flag) triples, as a search produces them
    combo = rng.choice(7 * 40 * 2, size=n, replace=False)
    ids = np.array([f"M{i:03d}" for i in (combo // 2) % 40])
    return {"spec": (combo // 80).astype(np.int64), "mol_id": ids,
            "is_decoy": combo % 2 == 1, "inchikey14": ids.astype(object),
            "smiles": ids.astype(object), "exact_mass": rng.random(n),
            "adduct": np.array(["[M+H]+"] * n), "charge": np.ones(n, np.int8),
            "precursor_error_ppm": np.zeros(n),
            # few distinct scores, so that ties decide many places
            "score": rng.integers(0, 4, n).astype(float),
            "n_matched_peaks": np.zeros(n, np.int32), "explained_intensity": np.zeros(n)}


def test_split_merge_equals_global_topk():
    rng = np.random.default_rng(7)
    hits = random_hits(rng, 400)
    whole = topk.top_k(hits, 5)
    for n_chunks in (2, 3, 8):
        chunks = np.array_split(rng.permutation(400), n_chunks)
        partial = [topk.top_k(topk.take(hits, c), 5) for c in chunks]
        merged = topk.top_k(topk.concat(partial), 5)
        for key in topk.HIT_COLUMNS:
            np.testing.assert_array_equal(merged[key], whole[key])
    # order inside a spectrum: targets, then decoys; in each list score desc, then mol_id
    spec, score, mol, dec = whole["spec"], whole["score"], whole["mol_id"], whole["is_decoy"]
    for i in range(1, len(spec)):
        if spec[i] == spec[i - 1]:
            assert (dec[i - 1], -score[i - 1], mol[i - 1]) <= (dec[i], -score[i], mol[i])
    # k targets AND k decoys per spectrum: top-5 means five structures, whatever the decoys score
    for s_ in np.unique(hits["spec"]):
        for side in (False, True):
            have = int(np.sum((hits["spec"] == s_) & (hits["is_decoy"] == side)))
            kept = int(np.sum((spec == s_) & (dec == side)))
            assert kept == min(5, have)
    np.testing.assert_array_equal(topk.ranks(np.array([0, 0, 2, 2, 2, 5])), [1, 2, 1, 2, 3, 1])
