"""Command line: ``specsweep <stage> ...`` (also ``python -m specsweep``).

Each stage module named in COMMANDS has ``register(subparsers)``, which adds its subcommand
and sets ``func(args) -> int``. This file holds no science; stage modules import their heavy
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


class DefaultsFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows an option's default only when it has one (not for required options or flags) and
    its help does not state it already."""

    def _get_help_string(self, action):
        if (action.default is None or action.nargs == 0 or action.required
                or "(default: " in (action.help or "")):
            return action.help
        return super()._get_help_string(action)


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
    for stage_parser in sub.choices.values():
        if stage_parser.formatter_class is argparse.ArgumentDefaultsHelpFormatter:
            stage_parser.formatter_class = DefaultsFormatter
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
