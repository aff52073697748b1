"""`specsweep formula` end to end on ingested demo spectra; status codes; deterministic output
(also across worker processes)."""

import argparse
import json

import pyarrow.parquet as pq
import pytest

from specsweep.files import read_table
from specsweep.formula import commands
from specsweep.formula.identify import FormulaSettings, identify
from specsweep.schema import FORMULAS
from specsweep.spectra.ingest import ingest
from specsweep.spectra.mgf_reader import read_mgf

TITLES = {"MSBNK-Washington_State_Univ-BML01802", "MSBNK-Eawag-EQ01154608", "MSBNK-Athens_Univ-AU249203"}


def _subset(demo_mgf, path):
    blocks, keep, cur = [], False, []
    for line in demo_mgf.read_text().splitlines(keepends=True):
        cur.append(line)
        if line.startswith("TITLE="):
            keep = line.split("=", 1)[1].strip() in TITLES
        if line.startswith("END IONS"):
            if keep:
                blocks.extend(cur)
            cur, keep = [], False
    path.write_text("".join(blocks))
    return path


def _run(argv):
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    commands.register(sub)
    args = parser.parse_args(argv)
    return args.func(args)


def test_formula_command(tmp_path, demo_mgf):
    mgf = _subset(demo_mgf, tmp_path / "three.mgf")
    ingest([mgf], tmp_path / "spectra")
    outs = []
    for i in range(2):
        out = tmp_path / f"formulas{i}.parquet"
        # one process, then two worker processes: the same bytes
        assert _run(["formula", "--spectra", str(tmp_path / "spectra"), "--output", str(out),
                     "--trees", str(tmp_path / f"trees{i}.jsonl"), "--report-top", "3",
                     "--threads", str(i + 1)]) == 0
        outs.append(out)
    assert outs[0].read_bytes() == outs[1].read_bytes()
    table = read_table(outs[0], FORMULAS).to_pylist()
    by_spectrum = {}
    for row in table:
        by_spectrum.setdefault(row["spectrum_id"], []).append(row)
    assert len(by_spectrum) == 3
    truth = {r.title: r.formula for r in read_mgf(mgf)}
    tops = sorted(rows[0]["formula"] for rows in by_spectrum.values())
    assert tops == sorted(truth.values())
    # at most --report-top rows; small molecules have few plausible (even-electron) candidates
    assert all(row["status"] == "ok" and 2 <= len(rows) <= 3 for rows in by_spectrum.values() for row in rows)
    trees = [json.loads(line) for line in (tmp_path / "trees0.jsonl").read_text().splitlines()]
    assert sorted(t["formula"] for t in trees) == sorted(truth.values())
    assert pq.read_schema(outs[0]).names == FORMULAS.names


def test_status_says_what_the_work_budget_cut(demo_mgf):
    rec = next(r for r in read_mgf(demo_mgf) if r.formula == "C15H14O6")
    full_status, full = identify(rec.precursor_mz, rec.mz, rec.intensity, ["[M+H]+"], "CHNOPS", FormulaSettings())
    assert full_status == "ok" and full[0]["formula"] == "C15H14O6"
    # no graph work allowed: every candidate ranked by its root score alone
    status, rows = identify(rec.precursor_mz, rec.mz, rec.intensity, ["[M+H]+"], "CHNOPS",
                            FormulaSettings(max_graph_work=0))
    assert status == "cut:graphs"
    assert rows and all(r["status"] == "cut:graphs" for r in rows)
    # one candidate kept (smallest mass error) and only one graph built
    status, rows = identify(rec.precursor_mz, rec.mz, rec.intensity, ["[M+H]+"], "CHNOPS",
                            FormulaSettings(max_candidates=1, max_graph_work=1))
    assert status == "cut:candidates+graphs" and len(rows) == 1
    status, rows = identify(1.5, rec.mz, rec.intensity, ["[M+H]+"], "CHNOPS", FormulaSettings())
    assert status == "no_candidates" and rows == []


def test_unknown_alphabet_element_is_an_error():
    with pytest.raises(ValueError):
        identify(200.0, [100.0], [1.0], ["[M+H]+"], "CHNOPSXx", FormulaSettings())
