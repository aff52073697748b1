"""Throughput of batched beam search (spectra per second), against plain baselines in the same run.

Measured here:
  ours/real      the checkpoint on real spectra (--arrays, from translate_eval.py prepare), beam k,
                 batched as `specsweep translate` does (decode_arrays: batches by precursor m/z,
                 finished spectra retired, token ids turned into SMILES strings; RDKit parsing
                 and re-ranking not included)
  ours/fixed     60 peaks in, exactly 60 tokens out, beam k, batched (the SpecTUS reference setting)
  HF BART/fixed  transformers' BartForConditionalGeneration of the same size (d_model, layers,
                 heads, FFN, vocabulary) with generate(num_beams=k), 60 tokens in, 60 out, batch
                 --hf-batch, bf16 on GPU; only when transformers is installed (not a dependency)
  plain/real     the same model and code, one spectrum at a time (batch 1): the per-spectrum loop

Each figure is the median of --repeats timed runs after one warm-up run.
Example: python benchmarks/translate_bench.py --checkpoint ckpt.pt --arrays eval.npz
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))

import torch  # noqa: E402

from specsweep.translate.beam import beam_search  # noqa: E402
from specsweep.translate.dataset import ARRAY_KEYS, load_arrays  # noqa: E402
from specsweep.translate.model import SpectrumTranslator, TranslatorConfig, load_checkpoint  # noqa: E402


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(fn, device, repeats):
    fn()
    _sync(device)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def fixed_batch(n, n_peaks, device, seed=0):
    g = torch.Generator().manual_seed(seed)
    b = {"peak_int": torch.randint(50, 500, (n, n_peaks), generator=g),
         "peak_loss": torch.randint(0, 450, (n, n_peaks), generator=g),
         "peak_bin": torch.randint(0, 30, (n, n_peaks), generator=g),
         "peak_frac": torch.rand(n, n_peaks, generator=g),
         "n_peaks": torch.full((n,), n_peaks), "prec_int": torch.randint(300, 600, (n,), generator=g),
         "prec_frac": torch.rand(n, generator=g), "adduct": torch.ones(n, dtype=torch.long)}
    return {k: v.to(device) for k, v in b.items()}


def run_ours(model, batches, beam, device, amp, max_len=None, min_len=0):
    def go():
        for b in batches:
            beam_search(model, b, beam, max_len=max_len, min_len=min_len, autocast_dtype=amp)
    return go


def hf_bart(config: TranslatorConfig, device, dtype, spectus=False):
    """Plain HF BART of our size, or of the SpecTUS size (12+12 layers, d 1024, 16 heads, FFN 4096)."""
    from transformers import BartConfig, BartForConditionalGeneration
    d, layers, heads, ff, vocab = ((1024, 12, 16, 4096, 267) if spectus else
                                   (config.d_model, config.n_enc_layers, config.n_heads, config.d_ff, len(config.vocab)))
    hc = BartConfig(vocab_size=vocab, d_model=d, encoder_layers=layers,
                    decoder_layers=config.n_dec_layers if not spectus else layers, encoder_attention_heads=heads,
                    decoder_attention_heads=heads, encoder_ffn_dim=ff, decoder_ffn_dim=ff, max_position_embeddings=256, pad_token_id=0, bos_token_id=1,
                    eos_token_id=2, decoder_start_token_id=1, forced_eos_token_id=None)
    m = BartForConditionalGeneration(hc).to(device=device, dtype=dtype).eval()
    return m, sum(p.numel() for p in m.parameters())


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", help="trained checkpoint; without it a fresh model of the default size")
    p.add_argument("--arrays", help="encoded spectra NPZ (translate_eval.py prepare) for the real-data figures")
    p.add_argument("--device", default="auto")
    p.add_argument("--beam", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=256, help="spectra per batch (ours)")
    p.add_argument("--hf-batch", type=int, default=128, help="spectra per batch (HF BART)")
    p.add_argument("--n", type=int, default=512, help="spectra per timed run (ours, batched)")
    p.add_argument("--n-plain", type=int, default=16, help="spectra per timed run (plain loop)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--hf-spectus", action="store_true", help="also time HF BART of the SpecTUS size (354M)")
    p.add_argument("--json", help="write the figures here too")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device if args.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu"))
    amp = torch.bfloat16 if device.type == "cuda" else None
    if args.checkpoint:
        model, _ = load_checkpoint(args.checkpoint, device)
    else:
        model = SpectrumTranslator(TranslatorConfig(vocab=[f"t{i}" for i in range(60)])).to(device).eval()
    c = model.config
    n_params = sum(p.numel() for p in model.parameters())
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu x{torch.get_num_threads()}"
    res = {"device": name, "beam": args.beam, "params_ours": n_params}
    print(f"device {name}; model {n_params / 1e6:.1f}M parameters; beam {args.beam}")

    if args.arrays:
        from specsweep.translate.beam import decode_arrays
        from specsweep.translate.tokenizer import SmilesTokenizer
        tok = SmilesTokenizer(c.vocab)
        arrays = load_arrays(args.arrays)
        n = args.n  # spectra are reused in turn when --n exceeds the file
        order = np.arange(n) % len(arrays["n_peaks"])
        sub = {k: arrays[k][order] for k in ARRAY_KEYS}

        def real(batch_size, m, formulas=None):
            part = {k: v[:m] for k, v in sub.items()}
            return lambda: decode_arrays(model, part, tok, args.beam, batch_size, autocast_dtype=amp,
                                         formulas=formulas[:m] if formulas is not None else None)
        t = timed(real(args.batch_size, n), device, args.repeats)
        res["ours_real_spectra_per_s"] = n / t
        print(f"ours/real   batched {args.batch_size}: {n / t:9.1f} spectra/s  ({n} spectra, {t:.3f} s)")
        m = min(args.n_plain, n)
        t = timed(real(1, m), device, 1)
        res["plain_real_spectra_per_s"] = m / t
        print(f"plain/real  batch 1:      {m / t:9.1f} spectra/s  ({m} spectra, {t:.3f} s)")
        print(f"ratio batched / plain loop: {res['ours_real_spectra_per_s'] / res['plain_real_spectra_per_s']:.1f}x")
        if "formula" in arrays:
            from specsweep.translate.constraints import formula_counts
            formulas = [formula_counts(arrays["formula"][i]) for i in order]
            t = timed(real(args.batch_size, n, formulas), device, args.repeats)
            res["ours_real_constrained_spectra_per_s"] = n / t
            print(f"ours/real   batched {args.batch_size}, formula-constrained: {n / t:9.1f} spectra/s  "
                  f"({res['ours_real_constrained_spectra_per_s'] / res['ours_real_spectra_per_s']:.2f}x unconstrained)")

    n = args.n
    batches = [fixed_batch(min(args.batch_size, n - s), 60, device, s) for s in range(0, n, args.batch_size)]
    t = timed(run_ours(model, batches, args.beam, device, amp, max_len=60, min_len=60), device, args.repeats)
    res["ours_fixed60_spectra_per_s"] = n / t
    print(f"ours/fixed  60 in, 60 out, batch {args.batch_size}: {n / t:9.1f} spectra/s")
    try:
        import transformers  # noqa: F401
    except ImportError:
        print("HF BART baseline skipped: transformers is not installed here")
    else:
        dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
        for spectus in ([False, True] if args.hf_spectus else [False]):
            hf, hf_params = hf_bart(c, device, dtype, spectus)
            tag = "hf_bart_spectus_size" if spectus else "hf_bart_same_size"
            res[f"params_{tag}"] = hf_params
            g = torch.Generator().manual_seed(0)
            nb = min(args.hf_batch, n)
            ids = torch.randint(3, hf.config.vocab_size, (nb, 60), generator=g).to(device)
            mask = torch.ones_like(ids)

            def go():
                with torch.no_grad():
                    hf.generate(input_ids=ids, attention_mask=mask, num_beams=args.beam,
                                num_return_sequences=args.beam, min_new_tokens=60, max_new_tokens=60,
                                do_sample=False, early_stopping=False)
            t = timed(go, device, args.repeats)
            res[f"{tag}_fixed60_spectra_per_s"] = nb / t
            print(f"HF BART {'SpecTUS size' if spectus else 'same size'} 60 in, 60 out, batch {nb} "
                  f"({hf_params / 1e6:.1f}M): {nb / t:9.1f} spectra/s")
            print(f"ratio ours / HF BART {'SpecTUS size' if spectus else 'same size'} (fixed 60/60): "
                  f"{res['ours_fixed60_spectra_per_s'] / res[f'{tag}_fixed60_spectra_per_s']:.1f}x")
            del hf
            if device.type == "cuda":
                torch.cuda.empty_cache()
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
