"""Monoisotopic masses in Da (IUPAC/AME 2020 values, as used by RDKit and SIRIUS)."""

ELECTRON = 0.000548579909
PROTON = 1.007276466621
HYDROGEN = 1.00782503207
NEUTRON_C13_SHIFT = 1.003354835

ELEMENT_MASS: dict[str, float] = {
    "H": 1.00782503207,
    "B": 11.0093054,
    "C": 12.0,
    "N": 14.0030740048,
    "O": 15.99491461956,
    "F": 18.99840322,
    "Na": 22.9897692809,
    "Si": 27.9769265325,
    "P": 30.97376163,
    "S": 31.97207100,
    "Cl": 34.96885268,
    "K": 38.96370668,
    "Se": 79.9165213,
    "Br": 78.9183371,
    "I": 126.904473,
}

# Usual valences, used for RDBE (ring and double-bond equivalents).
VALENCE: dict[str, int] = {
    "H": 1, "B": 3, "C": 4, "N": 3, "O": 2, "F": 1, "Na": 1, "Si": 4,
    "P": 3, "S": 2, "Cl": 1, "K": 1, "Se": 2, "Br": 1, "I": 1,
}
