"""Training loop: teacher-forced cross-entropy over SMILES tokens, AdamW, warm-up + cosine decay.

Data are the arrays of :mod:`specsweep.translate.dataset`, moved to the device once; batches are
drawn with a seeded generator so a run is repeatable on the same hardware. On CUDA the forward
pass runs under bf16 autocast.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from specsweep.translate.dataset import ARRAY_KEYS
from specsweep.translate.tokenizer import PAD


@dataclass
class TrainSettings:
    steps: int = 1000
    batch_size: int = 256
    lr: float = 5e-4
    warmup: int = 200
    weight_decay: float = 0.01
    label_smoothing: float = 0.05
    seed: int = 0
    log_every: int = 100
    bf16: bool = True            # used only on CUDA
    max_seconds: float = float("inf")  # wall-clock budget; the schedule then follows elapsed time
    peak_dropout: float = 0.0    # chance that a peak is hidden from the encoder (augmentation)


def to_device(arrays: dict, device) -> dict:
    """Model inputs and tokens as tensors on ``device`` (string columns stay behind)."""
    return {k: torch.from_numpy(np.ascontiguousarray(arrays[k])).to(device)
            for k in (*ARRAY_KEYS, "tokens") if k in arrays}


def batch_at(data: dict, idx) -> tuple[dict, torch.Tensor]:
    batch = {k: data[k][idx] for k in ARRAY_KEYS}
    tokens = data["tokens"][idx]
    length = int((tokens != PAD).sum(1).max())
    return batch, tokens[:, :length]


def lr_at(step: int, s: TrainSettings, elapsed: float = 0.0) -> float:
    """Linear warm-up, then cosine decay to 5 % over the steps or the time budget, whichever ends first."""
    if step < s.warmup:
        return s.lr * (step + 1) / s.warmup
    frac = (step - s.warmup) / max(1, s.steps - s.warmup)
    if math.isfinite(s.max_seconds):
        frac = max(frac, elapsed / s.max_seconds)
    return s.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, frac))))


def train_model(model, data: dict, settings: TrainSettings, log=print) -> list[tuple[int, float]]:
    """Train ``model`` in place on tensors ``data`` (see :func:`to_device`); returns (step, loss)."""
    device = data["tokens"].device
    torch.manual_seed(settings.seed)
    gen = torch.Generator(device="cpu").manual_seed(settings.seed)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": settings.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=settings.lr, betas=(0.9, 0.98),
                            fused=device.type == "cuda")
    use_bf16 = settings.bf16 and device.type == "cuda"
    n = data["tokens"].shape[0]
    history, t0 = [], time.time()
    model.train()
    for step in range(settings.steps):
        lr = lr_at(step, settings, time.time() - t0)
        for g in opt.param_groups:
            g["lr"] = lr
        idx = torch.randint(0, n, (settings.batch_size,), generator=gen).to(device)
        batch, tokens = batch_at(data, idx)
        if settings.peak_dropout > 0:
            shape = batch["peak_int"].shape
            batch["peak_keep"] = (torch.rand(shape, generator=gen) >= settings.peak_dropout).to(device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
            logits = model(batch, tokens[:, :-1])
        loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), tokens[:, 1:].reshape(-1).long(),
                               ignore_index=PAD, label_smoothing=settings.label_smoothing)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if (step + 1) % settings.log_every == 0 or step == settings.steps - 1:
            history.append((step + 1, float(loss.detach())))
            log(f"step {step + 1}/{settings.steps} loss {float(loss.detach()):.4f} lr {lr:.2e} "
                f"{time.time() - t0:.0f}s")
        if time.time() - t0 > settings.max_seconds:
            log(f"stopping at step {step + 1}: time limit {settings.max_seconds:.0f}s")
            history.append((step + 1, float(loss.detach())))
            break
    model.eval()
    return history


def pick_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)
