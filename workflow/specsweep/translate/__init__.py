"""De novo translation of tandem mass spectra into SMILES (encoder-decoder transformer, torch)."""
