"""Database search: candidate lookup, Numba scoring kernels, MPI driver."""
