"""Progress in log files: a line at most once per interval, and a last one when any was written."""

import logging

from specsweep.progress import LogProgress


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_log_progress_writes_a_line_per_interval_and_a_last_one(caplog):
    clock = Clock()
    items = list(range(10))
    bar = LogProgress(items, desc="formula", unit="spectra", every=60.0, clock=clock)
    seen = []
    with caplog.at_level(logging.INFO, logger="specsweep"):
        for i in bar:
            seen.append(i)
            clock.t += 25.0   # 10 items, 250 s: lines after the 3rd, 6th and 9th, and at the end
    assert seen == items
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 4
    assert lines[0].startswith("formula: 3/10 spectra (30 %)") and "min left" in lines[0]
    assert lines[-1].startswith("formula: 10/10 spectra (100 %)") and "min left" not in lines[-1]


def test_short_work_logs_nothing(caplog):
    clock = Clock()
    with caplog.at_level(logging.INFO, logger="specsweep"):
        bar = LogProgress(total=None, desc="ingest", unit="spectra", clock=clock)
        for _ in range(5):
            bar.update(1)
            clock.t += 1.0
        bar.set_postfix_str("x.mgf")
        bar.close()
    assert not caplog.records
