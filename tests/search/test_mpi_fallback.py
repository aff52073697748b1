"""Without mpi4py the search runs as one process; with --mpi on it refuses."""

import sys

import pytest

from specsweep.search.driver import MPI_ENV, get_comm


def test_runs_single_process_without_mpi4py(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # import mpi4py now raises ImportError
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "2")   # as if started by mpiexec
    assert get_comm("auto") is None
    assert get_comm("off") is None
    with pytest.raises(ImportError):
        get_comm("on")


def test_no_mpi_when_not_launched_by_mpi(monkeypatch):
    for key in MPI_ENV:
        monkeypatch.delenv(key, raising=False)
    assert get_comm("auto") is None
