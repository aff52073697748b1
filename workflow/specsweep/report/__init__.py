"""Self-contained HTML report over a results folder: counts, score distributions, estimated-FDR
curves, annotated spectra of top identifications and formula trees (PNG images inlined)."""
