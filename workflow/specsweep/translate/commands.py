"""Subcommands ``specsweep train-translator`` and ``specsweep translate``."""

from __future__ import annotations

import argparse
import logging

from specsweep.params.options import add_options, stage_parser
from specsweep.params.stages import TranslateParams

log = logging.getLogger("specsweep.translate")


def register(sub) -> None:
    p = stage_parser(sub, "train-translator", run_train,
                     help="train the spectrum-to-SMILES transformer (pretrain on synthetic spectra, fine-tune)")
    p.add_argument("--spectra", nargs="*", default=[], help="annotated MGF files (SMILES=...) for fine-tuning")
    p.add_argument("--molecules", help="TSV(.gz) with a smiles column: structures for synthetic pretraining "
                   "(needs specsweep.fragment)")
    p.add_argument("--model", help="logRank model JSON (specsweep train-model) for synthetic intensities")
    p.add_argument("--exclude-spectra", nargs="*", default=[],
                   help="MGF files whose compounds (first InChIKey block) are kept out of training")
    p.add_argument("--max-molecules", type=int, default=0, help="use at most this many molecules (0 = all)")
    p.add_argument("--synthetic-per-molecule", type=int, default=2, help="synthetic spectra per molecule")
    p.add_argument("--prepared", help="NPZ cache of the encoded training sets: read if present, else written")
    p.add_argument("--prepare-only", action="store_true", help="write --prepared and stop")
    p.add_argument("--output", required=False, help="checkpoint file (.pt)")
    p.add_argument("--pretrain-steps", type=int, default=2000)
    p.add_argument("--finetune-steps", type=int, default=2000)
    p.add_argument("--batch-size", type=int, default=256, help="spectra per optimiser step")
    p.add_argument("--lr", type=float, default=5e-4, help="peak learning rate")
    p.add_argument("--max-seconds", type=float, default=0,
                   help="wall-clock limit per phase, s (0 = none); with a limit the schedule follows "
                        "elapsed time, so the checkpoint is no longer byte-identical across runs")
    p.add_argument("--d-model", type=int, default=384)
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--enc-layers", type=int, default=4)
    p.add_argument("--dec-layers", type=int, default=4)
    p.add_argument("--d-ff", type=int, default=1536)
    p.add_argument("--peak-dropout", type=float, default=0.1, help="chance of hiding each peak in training")
    p.add_argument("--dropout", type=float, default=0.1, help="dropout in the transformer layers")
    p.add_argument("--max-peaks", type=int, default=64, help="most intense peaks kept per spectrum")
    p.add_argument("--half", action="store_true", help="store weights as float16 (half the file size)")
    p.add_argument("--toy", action="store_true",
                   help="mark the checkpoint as a toy (a pipeline check trained for seconds, not a "
                        "model): translate passes the mark on and the report keeps its strings out "
                        "of the summary table")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda")
    p.add_argument("--threads", type=int, default=0, help="CPU threads for torch (0 = torch default)")
    p.add_argument("--seed", type=int, default=0)

    t = stage_parser(sub, "translate", run_translate,
                     help="de novo SMILES candidates for each spectrum, re-ranked by precursor, formula, fragments")
    t.add_argument("--spectra", required=True, help="SPECTRA directory (specsweep ingest) or one part file")
    t.add_argument("--checkpoint", required=True, help="translator checkpoint (.pt)")
    t.add_argument("--formulas", help="formulas.parquet (specsweep formula): top formula per spectrum")
    t.add_argument("--formula-constraint", choices=["top+free", "top", "none"], default="top+free",
                   help="with --formulas: 'top+free' decodes once with beams held to the heavy atoms of the "
                        "top formula and once without, and pools both beam sets (twice the decoding time); "
                        "'top' only the constrained decode; 'none' uses the formula for re-ranking only")
    t.add_argument("--check-hydrogens", action="store_true",
                   help="constrained beams must also end with the formula's H count (more beams die; "
                        "not better at beam 10 on dev_500)")
    t.add_argument("--model", help="logRank model JSON: scores each candidate's fragmentation graph")
    t.add_argument("--output", required=True, help="translations.parquet")
    t.add_argument("--rejects", help="rejects parquet (default: <output stem>.rejects.parquet)")
    add_options(t, TranslateParams)
    t.add_argument("--device", default="auto", help="auto | cpu | cuda")
    t.add_argument("--threads", type=int, default=0, help="CPU threads for torch (0 = torch default)")


def _threads(n: int) -> None:
    import torch
    if n > 0:
        torch.set_num_threads(n)


def run_train(args) -> int:
    from specsweep.translate.pipeline import train_from_args
    _threads(args.threads)
    return train_from_args(args)


def run_translate(args) -> int:
    from specsweep.translate.pipeline import translate_from_args
    _threads(args.threads)
    return translate_from_args(args)


def main(argv=None) -> int:
    """Entry point without the other stages' commands: ``python -m specsweep.translate.commands``."""
    parser = argparse.ArgumentParser(prog="specsweep-translate")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
