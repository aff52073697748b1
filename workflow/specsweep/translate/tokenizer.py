"""Token streams for the translator: SMILES tokens out, spectrum peak tokens in.

SMILES are split with the usual bracket-atom/two-letter-halogen regular expression (one token
per atom, bond, branch or ring digit). Spectra become fixed-width arrays, one row per spectrum:
the most intense peaks (at most ``max_peaks``) with integer m/z, fractional m/z, a log-intensity
bin and the integer neutral loss to the precursor. Science code only: NumPy in, NumPy out.
"""

from __future__ import annotations

import re

import numpy as np
from numba import njit

PAD, BOS, EOS, UNK = 0, 1, 2, 3
SPECIALS = ["<pad>", "<bos>", "<eos>", "<unk>"]

SMILES_TOKEN = re.compile(
    r"(\[[^\]]+]|Br?|Cl?|N|O|S|P|F|I|b|c|n|o|s|p|\(|\)|\.|=|#|-|\+|\\|/|:|~|@|\?|>|\*|\$|%[0-9]{2}|[0-9])")

# Relative intensity bins: floor(ln(I / I_max) / ln(base)) + shift, clipped at 0, so the base
# peak gets ``shift`` and bin 0 holds everything below base**-shift (SpecTUS uses 1.28 and 29).
INTENSITY_LOG_BASE = 1.28
INTENSITY_SHIFT = 29
N_INTENSITY_BINS = INTENSITY_SHIFT + 1


def split_smiles(smiles: str) -> list[str]:
    """SMILES -> list of tokens; raises ValueError if the pieces do not rebuild the string."""
    tokens = SMILES_TOKEN.findall(smiles)
    if "".join(tokens) != smiles:
        raise ValueError(f"SMILES has characters outside the token set: {smiles!r}")
    return tokens


class SmilesTokenizer:
    """Maps SMILES to int ids (``<bos> ... <eos>``) and back, over a fixed vocabulary."""

    def __init__(self, vocab: list[str]):
        if vocab[: len(SPECIALS)] != SPECIALS:
            raise ValueError("vocabulary must start with the special tokens " + ", ".join(SPECIALS))
        self.vocab = list(vocab)
        self.index = {t: i for i, t in enumerate(self.vocab)}

    @classmethod
    def build(cls, smiles_list, min_count: int = 1) -> "SmilesTokenizer":
        """Vocabulary of every token seen at least ``min_count`` times, sorted for stable ids."""
        counts: dict[str, int] = {}
        for s in smiles_list:
            for t in SMILES_TOKEN.findall(s):
                counts[t] = counts.get(t, 0) + 1
        return cls(SPECIALS + sorted(t for t, c in counts.items() if c >= min_count))

    def __len__(self) -> int:
        return len(self.vocab)

    def encode(self, smiles: str) -> np.ndarray:
        """``<bos>`` + token ids + ``<eos>`` as int16; unknown tokens map to ``<unk>``."""
        ids = [BOS] + [self.index.get(t, UNK) for t in split_smiles(smiles)] + [EOS]
        return np.asarray(ids, dtype=np.int16)

    def decode(self, ids) -> str:
        """Token ids (with or without ``<bos>``) up to the first ``<eos>`` -> SMILES string."""
        out = []
        for i in ids:
            i = int(i)
            if i == EOS:
                break
            if i in (PAD, BOS):
                continue
            out.append(self.vocab[i] if i != UNK else "?")
        return "".join(out)


def pad_token_rows(rows: list[np.ndarray], max_len: int) -> np.ndarray:
    """List of 1-D id arrays -> (n, max_len) int16 padded with ``<pad>``; rows must fit."""
    out = np.full((len(rows), max_len), PAD, dtype=np.int16)
    for i, r in enumerate(rows):
        if len(r) > max_len:
            raise ValueError(f"row {i} has {len(r)} tokens, more than {max_len}")
        out[i, : len(r)] = r
    return out


