"""Encoder-decoder transformer from spectrum peaks to SMILES tokens (torch.nn only).

Encoder tokens: one precursor token (m/z + adduct) and one token per peak. A token's vector is
the sum of an integer-m/z embedding, a Fourier encoding of the fractional m/z (so 0.1 mDa
differences stay visible), a log-intensity-bin embedding, an integer neutral-loss embedding and a
token-type embedding. There is no position embedding on the encoder side: peaks are a set.
Decoder: SMILES token embedding + learned position, pre-norm layers with self-attention (with a
key/value cache for step-by-step decoding) and cross-attention to the encoded peaks.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from specsweep.chem.adducts import ADDUCTS


@dataclass
class TranslatorConfig:
    vocab: list = field(default_factory=list)       # SMILES token vocabulary (tokenizer order)
    adducts: list = field(default_factory=lambda: ["<unknown>"] + list(ADDUCTS))
    d_model: int = 384
    n_heads: int = 8
    n_enc_layers: int = 4
    n_dec_layers: int = 4
    d_ff: int = 1536
    dropout: float = 0.1
    max_mz_int: int = 2047      # integer m/z and loss tables have max_mz_int + 1 rows
    n_intensity_bins: int = 30
    n_fourier: int = 32         # sin/cos pairs for the fractional m/z
    max_peaks: int = 64
    max_len: int = 128          # decoder positions (SMILES tokens incl. <bos>/<eos>)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TranslatorConfig":
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


class Attention(nn.Module):
    def __init__(self, d: int, h: int, dropout: float):
        super().__init__()
        self.h, self.hd, self.dropout = h, d // h, dropout
        self.q = nn.Linear(d, d)
        self.kv = nn.Linear(d, 2 * d)
        self.o = nn.Linear(d, d)

    def split(self, x):  # (B, L, d) -> (B, h, L, hd)
        b, l, _ = x.shape
        return x.view(b, l, self.h, self.hd).transpose(1, 2)

    def keys_values(self, x):
        k, v = self.kv(x).chunk(2, dim=-1)
        return self.split(k), self.split(v)

    def attend(self, q, k, v, mask=None, causal=False):
        p = self.dropout if self.training else 0.0
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p, is_causal=causal)
        b, h, l, hd = out.shape
        return self.o(out.transpose(1, 2).reshape(b, l, h * hd))


class EncoderLayer(nn.Module):
    def __init__(self, c: TranslatorConfig):
        super().__init__()
        self.n1, self.n2 = nn.LayerNorm(c.d_model), nn.LayerNorm(c.d_model)
        self.att = Attention(c.d_model, c.n_heads, c.dropout)
        self.ff = nn.Sequential(nn.Linear(c.d_model, c.d_ff), nn.GELU(), nn.Linear(c.d_ff, c.d_model))
        self.drop = nn.Dropout(c.dropout)

    def forward(self, x, mask):
        y = self.n1(x)
        k, v = self.att.keys_values(y)
        x = x + self.drop(self.att.attend(self.att.split(self.att.q(y)), k, v, mask))
        return x + self.drop(self.ff(self.n2(x)))


class DecoderLayer(nn.Module):
    def __init__(self, c: TranslatorConfig):
        super().__init__()
        self.n1, self.n2, self.n3 = (nn.LayerNorm(c.d_model) for _ in range(3))
        self.self_att = Attention(c.d_model, c.n_heads, c.dropout)
        self.cross_att = Attention(c.d_model, c.n_heads, c.dropout)
        self.ff = nn.Sequential(nn.Linear(c.d_model, c.d_ff), nn.GELU(), nn.Linear(c.d_ff, c.d_model))
        self.drop = nn.Dropout(c.dropout)

    def forward(self, x, mem_kv, mem_mask, cache=None, t=None):
        """Whole sequence (training, causal) when ``cache`` is None; else one step at position t.

        ``cache`` is a pair of (B, h, max_len, hd) tensors updated in place at position t.
        """
        y = self.n1(x)
        q = self.self_att.split(self.self_att.q(y))
        k, v = self.self_att.keys_values(y)
        if cache is None:
            a = self.self_att.attend(q, k, v, causal=True)
        else:
            cache[0][:, :, t:t + 1] = k
            cache[1][:, :, t:t + 1] = v
            a = self.self_att.attend(q, cache[0][:, :, : t + 1], cache[1][:, :, : t + 1])
        x = x + self.drop(a)
        y = self.n2(x)
        q = self.cross_att.split(self.cross_att.q(y))
        x = x + self.drop(self.cross_att.attend(q, mem_kv[0], mem_kv[1], mem_mask))
        return x + self.drop(self.ff(self.n3(x)))


class SpectrumTranslator(nn.Module):
    def __init__(self, config: TranslatorConfig):
        super().__init__()
        c = self.config = config
        d = c.d_model
        self.mz_emb = nn.Embedding(c.max_mz_int + 1, d)
        self.loss_emb = nn.Embedding(c.max_mz_int + 1, d)
        self.bin_emb = nn.Embedding(c.n_intensity_bins, d)
        self.type_emb = nn.Embedding(2, d)  # 0 precursor, 1 peak
        self.adduct_emb = nn.Embedding(len(c.adducts), d)
        self.register_buffer("freqs", 2 * math.pi * torch.arange(1, c.n_fourier + 1, dtype=torch.float32),
                             persistent=False)
        self.frac_proj = nn.Linear(2 * c.n_fourier, d)
        self.enc_norm_in = nn.LayerNorm(d)
        self.encoder = nn.ModuleList(EncoderLayer(c) for _ in range(c.n_enc_layers))
        self.enc_norm = nn.LayerNorm(d)
        self.tok_emb = nn.Embedding(len(c.vocab), d)
        self.pos_emb = nn.Embedding(c.max_len, d)
        self.decoder = nn.ModuleList(DecoderLayer(c) for _ in range(c.n_dec_layers))
        self.dec_norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, len(c.vocab), bias=False)
        self.head.weight = self.tok_emb.weight
        self.apply(self._init)

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.zeros_(m.bias)

    def _frac(self, frac):
        ang = frac.float().unsqueeze(-1) * self.freqs
        return self.frac_proj(torch.cat([ang.sin(), ang.cos()], dim=-1))

    def encode(self, batch: dict):
        """Batch of tensors (see tokenizer.encode_peaks/encode_precursor) -> (memory, key mask).

        The mask is boolean (B, 1, 1, S), True where a key may be attended to.
        """
        pi, pl, pb = batch["peak_int"].long(), batch["peak_loss"].long(), batch["peak_bin"].long()
        peaks = (self.mz_emb(pi) + self.loss_emb(pl) + self.bin_emb(pb) + self._frac(batch["peak_frac"])
                 + self.type_emb.weight[1])
        prec = (self.mz_emb(batch["prec_int"].long()) + self._frac(batch["prec_frac"])
                + self.adduct_emb(batch["adduct"].long()) + self.type_emb.weight[0])
        x = torch.cat([prec.unsqueeze(1), peaks], dim=1)
        n = batch["n_peaks"].long()
        idx = torch.arange(x.shape[1], device=x.device)
        keep = idx.unsqueeze(0) <= n.unsqueeze(1)  # precursor token + n peaks
        if "peak_keep" in batch:  # training augmentation: hide some peaks
            keep = keep & torch.cat([keep[:, :1], batch["peak_keep"]], dim=1)
        mask = keep[:, None, None, :]
        x = self.enc_norm_in(x)
        for layer in self.encoder:
            x = layer(x, mask)
        return self.enc_norm(x), mask

    def memory_kv(self, memory):
        """Cross-attention keys/values of every decoder layer, computed once per spectrum."""
        return [layer.cross_att.keys_values(memory) for layer in self.decoder]

    def forward(self, batch: dict, tokens):
        """Teacher-forced logits (B, L, V) for decoder input ``tokens`` (B, L)."""
        memory, mask = self.encode(batch)
        kvs = self.memory_kv(memory)
        pos = torch.arange(tokens.shape[1], device=tokens.device)
        x = self.tok_emb(tokens.long()) + self.pos_emb(pos)
        for layer, kv in zip(self.decoder, kvs):
            x = layer(x, kv, mask)
        return self.head(self.dec_norm(x))

    def new_cache(self, n_rows: int, max_len: int, dtype, device):
        c = self.config
        shape = (n_rows, c.n_heads, max_len, c.d_model // c.n_heads)
        return [(torch.empty(shape, dtype=dtype, device=device), torch.empty(shape, dtype=dtype, device=device))
                for _ in self.decoder]

    def step(self, tokens, t: int, kvs, mask, cache):
        """Logits (B, V) for the next token given the token at position t (B,)."""
        x = self.tok_emb(tokens.long()).unsqueeze(1) + self.pos_emb.weight[t]
        for layer, kv, ch in zip(self.decoder, kvs, cache):
            x = layer(x, kv, mask, cache=ch, t=t)
        return self.head(self.dec_norm(x[:, 0]))


def save_checkpoint(path, model: SpectrumTranslator, meta: dict | None = None, half: bool = False) -> None:
    """state_dict + config dict (+ plain metadata), loadable with ``torch.load(weights_only=True)``."""
    import io
    import os
    import tempfile
    from pathlib import Path
    sd = {k: (v.detach().cpu().half() if half and v.is_floating_point() else v.detach().cpu())
          for k, v in model.state_dict().items()}
    obj = {"config": model.config.to_dict(), "state_dict": sd, "meta": meta or {}}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()   # torch.save names the zip's root folder after a file's name: a buffer
    torch.save(obj, buf)  # gets the fixed name 'archive', so the bytes depend only on the model
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        Path(tmp).write_bytes(buf.getvalue())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def load_checkpoint(path, device="cpu") -> tuple[SpectrumTranslator, dict]:
    obj = torch.load(path, map_location="cpu", weights_only=True)
    model = SpectrumTranslator(TranslatorConfig.from_dict(obj["config"]))
    sd = {k: v.float() if v.is_floating_point() else v for k, v in obj["state_dict"].items()}
    model.load_state_dict(sd)
    return model.to(device).eval(), obj.get("meta", {})
