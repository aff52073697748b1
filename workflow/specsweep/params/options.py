"""Typed parameter blocks and the command-line options derived from them.

A stage's parameters are a frozen dataclass whose fields are declared with :func:`param` (one
knob: default, help, unit, allowed range, config key) or :func:`block` (a shared group of knobs,
itself such a dataclass). From that one declaration come

- the stage's command-line options, their defaults and help (:func:`add_options`; the
  subcommand's parser itself from :func:`stage_parser`),
- the typed value built from parsed arguments (:func:`from_args`), range-checked,
- the workflow config keys and their defaults (:func:`config_defaults`), which the config
  schema must repeat (a test compares them), and the options a rule passes for a config
  (:func:`config_args`).

Only the standard library is imported here, so that the Snakemake rules can use it too.
"""

from __future__ import annotations

import argparse
import math
import re
from dataclasses import MISSING, dataclass, field, fields, is_dataclass

TOLERANCE_UNITS = ("Da", "ppm")


@dataclass(frozen=True)
class Tolerance:
    """A matching tolerance with its unit.

    ``Da``: an absolute half-width on the m/z axis (Th; for a singly charged ion 1 Th = 1 Da).
    ``ppm``: a half-width relative to the m/z it is applied at. Never negative.
    """

    value: float
    unit: str = "Da"

    def __post_init__(self):
        if self.unit not in TOLERANCE_UNITS:
            raise ValueError(f"tolerance unit must be one of {TOLERANCE_UNITS}, got {self.unit!r}")
        if not (isinstance(self.value, (int, float)) and math.isfinite(self.value) and self.value >= 0):
            raise ValueError(f"tolerance must be a finite number >= 0 {self.unit}, got {self.value!r}")

    def at(self, mz):
        """Half-width in Th at ``mz`` (a float or a NumPy array)."""
        return mz * self.value * 1e-6 if self.unit == "ppm" else self.value + 0.0 * mz

    def da_ppm(self) -> tuple[float, float]:
        """(absolute Th, ppm) as the scoring kernels take them: one of the two is zero."""
        return (float(self.value), 0.0) if self.unit == "Da" else (0.0, float(self.value))

    def to_dict(self) -> dict:
        return {"value": float(self.value), "unit": self.unit}

    @classmethod
    def from_dict(cls, d: dict) -> "Tolerance":
        return cls(float(d["value"]), d["unit"])

    def __str__(self) -> str:
        return f"{self.value:g} {self.unit}"

    @classmethod
    def parse(cls, text: str) -> "Tolerance":
        """'0.02 Da', '10 ppm', '0.5Da' (unit required, either case) -> Tolerance."""
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(da|ppm|th)\s*", str(text), re.IGNORECASE)
        if not m:
            raise ValueError(f"tolerance {text!r}: write a number and a unit, e.g. '0.02 Da' or '10 ppm'")
        unit = "ppm" if m.group(2).lower() == "ppm" else "Da"
        return cls(float(m.group(1)), unit)


@dataclass(frozen=True)
class Param:
    """What :func:`param` records about one knob (kept in the field's metadata)."""

    help: str
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    above: float | None = None          # exclusive lower bound (e.g. > 0)
    choices: tuple | None = None
    config: str | None = None           # workflow config key, e.g. "search.top_k"
    cli: str | None = None              # option name when not --<field-name>
    item: type | None = None            # element type of a tuple field (nargs="+")
    type: type | None = None            # value type when the default is None


def param(default, help: str, **kw):
    """A knob of a parameter block; ``kw`` are :class:`Param` fields."""
    return field(default=default, metadata={"param": Param(help, **kw)})


def block(cls):
    """A shared parameter block nested in a stage's parameters."""
    return field(default_factory=cls, metadata={"block": cls})


def _range_text(p: Param) -> str:
    if p.min is not None and p.max is not None:
        return f"{p.min:g}..{p.max:g}"
    parts = []
    if p.above is not None:
        parts.append(f"> {p.above:g}")
    if p.min is not None:
        parts.append(f">= {p.min:g}")
    if p.max is not None:
        parts.append(f"<= {p.max:g}")
    return ", ".join(parts)


