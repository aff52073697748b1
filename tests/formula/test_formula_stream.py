"""The formula stage part by part: the same bytes for any number of parts, worker processes or
scattered jobs merged with `specsweep formula-merge`; row groups regrouped exactly."""

import argparse

import pyarrow as pa
import pyarrow.parquet as pq

from specsweep.files import ROW_GROUP_SIZE, RegroupedParquet, read_table, write_table
from specsweep.formula import commands
from specsweep.formula.stream import map_spectra, merge_formulas
from specsweep.params.stages import IngestParams
from specsweep.schema import FORMULAS
from specsweep.spectra.ingest import ingest
from specsweep.spectra.parts import list_parts

from tests.formula.test_formula_command import _subset


def _run(argv):
    parser = argparse.ArgumentParser()
    commands.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.func(args)


def _formula(spectra, out, threads=1, trees=None):
    argv = ["formula", "--spectra", *map(str, spectra), "--output", str(out), "--report-top", "3",
            "--threads", str(threads)]
    assert _run(argv + (["--trees", str(trees)] if trees else [])) == 0
    return out


def test_same_bytes_for_any_parts_processes_and_scatter(tmp_path, demo_mgf):
    mgf = _subset(demo_mgf, tmp_path / "three.mgf")
    ingest([mgf], tmp_path / "whole")
    ingest([mgf], tmp_path / "split", IngestParams(part_size=1))
    parts = list_parts(tmp_path / "split")
    assert len(parts) == 3 and len(list_parts(tmp_path / "whole")) == 1
    whole = _formula([tmp_path / "whole"], tmp_path / "whole.parquet", trees=tmp_path / "whole.jsonl")
    split = _formula([tmp_path / "split"], tmp_path / "split.parquet", threads=2, trees=tmp_path / "split.jsonl")
    assert split.read_bytes() == whole.read_bytes()
    assert (tmp_path / "split.jsonl").read_text() == (tmp_path / "whole.jsonl").read_text()
    # scattered: one job per part (the SLURM layout), then merged in part order
    pieces = [_formula([p], tmp_path / f"piece{i}.parquet") for i, p in enumerate(parts)]
    assert _run(["formula-merge", "--inputs", *map(str, pieces), "--output", str(tmp_path / "merged.parquet")]) == 0
    assert (tmp_path / "merged.parquet").read_bytes() == whole.read_bytes()
    ids = [r["spectrum_id"] for r in read_table(whole, FORMULAS, columns=["spectrum_id", "rank"]).to_pylist()]
    assert len(set(ids)) == 3 and ids == sorted(ids, key=ids.index)  # each spectrum's rows together


def test_regrouped_rows_give_the_bytes_of_one_write(tmp_path, demo_mgf):
    """Rows appended in uneven pieces (and merged from uneven files) are written as full row groups:
    the file equals one write of all rows, over several row groups."""
    mgf = _subset(demo_mgf, tmp_path / "three.mgf")
    ingest([mgf], tmp_path / "spectra")
    rows = read_table(_formula([tmp_path / "spectra"], tmp_path / "f.parquet"), FORMULAS)
    big = pa.concat_tables([rows] * (2 * ROW_GROUP_SIZE // rows.num_rows + 2)).combine_chunks()
    assert big.num_rows > 2 * ROW_GROUP_SIZE
    write_table(big, tmp_path / "once.parquet", schema=FORMULAS)
    out = RegroupedParquet(tmp_path / "appended.parquet", FORMULAS)
    start, step = 0, 1
    while start < big.num_rows:
        out.append(big.slice(start, step))
        start, step = start + step, step * 3 + 1
    out.commit()
    once = (tmp_path / "once.parquet").read_bytes()
    assert (tmp_path / "appended.parquet").read_bytes() == once
    assert pq.ParquetFile(tmp_path / "once.parquet").num_row_groups == 3
    cuts = [0, 5, 4200, 4201, big.num_rows]
    pieces = []
    for i, (a, b) in enumerate(zip(cuts, cuts[1:])):
        pieces.append(write_table(big.slice(a, b - a), tmp_path / f"piece{i}.parquet", schema=FORMULAS))
    assert merge_formulas(pieces, tmp_path / "merged.parquet") == big.num_rows
    assert (tmp_path / "merged.parquet").read_bytes() == once


def test_workers_read_ahead_within_the_window():
    """With worker processes, at most `window` jobs are taken from the input ahead of the results
    consumed; results come back in input order."""
    taken = []

    def jobs():
        for i in range(40):
            taken.append(i)
            yield ({"spectrum_id": f"s:{i}", "precursor_mz": 1.5, "mz": [], "intensity": [], "adduct": "[M+H]+",
                    "ion_mode": "positive"}, _Inputs(), None)

    seen = []
    for status, rows in map_spectra(jobs(), processes=2, window=16, chunksize=2):
        seen.append(rows[0]["spectrum_id"])
        assert len(taken) - len(seen) <= 16
    assert seen == [f"s:{i}" for i in range(40)]
    assert status == "no_candidates"


class _Inputs:
    adducts = None
    alphabet = "CHNOPS"

    @property
    def settings(self):
        from specsweep.formula.identify import FormulaSettings
        return FormulaSettings()
