"""File-level drivers behind the two subcommands: read inputs, call the science, write outputs."""

from __future__ import annotations

import gzip
import json
import logging
import random
import time
from pathlib import Path

import numpy as np

log = logging.getLogger("specsweep.translate")

PRE, FINE = "pre__", "fine__"


def _read_molecule_smiles(path) -> list[str]:
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt") as fh:
        header = fh.readline().rstrip("\n").split("\t")
        col = header.index("smiles")
        return [line.rstrip("\n").split("\t")[col] for line in fh if line.strip()]


def prepare_sets(args) -> dict:
    """Encode fine-tuning spectra (and synthetic pretraining spectra) into one flat dict of arrays."""
    from specsweep.translate.dataset import build_examples, canonical_no_stereo, compound_keys, read_annotated
    from specsweep.translate.model import TranslatorConfig
    from specsweep.translate.tokenizer import SmilesTokenizer

    exclude = compound_keys(args.exclude_spectra)
    log.info("excluding %d compounds named in %s", len(exclude), ", ".join(args.exclude_spectra) or "-")
    records = read_annotated(args.spectra)
    log.info("read %d annotated spectra", len(records))
    molecules: list[str] = []
    if args.molecules:
        raw = _read_molecule_smiles(args.molecules)
        random.Random(args.seed).shuffle(raw)
        n_excluded = 0
        for s in raw:
            c = canonical_no_stereo(s)
            if c is None:
                continue
            if c[1] in exclude:
                n_excluded += 1
                continue
            molecules.append(c[0])
            if args.max_molecules and len(molecules) >= args.max_molecules:
                break
        log.info("%d pretraining molecules (%d excluded as evaluation compounds)", len(molecules), n_excluded)
    fine_smiles = [c[0] for c in map(canonical_no_stereo, (r["smiles"] for r in records)) if c]
    tokenizer = SmilesTokenizer.build(fine_smiles + molecules)
    config = TranslatorConfig(vocab=tokenizer.vocab, max_peaks=args.max_peaks)
    fine, rejects = build_examples(records, tokenizer, config, exclude)
    reasons: dict[str, int] = {}
    for r in rejects:
        reasons[r["reason"]] = reasons.get(r["reason"], 0) + 1
    log.info("fine-tuning examples: %d; not used: %s", len(fine["tokens"]), reasons)
    out = {FINE + k: v for k, v in fine.items()}
    if molecules:
        from specsweep.translate.synthetic import synthetic_examples
        pre, pre_rejects = synthetic_examples(molecules, tokenizer, config, per_molecule=args.synthetic_per_molecule,
                                              model_path=args.model, seed=args.seed)
        log.info("synthetic pretraining examples: %d (%d molecules not used)", len(pre["tokens"]), len(pre_rejects))
        out.update({PRE + k: v for k, v in pre.items()})
    out["vocab"] = np.array(tokenizer.vocab, dtype=str)
    out["max_peaks"] = np.array(args.max_peaks)
    return out


def _split(sets: dict, prefix: str) -> dict | None:
    part = {k[len(prefix):]: v for k, v in sets.items() if k.startswith(prefix)}
    return part or None


