"""Running the search under mpiexec from tests."""

import os
import shutil


def mpi_ready() -> bool:
    """mpiexec on PATH and mpi4py importable."""
    if shutil.which("mpiexec") is None:
        return False
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def mpi_env() -> dict:
    """Environment for Open MPI as root on an oversubscribed 2-core machine, one Numba thread."""
    return dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
                OMPI_MCA_rmaps_base_oversubscribe="1", NUMBA_NUM_THREADS="1")
