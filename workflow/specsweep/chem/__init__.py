"""Chemistry basics: element masses, formulas, adducts and structure standardisation."""
