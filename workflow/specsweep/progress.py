"""Progress bars for long work (stderr, tqdm); off with SPECSWEEP_PROGRESS=0 or when not a tty."""

from __future__ import annotations

import logging
import os
import sys

from tqdm import tqdm

log = logging.getLogger("specsweep")


def progress(iterable=None, total=None, desc: str = "", unit: str = "it"):
    """Wrap an iterable (or make a manual bar when iterable is None) with a tqdm bar."""
    setting = os.environ.get("SPECSWEEP_PROGRESS")
    disable = setting == "0" or (setting is None and not sys.stderr.isatty())
    return tqdm(iterable, total=total, desc=desc, unit=unit, disable=disable, file=sys.stderr,
                dynamic_ncols=True, mininterval=1.0)
