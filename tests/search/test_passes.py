"""Searching in passes of whole spectra parts: same rows whatever the pass size, same bytes for
any number of ranks with the same passes, and a failure in a later pass leaves no output."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from specsweep.files import read_table, write_table
from specsweep.schema import CANDIDATES, REJECTS, SPECTRA
from specsweep.search.spectra_parts import group_passes

from tests.search.mpi_helpers import mpi_env, mpi_ready

# [M+Na]+ only: a third of the demo spectra (all [M+H]+) then have candidates and the rest go
# to the rejects file, so both outputs are spread over the passes
ARGS = ["--ignore-file-adduct", "--adducts", "[M+Na]+", "--mpi", "off"]


def test_group_passes_keeps_order_and_bounds():
    assert group_passes([10, 10, 10, 10, 10], 20) == [[0, 1], [2, 3], [4]]
    assert group_passes([5, 30, 5, 5], 10) == [[0], [1], [2, 3]]  # a large part stands alone
    assert group_passes([], 10) == []
    rng = np.random.default_rng(7)
    rows = rng.integers(0, 50, 200).tolist()
    for per_pass in (1, 25, 60, 10**9):
        groups = group_passes(rows, per_pass)
        assert [i for g in groups for i in g] == list(range(len(rows)))
        sums = [sum(rows[i] for i in g) for g in groups]
        assert all(s <= per_pass or len(g) == 1 for s, g in zip(sums, groups))
        # greedy: the next group's first part would not have fitted
        assert all(sums[k] + rows[groups[k + 1][0]] > per_pass for k in range(len(groups) - 1))
    with pytest.raises(ValueError):
        group_passes([3], 0)


def _search(cli, spectra, db, out, per_pass, extra=()):
    cli(["search", "--spectra", str(spectra), "--db", str(db), "--output", str(out),
         "--spectra-per-pass", str(per_pass), *ARGS, *extra])
    summary = json.loads(out.with_name(out.stem + ".summary.json").read_text())
    return summary


@pytest.fixture(scope="module")
def by_passes(demo_db, demo_spectra_parts, tmp_path_factory, cli):
    root = tmp_path_factory.mktemp("passes")
    out = {}
    for per_pass in (10**9, 20):
        path = root / f"pp{per_pass}" / "candidates.parquet"
        out[per_pass] = (path, _search(cli, demo_spectra_parts, demo_db, path, per_pass))
    return out


def test_pass_size_changes_no_rows(by_passes):
    (one, s_one), (three, s_three) = by_passes[10**9], by_passes[20]
    assert (s_one["passes"], s_three["passes"]) == (1, 3)
    assert pq.ParquetFile(three).metadata.num_row_groups == 3   # really written pass by pass
    a, b = read_table(one, CANDIDATES), read_table(three, CANDIDATES)
    assert a.num_rows > 0 and a.equals(b)
    ra = read_table(one.with_name("candidates.rejects.parquet"), REJECTS)
    rb = read_table(three.with_name("candidates.rejects.parquet"), REJECTS)
    assert ra.num_rows > 0 and ra.equals(rb)
    assert {k: v for k, v in s_one.items() if k != "passes"} == \
        {k: v for k, v in s_three.items() if k != "passes"}
    # every spectrum of every pass is either among the candidates or rejected
    assert s_three["spectra"] == 50
    assert len(set(b.column("spectrum_id").to_pylist())) + rb.num_rows == 50
    assert s_three["spectra_without_candidates"] == rb.num_rows


@pytest.fixture(scope="module")
def broken_parts(demo_spectra_parts, by_passes, tmp_path_factory):
    """The 5 demo parts, the third cut to one spectrum that has candidates, with its peaks in
    descending m/z: refused when its peaks are read, in pass 2 of 3 with 20 spectra per pass.
    One adduct, so one precursor window, so one work unit: a single rank fails."""
    root = tmp_path_factory.mktemp("broken") / "spectra"
    root.mkdir()
    for part in sorted(demo_spectra_parts.glob("part-*.parquet")):
        shutil.copy(part, root / part.name)
    victim = root / "part-00002.parquet"
    found = set(pq.read_table(by_passes[20][0], columns=["spectrum_id"]).column(0).to_pylist())
    rows = [r for r in pq.read_table(victim).to_pylist() if r["spectrum_id"] in found][:1]
    assert rows, "no spectrum of part 3 has a [M+Na]+ candidate"
    for col in ("mz", "intensity", "log_rank"):
        rows[0][col] = rows[0][col][::-1]
    write_table(pa.Table.from_pylist(rows, schema=SPECTRA), victim, SPECTRA)
    return root


def test_failing_pass_leaves_no_output(broken_parts, demo_db, tmp_path):
    from specsweep.cli import main
    out = tmp_path / "out" / "candidates.parquet"
    rc = main(["search", "--spectra", str(broken_parts), "--db", str(demo_db), "--output",
               str(out), "--spectra-per-pass", "20", *ARGS])
    assert rc != 0
    assert list(out.parent.iterdir()) == []  # pass 1 was written to a temporary file, now gone


def _mpiexec(ranks, spectra, db, out, per_pass):
    env = mpi_env()
    args = [a if a != "off" else "on" for a in ARGS]
    cmd = ["mpiexec", "-n", str(ranks), sys.executable, "-m", "specsweep", "search",
           "--spectra", str(spectra), "--db", str(db), "--output", str(out),
           "--spectra-per-pass", str(per_pass), *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.mpi
@pytest.mark.skipif(not mpi_ready(), reason="mpiexec or mpi4py not available")
@pytest.mark.parametrize("ranks", [2, 4])
def test_ranks_with_passes_give_identical_bytes(ranks, by_passes, demo_db, demo_spectra_parts,
                                                tmp_path):
    out = tmp_path / "candidates.parquet"
    proc = _mpiexec(ranks, demo_spectra_parts, demo_db, out, 20)
    assert proc.returncode == 0, proc.stderr[-3000:]
    single, _ = by_passes[20]
    for name in ("candidates.parquet", "candidates.rejects.parquet", "candidates.summary.json"):
        assert (tmp_path / name).read_bytes() == single.with_name(name).read_bytes(), name


@pytest.mark.mpi
@pytest.mark.skipif(not mpi_ready(), reason="mpiexec or mpi4py not available")
def test_failure_on_a_rank_stops_every_rank(broken_parts, demo_db, tmp_path):
    out = tmp_path / "out" / "candidates.parquet"
    proc = _mpiexec(2, broken_parts, demo_db, out, 20)  # a hang would end in TimeoutExpired
    assert proc.returncode != 0
    assert "search failed in pass 2/3" in proc.stderr
    message = next(line for line in proc.stderr.splitlines()
                   if line.startswith("RuntimeError: search failed"))
    assert message.count("not ascending") == 1  # one rank failed; the other was told to stop
    assert not out.parent.exists() or list(out.parent.iterdir()) == []
