"""Progress of long work on stderr: a tqdm bar on a terminal; in a log file (a SLURM job, a
Snakemake rule's log) a log line at most once a minute, so a long run shows it is moving. Off
with SPECSWEEP_PROGRESS=0; SPECSWEEP_PROGRESS=1 forces the bar."""

from __future__ import annotations

import logging
import os
import sys
import time

from tqdm import tqdm

log = logging.getLogger("specsweep")

LOG_EVERY_S = 60.0   # seconds between progress lines in a log file


class LogProgress:
    """The part of tqdm's interface the stages use (iteration, ``update``, ``set_postfix_str``,
    ``close``), reported as log lines: at most one per ``every`` seconds, and a last one at
    ``close`` when any was written."""

    def __init__(self, iterable=None, total=None, desc: str = "", unit: str = "it",
                 every: float = LOG_EVERY_S, clock=time.monotonic):
        self.iterable, self.total, self.desc, self.unit = iterable, total, desc, unit
        if total is None and iterable is not None and hasattr(iterable, "__len__"):
            self.total = len(iterable)
        self.n, self.postfix, self.every, self.clock = 0, "", every, clock
        self.start = self.last = clock()
        self.lines = 0

    def __iter__(self):
        for item in self.iterable:
            yield item
            self.update(1)
        self.close()

    def update(self, n: int = 1) -> None:
        self.n += n
        if self.clock() - self.last >= self.every:
            self._write()

    def set_postfix_str(self, text: str) -> None:
        self.postfix = text

    def close(self) -> None:
        if self.lines and self.last != self.clock():
            self._write()
        self.lines = 0   # closing twice writes once

    def _write(self) -> None:
        now = self.clock()
        self.last = now
        self.lines += 1
        elapsed = now - self.start
        rate = self.n / elapsed if elapsed > 0 else 0.0
        done = f"{self.n}/{self.total} {self.unit} ({100 * self.n / self.total:.0f} %)" \
            if self.total else f"{self.n} {self.unit}"
        left = f", about {(self.total - self.n) / rate / 60:.0f} min left" \
            if self.total and rate > 0 and self.n < self.total else ""
        log.info("%s: %s, %.1f %s/s%s%s", self.desc or "progress", done, rate, self.unit, left,
                 f" [{self.postfix}]" if self.postfix else "")


def progress(iterable=None, total=None, desc: str = "", unit: str = "it"):
    """Wrap an iterable (or make a manual bar when iterable is None): a tqdm bar on a terminal,
    log lines otherwise (:class:`LogProgress`)."""
    setting = os.environ.get("SPECSWEEP_PROGRESS") or None
    if setting == "0":
        return tqdm(iterable, total=total, desc=desc, unit=unit, disable=True)
    if setting is None and not sys.stderr.isatty():
        return LogProgress(iterable, total=total, desc=desc, unit=unit)
    return tqdm(iterable, total=total, desc=desc, unit=unit, file=sys.stderr,
                dynamic_ncols=True, mininterval=1.0)
