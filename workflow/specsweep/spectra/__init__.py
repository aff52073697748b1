"""Spectrum ingestion: readers for MGF, mzML and mzXML, peak processing, intensity ranks, logRank.

Modules:

- :mod:`~specsweep.spectra.logrank`: intensity rank -> logRank mapping (used by search and model).
- :mod:`~specsweep.spectra.peaks`: peak checks and processing (precursor region, top-N, ranks).
- :mod:`~specsweep.spectra.records`: the :class:`RawSpectrum` record every reader yields.
- :mod:`~specsweep.spectra.mgf_reader`, :mod:`~specsweep.spectra.xml_readers`: format readers
  (pyteomics underneath), tolerant of real-world files.
- :mod:`~specsweep.spectra.inputs`: finding input files (folders, extensions, ``.gz``).
- :mod:`~specsweep.spectra.parts`: writing and listing spectra parts (schema ``SPECTRA``).
- :mod:`~specsweep.spectra.ingest`: the ``ingest`` stage, from input paths to parts + manifest.
"""
