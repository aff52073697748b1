"""On-disk contracts between stages, next to :mod:`specsweep.schema`: what a folder holds and how
it is found and opened (spectra folder, fragment database, the workflow's results layout).

``results`` imports only the standard library (the workflow rules use it); the others read
Parquet footers and manifests.
"""
