"""Evaluate a translator checkpoint on an annotated MGF with MassSpecGym's de novo metrics.

Three steps, so that decoding can run on a GPU machine without RDKit:

  prepare  MGF -> NPZ of encoded spectra + true structures/formulas (needs RDKit, pyteomics)
  decode   checkpoint + NPZ -> NPZ of raw beam strings and log-probabilities (torch only);
           --constrain true|stage decodes under the true or the formula stage's top formula
  score    raw beams -> re-ranked candidates -> metrics without formula, with the true formula
           given (MassSpecGym's bonus setting) and, if given, with the formula stage's top formula

Example:
  python benchmarks/translate_eval.py prepare --mgf ../shared/data/spectra/massbank_hr_pos_MH_dev_500.mgf --output eval.npz
  python benchmarks/translate_eval.py decode --checkpoint ckpt.pt --arrays eval.npz --output raw.npz
  python benchmarks/translate_eval.py score --arrays eval.npz --raw raw.npz
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))


def prepare(args):
    from specsweep.translate.dataset import canonical_no_stereo, encode_spectra, read_annotated, records_to_csr, save_arrays
    from specsweep.translate.model import TranslatorConfig
    recs = read_annotated([args.mgf])
    cfg = TranslatorConfig(max_peaks=args.max_peaks)
    offsets, mz, inten, prec = records_to_csr(recs)
    arrays = encode_spectra(offsets, mz, inten, prec, [r["adduct"] for r in recs], cfg)
    arrays["smiles"] = np.array([canonical_no_stereo(r["smiles"])[0] for r in recs], dtype=str)
    arrays["formula"] = np.array([r["formula"] for r in recs], dtype=str)
    arrays["adduct_name"] = np.array([r["adduct"] or "[M+H]+" for r in recs], dtype=str)
    arrays["title"] = np.array([r["title"] for r in recs], dtype=str)
    arrays["precursor_mz"] = prec
    arrays["raw_offsets"], arrays["raw_mz"], arrays["raw_intensity"] = offsets, mz, inten  # processed peaks
    save_arrays(args.output, arrays)
    print(f"{len(recs)} spectra -> {args.output}")


def decode(args):
    import torch

    from specsweep.translate.beam import decode_arrays
    from specsweep.translate.dataset import load_arrays, save_arrays
    from specsweep.translate.model import load_checkpoint
    from specsweep.translate.tokenizer import SmilesTokenizer
    device = torch.device(args.device if args.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu"))
    model, meta = load_checkpoint(args.checkpoint, device)
    arrays = load_arrays(args.arrays)
    tok = SmilesTokenizer(model.config.vocab)
    bf16 = torch.bfloat16 if device.type == "cuda" else None
    from specsweep.translate.constraints import formula_counts
    formulas = None
    if args.constrain == "true":
        formulas = [formula_counts(f) for f in arrays["formula"].tolist()]
    elif args.constrain == "stage":
        stage = _stage_formulas(args.formulas, args.id_prefix, len(arrays["n_peaks"]))
        formulas = [formula_counts(f) for f in stage]
        print(f"formula stage gives a formula for {sum(f is not None for f in formulas)} of {len(formulas)} spectra")
    if args.limit:
        arrays = {k: v[: args.limit] if getattr(v, "ndim", 0) and len(v) == len(arrays["n_peaks"]) else v
                  for k, v in arrays.items()}
        formulas = formulas[: args.limit] if formulas is not None else None
    if args.threads:
        torch.set_num_threads(args.threads)
    t0 = time.time()
    texts, lps = decode_arrays(model, arrays, tok, args.beam_size, args.batch_size, autocast_dtype=bf16,
                               formulas=formulas, hydrogens=args.hydrogens == "on")
    if device.type == "cuda":
        torch.cuda.synchronize()
    dt = time.time() - t0
    n = len(texts)
    save_arrays(args.output, {"texts": np.array(texts, dtype=str), "logprob": lps,
                              "seconds": np.array(dt), "beam_size": np.array(args.beam_size),
                              "constrain": np.array(args.constrain), "hydrogens": np.array(args.hydrogens)})
    print(f"decoded {n} spectra, beam {args.beam_size}, in {dt:.2f} s ({n / dt:.1f} spectra/s) on {device}")


def _stage_formulas(path, id_prefix: str, n: int) -> list:
    """The formula stage's top formula (or None) of spectra 0..n-1, named ``id_prefix + index``."""
    from specsweep.translate.pipeline import _top_formulas
    top = _top_formulas(path)
    return [top.get(id_prefix + str(i)) for i in range(n)]