def check_value(name: str, value, p: Param):
    """``value`` if it lies in the knob's range, else ValueError naming the knob and the range."""
    values = value if isinstance(value, tuple) else (value,)
    if p.choices is not None and any(v not in p.choices for v in values if v is not None):
        raise ValueError(f"{name} must be one of {', '.join(map(str, p.choices))}, got {value!r}")
    for v in values:
        if v is None or isinstance(v, (bool, str)) or not isinstance(v, (int, float)):
            continue
        bad = (not math.isfinite(v) or (p.min is not None and v < p.min)
               or (p.max is not None and v > p.max) or (p.above is not None and v <= p.above))
        if bad:
            unit = f" {p.unit}" if p.unit else ""
            raise ValueError(f"{name} must be {_range_text(p) or 'finite'}{unit}, got {v!r}")
    return value


class Params:
    """Base of parameter blocks: range-checks every knob when the value is made."""

    def __post_init__(self):
        for f in fields(self):
            if "param" in f.metadata:
                check_value(f.name, getattr(self, f.name), f.metadata["param"])


def knobs(cls, prefix: tuple = ()):
    """(path of field names, field) of every knob of ``cls``, blocks flattened in order."""
    for f in fields(cls):
        if "block" in f.metadata:
            yield from knobs(f.metadata["block"], prefix + (f.name,))
        elif "param" in f.metadata:
            yield prefix + (f.name,), f


def _option(f) -> str:
    return f.metadata["param"].cli or "--" + f.name.replace("_", "-")


def _converter(conv, name: str, p: Param):
    def convert(text):
        try:
            return check_value("value", conv(text), p)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    convert.__name__ = conv.__name__   # argparse names the type in its messages
    return convert


def _help(p: Param, default_text: str | None = None) -> str:
    """Help with unit and range; the CLI's formatter adds the default unless given here."""
    extra = "; ".join(x for x in (p.unit, _range_text(p)) if x)
    text = p.help + (f" [{extra}]" if extra else "")
    return text + (f" (default: {default_text})" if default_text else "")


def _add_tolerance(parser, f) -> None:
    p, default = f.metadata["param"], f.default
    base = (p.cli or "--" + f.name.replace("_", "-"))
    group = parser.add_mutually_exclusive_group()
    ok = Param(p.help, min=0)
    group.add_argument(f"{base}-da", dest=f"{f.name}_da", type=_converter(float, f"{base}-da", ok),
                       default=default.value if default.unit == "Da" else None, metavar="TH",
                       help=_help(Param(p.help + ", absolute on the m/z axis", unit="Th (= Da at charge 1)",
                                        min=0), f"{default}" if default.unit == "Da" else None))
    group.add_argument(f"{base}-ppm", dest=f"{f.name}_ppm", type=_converter(float, f"{base}-ppm", ok),
                       default=default.value if default.unit == "ppm" else None, metavar="PPM",
                       help=_help(Param(p.help + ", relative to the m/z; replaces the absolute one",
                                        unit="ppm", min=0)))


def add_options(parser, cls) -> None:
    """Add one option per knob of ``cls`` to ``parser`` (an argparse parser or group)."""
    for _, f in knobs(cls):
        p, default = f.metadata["param"], f.default
        if isinstance(default, Tolerance):
            _add_tolerance(parser, f)
        elif isinstance(default, bool):
            parser.add_argument(_option(f), dest=f.name, action="store_false" if default else "store_true",
                                help=p.help)
        elif p.item is not None:
            parser.add_argument(_option(f), dest=f.name, nargs="+", type=_converter(p.item, _option(f), p),
                                default=None if default is None else list(default),
                                help=_help(p, None if default is None else " ".join(map(str, default)) or "none"))
        else:
            conv = p.type or type(default)
            parser.add_argument(_option(f), dest=f.name, type=_converter(conv, _option(f), p),
                                default=default, choices=p.choices, help=_help(p, None))


class DefaultsFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows an option's default only when it has one (not for required options or flags) and
    its help does not state it already."""

    def _get_help_string(self, action):
        if (action.default is None or action.nargs == 0 or action.required
                or "(default: " in (action.help or "")):
            return action.help
        return super()._get_help_string(action)


def stage_parser(subparsers, name: str, run, help: str):
    """The parser of subcommand ``name`` (``specsweep <name> ...``): its one-line ``help``, the
    docstring of ``run(args) -> int`` (what the subcommand does) as its description, and defaults
    shown in --help. The caller adds its paths and, with :func:`add_options`, its knobs."""
    parser = subparsers.add_parser(name, help=help, description=run.__doc__,
                                   formatter_class=DefaultsFormatter)
    parser.set_defaults(func=run)
    return parser


def add_model_options(parser, kind: str, trainer: str, positive_note: str = "",
                      negative_note: str = "") -> None:
    """``--model`` and ``--negative-model``: one model file per ion mode, 'default' naming the
    shipped one and 'same' (negative only) the --model file for both ion modes. ``kind``: what
    the file is ("model", "rescoring model"); ``trainer``: the subcommand that makes one."""
    parser.add_argument("--model", default="default",
                        help=f"{kind} JSON from `specsweep {trainer}` for positive-mode spectra; "
                             f"'default' = the shipped positive model{positive_note}")
    parser.add_argument("--negative-model", default="default",
                        help=f"{kind} JSON for negative-mode spectra; 'default' = the shipped negative "
                             f"model{negative_note}, 'same' = use --model for both ion modes")


def _value(args, f):
    default = f.default
    if isinstance(default, Tolerance):
        ppm = getattr(args, f"{f.name}_ppm")
        if ppm is not None:  # argparse's mutually exclusive group refuses both given
            return Tolerance(ppm, "ppm")
        da = getattr(args, f"{f.name}_da")
        return default if da is None else Tolerance(da, "Da")
    value = getattr(args, f.name)
    return tuple(value) if isinstance(value, list) else value


def from_args(cls, args):
    """The ``cls`` value of parsed ``args`` (options added by :func:`add_options`)."""
    kw = {}
    for f in fields(cls):
        if "block" in f.metadata:
            kw[f.name] = from_args(f.metadata["block"], args)
        elif "param" in f.metadata:
            kw[f.name] = _value(args, f)
    return cls(**kw)


def from_options(cls, text: str):
    """The ``cls`` value that the command-line options in ``text`` give, as the stage would parse
    them (a later option wins; defaults for the rest; options of no knob of ``cls`` ignored)."""
    import shlex
    parser = argparse.ArgumentParser(add_help=False)
    add_options(parser, cls)
    args, _ = parser.parse_known_args(shlex.split(text))
    return from_args(cls, args)


def config_key_value(f):
    """Config value form of a knob's default (a Tolerance's config key is for its Da value)."""
    d = f.default
    if isinstance(d, Tolerance):
        return d.value
    return list(d) if isinstance(d, tuple) else d


def config_defaults(cls) -> dict[str, object]:
    """{config key: default} of every knob of ``cls`` that has a config key."""
    return {f.metadata["param"].config: config_key_value(f)
            for _, f in knobs(cls) if f.metadata["param"].config}


def lookup(config: dict, key: str):
    value = config
    for part in key.split("."):
        value = value[part]
    return value


def _quote(text: str) -> str:
    import shlex
    return shlex.quote(text)


def config_args(cls, config: dict, tolerances: dict | None = None) -> str:
    """The options that pass ``config``'s values of ``cls``'s config keys to the stage.

    ``tolerances``: Tolerance values by field name (``precursor_tol``, ``fragment_tol``) that
    replace the config's (a dataset's own instrument settings), in Da or ppm."""
    out = []
    for _, f in knobs(cls):
        p = f.metadata["param"]
        if isinstance(f.default, Tolerance) and tolerances and f.name in tolerances:
            tol = tolerances[f.name]
            out.append(f"{p.cli or '--' + f.name.replace('_', '-')}-{tol.unit.lower()} {tol.value:g}")
            continue
        if not p.config:
            continue
        value = lookup(config, p.config)
        if isinstance(f.default, Tolerance):
            out.append(f"{p.cli or '--' + f.name.replace('_', '-')}-da {value}")
        elif isinstance(f.default, bool):
            if value != f.default:
                out.append(_option(f))
        elif value is None or value == "":
            continue
        elif isinstance(value, list):
            out.append(f"{_option(f)} " + " ".join(_quote(str(v)) for v in value))
        else:
            out.append(f"{_option(f)} {_quote(str(value))}")
    return " ".join(out)


def is_params(cls) -> bool:
    return is_dataclass(cls) and issubclass(cls, Params)


__all__ = ["MISSING", "Param", "Params", "Tolerance", "add_options", "block", "check_value", "config_args",
           "config_defaults", "dataclass", "from_args", "is_params", "knobs", "param"]
