"""Command line: ``specsweep <stage> ...`` (also ``python -m specsweep``).

Each stage module named in COMMANDS has ``register(subparsers)``, which adds its subcommand
with ``specsweep.params.options.stage_parser`` (help, description, ``func(args) -> int``). This file holds no science; stage modules import their heavy
dependencies inside ``func`` so that ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from specsweep import __version__

COMMANDS = [
    "specsweep.chem.commands",
    "specsweep.fragment.commands",
    "specsweep.spectra.commands",
    "specsweep.report.commands",
    "specsweep.model.commands",
    "specsweep.search.commands",
    "specsweep.rescore.commands",
    "specsweep.fdr.commands",
    "specsweep.formula.commands",
    "specsweep.translate.commands",
]

EPILOG = """Units: masses in Da, m/z in Th, tolerances carry their unit in the option name
(--precursor-tol-da, --fragment-tol-ppm). Every stage reads and writes Parquet (zstd); records
that cannot be used go to a rejects file with a reason code, never silently dropped."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="specsweep",
        description="Identify small molecules in tandem mass spectra at cluster scale.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"specsweep {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="<stage>")
    for name in COMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError) as exc:
        logging.getLogger("specsweep").error("%s", exc)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