def score(args):
    from specsweep.translate.dataset import load_arrays
    from specsweep.translate.metrics import de_novo_metrics
    from specsweep.translate.rerank import RerankWeights, parse_candidates, rerank
    arrays = load_arrays(args.arrays)
    # several decodes of the same spectra (say, formula-constrained and free) pool their beams
    raws = [load_arrays(p) for p in args.raw]
    raw = {"texts": np.concatenate([r["texts"] for r in raws], axis=1),
           "logprob": np.concatenate([r["logprob"] for r in raws], axis=1)}
    truth = arrays["smiles"].tolist()
    n = len(truth)
    none, given = [None] * n, [str(f) for f in arrays["formula"].tolist()]
    stage = _stage_formulas(args.formulas, args.id_prefix, n) if args.formulas else None
    # (setting, formula per spectrum, with fragment score)
    variants = [("no formula (precursor re-rank)", none, False), ("formula given", given, False)]
    if stage:
        variants.append(("formula from formula stage", stage, False))
    scorer = None
    if args.model:
        from specsweep.translate.fragscore import load_fragment_scorer
        scorer = load_fragment_scorer(args.model)
        variants += [("no formula + fragment score", none, True), ("formula given + fragment score", given, True)]
        if stage:
            variants.append(("formula from formula stage + fragment score", stage, True))
    plain, with_fragments = RerankWeights(), RerankWeights(fragment_weight=args.fragment_weight)
    settings = {"beam order": []} | {name: [] for name, _, _ in variants}
    n_valid = 0
    off = arrays.get("raw_offsets")
    for i, texts in enumerate(raw["texts"].tolist()):
        cands, invalid = parse_candidates(texts, raw["logprob"][i])
        n_valid += len(texts) - invalid
        settings["beam order"].append([c.smiles for c in sorted(cands, key=lambda c: -c.beam_logprob)])
        prec, add = float(arrays["precursor_mz"][i]), str(arrays["adduct_name"][i])
        fs = None
        if scorer is not None:
            mz = arrays["raw_mz"][off[i]:off[i + 1]]
            inten = arrays["raw_intensity"][off[i]:off[i + 1]]
            fs = lambda s: scorer(s, mz, inten, prec, add)  # noqa: E731
        for name, formulas, fragments in variants:
            ranked = (rerank(cands, prec, add, formulas[i], fs, with_fragments) if fragments
                      else rerank(cands, prec, add, formulas[i], None, plain))
            settings[name].append([c.smiles for c in ranked])
    out = {name: de_novo_metrics(truth, preds) for name, preds in settings.items()}
    total = sum(len(t) for t in raw["texts"].tolist())
    out["valid_fraction"] = n_valid / max(1, total)
    print(json.dumps(out, indent=2))
    if args.output:
        Path(args.output).write_text(json.dumps(out, indent=2) + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("prepare")
    a.add_argument("--mgf", required=True)
    a.add_argument("--output", required=True)
    a.add_argument("--max-peaks", type=int, default=64)
    a.set_defaults(func=prepare)
    d = sub.add_parser("decode")
    d.add_argument("--checkpoint", required=True)
    d.add_argument("--arrays", required=True)
    d.add_argument("--output", required=True)
    d.add_argument("--beam-size", type=int, default=10)
    d.add_argument("--batch-size", type=int, default=256)
    d.add_argument("--device", default="auto")
    d.add_argument("--constrain", choices=["none", "true", "stage"], default="none",
                   help="formula-constrained decoding: none, the true formula (MassSpecGym's formula-given "
                        "setting) or the formula stage's top formula (--formulas)")
    d.add_argument("--formulas", help="formulas.parquet of the same spectra (for --constrain stage)")
    d.add_argument("--hydrogens", choices=["on", "off"], default="off",
                   help="constrained beams must also end with the formula's H count")
    d.add_argument("--id-prefix", default="massbank_hr_pos_MH_dev_500:", help="spectrum_id = prefix + index")
    d.add_argument("--limit", type=int, default=0, help="decode only the first N spectra (0: all)")
    d.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch default)")
    d.set_defaults(func=decode)
    s = sub.add_parser("score")
    s.add_argument("--arrays", required=True)
    s.add_argument("--raw", required=True, nargs="+",
                   help="decoded beams (decode --output); several files pool their beams per spectrum")
    s.add_argument("--formulas", help="formulas.parquet of the same spectra (optional)")
    s.add_argument("--id-prefix", default="massbank_hr_pos_MH_dev_500:",
                   help="spectrum_id = prefix + index in the MGF")
    s.add_argument("--model", help="logRank model JSON: adds re-ranking by the candidates' fragment scores")
    s.add_argument("--fragment-weight", type=float, default=0.5, help="weight of the fragment score")
    s.add_argument("--output", help="write the metrics JSON here too")
    s.set_defaults(func=score)
    args = p.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
