"""Batched beam search with a key/value cache: k token sequences per spectrum, many spectra at once.

All beams of all spectra in a batch advance together as rows of one tensor. A beam that has
emitted ``<eos>`` is frozen: it may only append ``<pad>`` at zero cost, so it keeps competing
with the open beams on its final score, and the search stops when every row is frozen or
``max_len`` is reached. Scores are sums of token log-probabilities (natural log).
"""

from __future__ import annotations

import numpy as np
import torch

from specsweep.translate.tokenizer import BOS, EOS, PAD


def _next_logp(logits, no_eos: bool, constraint, done):
    """Log-probabilities of each beam's next token: ``<eos>`` forbidden when ``no_eos``, tokens
    the constraint refuses forbidden, and an ended beam (``done``) can only add ``<pad>`` at no
    cost (so its score stays)."""
    logp = torch.log_softmax(logits.float(), dim=-1)
    if no_eos:
        logp[:, EOS] = float("-inf")
    if constraint is not None:
        logp.masked_fill_(~constraint.allowed(), float("-inf"))
    logp[done] = float("-inf")
    logp[done, PAD] = 0.0
    logp[~done, PAD] = float("-inf")
    return logp


def _follow_beams(cache, src, t: int) -> None:
    """Reorder the decoder's key/value cache (positions 0..t) in place: row i takes row src[i]."""
    for kc, vc in cache:
        kc[:, :, : t + 1] = kc[src, :, : t + 1]
        vc[:, :, : t + 1] = vc[src, :, : t + 1]


def _kept_cache(cache, rows, t: int) -> list:
    """A smaller key/value cache holding only the ``rows`` (bool mask) still decoding."""
    new_cache = []
    for kc, vc in cache:
        nk = kc.new_empty((int(rows.sum()),) + kc.shape[1:])
        nv = vc.new_empty(nk.shape)
        nk[:, :, : t + 1] = kc[rows, :, : t + 1]
        nv[:, :, : t + 1] = vc[rows, :, : t + 1]
        new_cache.append((nk, nv))
    return new_cache


