"""specsweep: small-molecule identification in tandem mass spectra at cluster scale."""

__version__ = "0.1.0"