@njit(cache=True)
def _encode_peaks(offsets, mz, intensity, precursor_mz, max_peaks, max_mz_int, log_base, shift,
                  out_int, out_frac, out_bin, out_loss, out_n):
    inv_log = 1.0 / np.log(log_base)
    for s in range(len(offsets) - 1):
        lo, hi = offsets[s], offsets[s + 1]
        prec = precursor_mz[s]
        # keep positive peaks up to just above the precursor
        keep = np.empty(hi - lo, dtype=np.int64)
        n = 0
        for j in range(lo, hi):
            if intensity[j] > 0 and mz[j] > 0 and mz[j] <= prec + 0.5:
                keep[n] = j
                n += 1
        keep = keep[:n]
        if n == 0:
            out_n[s] = 0
            continue
        order = np.argsort(-intensity[keep], kind="mergesort")
        m = min(n, max_peaks)
        sel = np.sort(keep[order[:m]])  # back to m/z order of the file
        top = 0.0
        for j in sel:
            if intensity[j] > top:
                top = intensity[j]
        for k in range(m):
            j = sel[k]
            whole = np.floor(mz[j])
            out_int[s, k] = min(int(whole), max_mz_int)
            out_frac[s, k] = mz[j] - whole
            b = int(np.floor(np.log(intensity[j] / top) * inv_log)) + shift
            out_bin[s, k] = max(0, min(shift, b))
            loss = int(np.round(prec - mz[j]))
            out_loss[s, k] = max(0, min(loss, max_mz_int))
        out_n[s] = m


def encode_peaks(offsets: np.ndarray, mz: np.ndarray, intensity: np.ndarray, precursor_mz: np.ndarray,
                 max_peaks: int = 64, max_mz_int: int = 2047) -> dict[str, np.ndarray]:
    """Peaks of many spectra (CSR: ``offsets``, flat ``mz`` in Th, flat ``intensity``) -> arrays.

    Returns ``peak_int`` (int16, integer part of m/z, clipped to ``max_mz_int``), ``peak_frac``
    (float32, fractional part), ``peak_bin`` (int8, log relative-intensity bin 0..29),
    ``peak_loss`` (int16, rounded precursor m/z minus peak m/z) of shape (n, max_peaks), padded
    after ``n_peaks`` (int16, peaks kept). Peaks above precursor + 0.5 Th or with zero intensity
    are dropped; the ``max_peaks`` most intense are kept and stored in m/z order.
    """
    n = len(offsets) - 1
    out_int = np.zeros((n, max_peaks), dtype=np.int16)
    out_frac = np.zeros((n, max_peaks), dtype=np.float32)
    out_bin = np.zeros((n, max_peaks), dtype=np.int8)
    out_loss = np.zeros((n, max_peaks), dtype=np.int16)
    out_n = np.zeros(n, dtype=np.int16)
    _encode_peaks(np.asarray(offsets, dtype=np.int64), np.asarray(mz, dtype=np.float64),
                  np.asarray(intensity, dtype=np.float64), np.asarray(precursor_mz, dtype=np.float64),
                  max_peaks, max_mz_int, INTENSITY_LOG_BASE, INTENSITY_SHIFT,
                  out_int, out_frac, out_bin, out_loss, out_n)
    return {"peak_int": out_int, "peak_frac": out_frac, "peak_bin": out_bin, "peak_loss": out_loss,
            "n_peaks": out_n}


def encode_precursor(precursor_mz: np.ndarray, adduct_ids: np.ndarray) -> dict[str, np.ndarray]:
    """Precursor m/z (Th) split into integer and fractional part, plus adduct ids (int16)."""
    p = np.asarray(precursor_mz, dtype=np.float64)
    whole = np.floor(p)
    return {"prec_int": np.clip(whole, 0, 2047).astype(np.int16),
            "prec_frac": (p - whole).astype(np.float32),
            "adduct": np.asarray(adduct_ids, dtype=np.int16)}