def train_from_args(args) -> int:
    import torch

    from specsweep.translate.dataset import load_arrays, save_arrays
    from specsweep.translate.model import SpectrumTranslator, TranslatorConfig, save_checkpoint
    from specsweep.translate.train import TrainSettings, pick_device, to_device, train_model

    if args.prepared and Path(args.prepared).exists():
        sets = load_arrays(args.prepared)
        log.info("read prepared sets from %s", args.prepared)
    else:
        sets = prepare_sets(args)
        if args.prepared:
            save_arrays(args.prepared, sets)
            log.info("wrote %s", args.prepared)
    if args.prepare_only:
        return 0
    if not args.output:
        raise ValueError("--output is required unless --prepare-only is given")
    device = pick_device(args.device)
    config = TranslatorConfig(vocab=[str(t) for t in sets["vocab"]], d_model=args.d_model, n_heads=args.heads,
                              n_enc_layers=args.enc_layers, n_dec_layers=args.dec_layers, d_ff=args.d_ff, dropout=args.dropout,
                              max_peaks=int(sets["max_peaks"]))
    torch.manual_seed(args.seed)
    model = SpectrumTranslator(config).to(device)
    n_params = sum(p.numel() for p in model.parameters())
    log.info("model: %.1fM parameters on %s", n_params / 1e6, device)
    limit = args.max_seconds or float("inf")
    meta = {"n_parameters": int(n_params), "device": str(device), "seed": args.seed}
    pre, fine = _split(sets, PRE), _split(sets, FINE)
    t0 = time.time()
    if pre is not None and args.pretrain_steps > 0 and len(pre["tokens"]):
        hist = train_model(model, to_device(pre, device), TrainSettings(
            steps=args.pretrain_steps, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
            warmup=min(500, args.pretrain_steps // 10 + 1), max_seconds=limit, peak_dropout=args.peak_dropout),
            log=log.info)
        meta["pretrain"] = {"examples": int(len(pre["tokens"])), "steps": hist[-1][0], "final_loss": hist[-1][1]}
    if fine is not None and args.finetune_steps > 0 and len(fine["tokens"]):
        hist = train_model(model, to_device(fine, device), TrainSettings(
            steps=args.finetune_steps, batch_size=args.batch_size, lr=args.lr * (0.5 if pre is not None else 1.0),
            seed=args.seed + 1, warmup=min(300, args.finetune_steps // 10 + 1), max_seconds=limit,
            peak_dropout=args.peak_dropout), log=log.info)
        meta["finetune"] = {"examples": int(len(fine["tokens"])), "steps": hist[-1][0], "final_loss": hist[-1][1],
                            "compounds": int(len(set(fine["ik14"].tolist())))}
    if args.toy:
        meta["toy"] = True
    # no wall-clock value in the file: the same inputs and seed give the same bytes
    save_checkpoint(args.output, model, meta, half=args.half)
    log.info("wrote %s after %.1f s of training", args.output, time.time() - t0)
    return 0


def _top_formulas(path) -> dict[str, str]:
    import pyarrow.compute as pc

    from specsweep.files import read_table
    from specsweep.schema import FORMULAS
    table = read_table(path, FORMULAS, columns=["spectrum_id", "rank", "formula"])
    table = table.filter(pc.equal(table["rank"], 1))
    return dict(zip(table["spectrum_id"].to_pylist(), table["formula"].to_pylist()))


def _fragment_scorer(model_path, tol, spectra: list[dict]):
    """Callable(smiles, mz, intensity, precursor_mz) -> score, or None when the pieces are missing.
    ``spectra``: ingest settings of the spectra it will score (checked against the model's)."""
    try:
        from specsweep.translate.fragscore import load_fragment_scorer
    except ImportError as exc:
        log.warning("fragmentation-graph scoring unavailable (%s); fragment_score left empty", exc)
        return None
    return load_fragment_scorer(model_path, tol, spectra=spectra)


def _decode_part(model, sub: dict, tokenizer, ids: list, formulas: dict, args, bf16, part_name: str):
    """Beams (texts, log-probabilities) per spectrum of one part: one decode, or with formulas a
    formula-constrained decode ('top'), pooled with a free one ('top+free')."""
    from specsweep.progress import progress
    from specsweep.translate.beam import decode_arrays
    from specsweep.translate.constraints import formula_counts

    everyone = np.arange(len(ids))
    runs = [(everyone, None)]
    if formulas and args.formula_constraint != "none":
        top = [formula_counts(formulas.get(i)) for i in ids]
        if args.formula_constraint == "top":
            runs = [(everyone, top)]
        else:  # the free decode covers spectra without a formula: constrain only the others
            have = np.array([j for j, f in enumerate(top) if f is not None], dtype=np.int64)
            runs = [(have, [top[j] for j in have]), (everyone, None)]
    texts, lps = [[] for _ in ids], [[] for _ in ids]
    for which, constrain in runs:
        if not len(which):
            continue
        desc = f"translate {part_name}" + (" (formula-constrained)" if constrain is not None else "")
        t, lp = decode_arrays(model, {k: v[which] for k, v in sub.items()}, tokenizer, args.beam_size,
                              args.batch_size, autocast_dtype=bf16, formulas=constrain,
                              hydrogens=args.check_hydrogens,
                              progress=lambda it, d=desc: progress(it, desc=d, unit="batch"))
        for j, beams, scores in zip(which, t, lp):
            texts[j].extend(beams)
            lps[j].extend(scores.tolist())
    return texts, lps


def translate_from_args(args) -> int:
    import pyarrow as pa
    import torch

    from specsweep.contracts.spectra_folder import ingest_settings, spectra_parts
    from specsweep.files import read_table, rejects_table, write_table
    from specsweep.schema import TRANSLATOR_META_KEY
    from specsweep.params.options import from_args
    from specsweep.params.stages import TranslateParams
    from specsweep.schema import SPECTRA, TRANSLATIONS
    from specsweep.translate.dataset import encode_spectra
    from specsweep.translate.model import load_checkpoint
    from specsweep.translate.rerank import RerankWeights, parse_candidates, rerank
    from specsweep.translate.tokenizer import SmilesTokenizer
    from specsweep.translate.train import pick_device

    device = pick_device(args.device)
    model, ckpt_meta = load_checkpoint(args.checkpoint, device)
    tokenizer = SmilesTokenizer(model.config.vocab)
    formulas = _top_formulas(args.formulas) if args.formulas else {}
    opts = from_args(TranslateParams, args)
    parts = spectra_parts([args.spectra])
    scorer = (_fragment_scorer(args.model, opts.fragment.fragment_tol, ingest_settings(parts))
              if args.model else None)
    weights = RerankWeights(mass_tol_ppm=opts.mass_tol_ppm, fragment_weight=opts.fragment_weight if scorer else 0.0)
    bf16 = torch.bfloat16 if device.type == "cuda" else None
    rows, rejects = [], []
    cols = ["spectrum_id", "source_file", "index", "title", "precursor_mz", "ion_mode", "adduct", "mz", "intensity"]
    for part in parts:
        table = read_table(part, SPECTRA, columns=cols)
        ids = table["spectrum_id"].to_pylist()
        prec = np.array(table["precursor_mz"].to_pylist(), dtype=float)
        modes = table["ion_mode"].to_pylist()
        adducts = [a or ("[M-H]-" if (m or "").startswith("neg") else "[M+H]+")
                   for a, m in zip(table["adduct"].to_pylist(), modes)]
        mz_col = table["mz"].combine_chunks()
        inten_col = table["intensity"].combine_chunks()
        offsets = mz_col.offsets.to_numpy().astype(np.int64)
        mz = mz_col.values.to_numpy(zero_copy_only=False)
        inten = inten_col.values.to_numpy(zero_copy_only=False).astype(np.float64)
        arrays = encode_spectra(offsets, mz, inten, np.nan_to_num(prec), table["adduct"].to_pylist(), model.config)
        ok = (arrays["n_peaks"] > 0) & np.isfinite(prec) & (prec > 0)

        def reject(i, reason, detail=""):
            rejects.append({"source": table["source_file"][i].as_py(), "record": table["index"][i].as_py(),
                            "record_id": ids[i], "reason": reason, "detail": detail})

        for i in np.flatnonzero(~ok):
            reject(i, "no_precursor" if not (np.isfinite(prec[i]) and prec[i] > 0) else "no_peaks")
        keep = np.flatnonzero(ok)
        sub = {k: v[keep] for k, v in arrays.items()}
        texts, lps = _decode_part(model, sub, tokenizer, [ids[i] for i in keep], formulas, args, bf16, part.name)
        for j, i in enumerate(keep):
            cands, invalid = parse_candidates(texts[j], lps[j])
            if not cands:
                reject(i, "no_valid_candidate", f"{invalid} of {len(texts[j])} beams did not parse")
                continue
            fs = None
            if scorer is not None:
                lo, hi = offsets[i], offsets[i + 1]
                fs = lambda s, lo=lo, hi=hi, p=prec[i], a=adducts[i]: scorer(s, mz[lo:hi], inten[lo:hi], p, a)
            ranked = rerank(cands, float(prec[i]), adducts[i], formulas.get(ids[i]), fs, weights)
            for r, c in enumerate(ranked[: args.beam_size], 1):  # pooled beams: still k per spectrum
                rows.append({"spectrum_id": ids[i], "rank": r, "smiles": c.smiles, "inchikey14": c.inchikey14,
                             "beam_logprob": c.beam_logprob, "mass_error_ppm": c.mass_error_ppm,
                             "formula_match": c.formula_match, "fragment_score": c.fragment_score,
                             "rerank_score": c.rerank_score})
    out = pa.table({n: [r[n] for r in rows] for n in TRANSLATIONS.names}) if rows else TRANSLATIONS.empty_table()
    write_table(out, args.output, TRANSLATIONS, metadata={TRANSLATOR_META_KEY: json.dumps(
        {"checkpoint": str(args.checkpoint), "toy": bool(ckpt_meta.get("toy", False)),
         **{k: ckpt_meta[k] for k in ("pretrain", "finetune", "n_parameters") if k in ckpt_meta}},
        sort_keys=True)})
    rej_path = args.rejects or str(Path(args.output).with_suffix("")) + ".rejects.parquet"
    write_table(rejects_table(rejects), rej_path)
    n_spec = len({r["spectrum_id"] for r in rows})
    log.info("translated %d spectra (%d candidate rows); %d rejected -> %s", n_spec, len(rows), len(rejects), rej_path)
    return 0