@torch.no_grad()
def beam_search(model, batch: dict, beam_size: int = 10, max_len: int | None = None,
                min_len: int = 0, autocast_dtype=None, constraint=None) -> tuple[np.ndarray, np.ndarray]:
    """Decode a batch of encoded spectra (dict of tensors on the model's device).

    Returns ``tokens`` (B, beam_size, L) int64 without the leading ``<bos>`` and ``logprob``
    (B, beam_size) float64, beams sorted best first. ``min_len`` forbids ``<eos>`` before that many
    tokens (used to time fixed-length output). ``autocast_dtype`` (e.g. torch.bfloat16) runs the
    network under autocast on CUDA. ``constraint`` (a ``constraints.FormulaConstraint`` with one
    row per beam row, i.e. per spectrum repeated ``beam_size`` times) masks tokens each beam may
    not write next.
    """
    device = next(model.parameters()).device
    max_len = min(max_len or model.config.max_len - 1, model.config.max_len - 1)
    k = beam_size
    ctx = (torch.autocast(device.type, dtype=autocast_dtype) if autocast_dtype is not None
           else torch.autocast(device.type, enabled=False))
    with ctx:
        memory, mask = model.encode(batch)
        b = memory.shape[0]
        kvs = [(kk.repeat_interleave(k, 0), vv.repeat_interleave(k, 0)) for kk, vv in model.memory_kv(memory)]
        mask = mask.repeat_interleave(k, 0)
        cache = model.new_cache(b * k, max_len + 1, kvs[0][0].dtype, device)
    scores = torch.full((b, k), float("-inf"), device=device)
    scores[:, 0] = 0.0
    tokens = torch.full((b * k, max_len + 1), PAD, dtype=torch.long, device=device)
    tokens[:, 0] = BOS
    done = torch.zeros(b * k, dtype=torch.bool, device=device)
    out_tokens = torch.full((b, k, max_len + 1), PAD, dtype=torch.long, device=device)
    out_scores = torch.empty((b, k), device=device)
    alive = torch.arange(b, device=device)  # spectra still decoding, as indices into the batch
    last = tokens[:, 0]
    used = max_len + 1
    for t in range(max_len):
        n = alive.shape[0]
        with ctx:
            logits = model.step(last, t, kvs, mask, cache)
        logp = _next_logp(logits, t < min_len, constraint, done)
        v = logp.shape[-1]
        total = (scores.view(-1, 1) + logp).view(n, k * v)
        scores, idx = total.topk(k, dim=1)
        src = (torch.arange(n, device=device).unsqueeze(1) * k + idx // v).view(-1)
        tok = (idx % v).view(-1)
        tokens = tokens[src]
        tokens[:, t + 1] = tok
        done = done[src] | (tok == EOS)
        if constraint is not None:
            constraint.advance(src, tok)
        _follow_beams(cache, src, t)
        last = tok
        finished = done.view(n, k).all(dim=1)
        n_finished = int(finished.sum())
        if n_finished == n or t == max_len - 1:
            out_tokens[alive, :, : t + 2] = tokens.view(n, k, -1)[:, :, : t + 2]
            out_scores[alive] = scores
            used = t + 2
            break
        if n_finished and n_finished * 4 >= n:
            # retire spectra whose beams have all ended, so later steps run on fewer rows
            out_tokens[alive[finished], :, : t + 2] = tokens.view(n, k, -1)[finished][:, :, : t + 2]
            out_scores[alive[finished]] = scores[finished]
            keep = ~finished
            rows = keep.repeat_interleave(k)
            alive, scores, tokens, done, last = alive[keep], scores[keep], tokens[rows], done[rows], last[rows]
            kvs = [(kk[rows], vv[rows]) for kk, vv in kvs]
            mask = mask[rows]
            if constraint is not None:
                constraint.select(rows)
            cache = _kept_cache(cache, rows, t)
    return out_tokens[:, :, 1:used].cpu().numpy(), out_scores.double().cpu().numpy()


@torch.no_grad()
def greedy_one(model, batch: dict, max_len: int | None = None) -> np.ndarray:
    """Plain greedy decoding of one spectrum without a cache (reference for tests and benchmarks)."""
    device = next(model.parameters()).device
    max_len = min(max_len or model.config.max_len - 1, model.config.max_len - 1)
    tokens = torch.tensor([[BOS]], device=device)
    for _ in range(max_len):
        nxt = model(batch, tokens)[0, -1].argmax()
        tokens = torch.cat([tokens, nxt.view(1, 1)], dim=1)
        if int(nxt) == EOS:
            break
    return tokens[0, 1:].cpu().numpy()


def decode_arrays(model, arrays: dict, tokenizer, beam_size: int = 10, batch_size: int = 128,
                  autocast_dtype=None, max_len: int | None = None, progress=None, formulas=None,
                  hydrogens: bool = False):
    """Beam-decode every spectrum of ``arrays`` (dataset.encode_spectra output).

    ``formulas`` (optional, one element-count dict or None per spectrum) constrains each
    spectrum's beams to that formula's heavy atoms, and with ``hydrogens`` its H count too (see
    ``constraints``); None rows decode freely apart from SMILES grammar and valence.

    Returns (list of k SMILES strings per spectrum, best first; (n, k) float64 log-probabilities).
    Strings are raw decoder output: they may not parse.
    """
    from specsweep.translate.dataset import ARRAY_KEYS
    device = next(model.parameters()).device
    n = len(arrays["n_peaks"])
    # batches of similar precursor m/z decode to similar lengths, so fewer steps are wasted
    order = np.argsort(arrays["prec_int"].astype(np.float64) + arrays["prec_frac"], kind="stable")
    texts: list = [None] * n
    table = targets = None
    if formulas is not None:
        from specsweep.translate.constraints import FormulaConstraint, TokenTable
        table = TokenTable(tokenizer.vocab)
        targets = table.targets(formulas)
    scores = np.zeros((n, beam_size))
    starts = range(0, n, batch_size)
    for s in (progress(starts) if progress else starts):
        rows = order[s:s + batch_size]
        batch = {k: torch.from_numpy(np.ascontiguousarray(arrays[k][rows])).to(device) for k in ARRAY_KEYS}
        constraint = None
        if table is not None:
            rows_t = torch.from_numpy(targets[rows]).to(device).repeat_interleave(beam_size, 0)
            constraint = FormulaConstraint(table, rows_t, max_len=model.config.max_len, hydrogens=hydrogens)
        toks, lp = beam_search(model, batch, beam_size, max_len=max_len, autocast_dtype=autocast_dtype,
                               constraint=constraint)
        for j, r in enumerate(rows):
            texts[r] = [tokenizer.decode(row) for row in toks[j]]
        scores[rows] = lp
    return texts, scores
