"""Parameter blocks shared by several stages; each default, unit and range is defined here once.

- :class:`PrecursorMatching`: which database masses fit a precursor m/z (search).
- :class:`FragmentMatching`: when a fragment ion explains a peak (search, train-model, report,
  translate's re-ranking) — a model's logRanks mean the same only under the same tolerance.
- :class:`FragmentParams`: how molecules are cut (fragment, train-model, report, translate;
  recorded in the database manifest and the model file).
- :class:`PeakSettings`: how raw peaks become processed spectra (ingest; recorded in the
  spectra manifest and in a model's training record).
- :class:`AdductSettings`: which adducts are tried for a spectrum (search).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from specsweep.params.options import Params, Tolerance, param

ION_MODES = ("positive", "negative")
# Cuttable single-bond classes understood by the fragmenter, by the two atoms' symbols
# (fragment/bondtypes.py). molDiscovery's three (N-C, O-C, C-C) plus S-N (sulfonamides), O-P and
# P-S (phosphate esters, organophosphates), S-O (sulfate and sulfonate esters) and S-C
# (thioethers, sulfones): each raised top-1 on the held-out compounds that have such a bond
# (benchmarks/RESULTS.md, "search", bond classes).
DEFAULT_BOND_CLASSES = ("NC", "OC", "CC", "SN", "OP", "PS", "SO", "SC")


@dataclass(frozen=True)
class PrecursorMatching(Params):
    precursor_tol: Tolerance = param(
        Tolerance(0.02, "Da"), "precursor tolerance: a molecule is a candidate when an adduct's m/z of "
        "its mass lies this close to the precursor m/z", config="search.precursor_tol_da")


@dataclass(frozen=True)
class FragmentMatching(Params):
    fragment_tol: Tolerance = param(
        Tolerance(0.01, "Da"), "fragment tolerance: a fragment ion explains a peak this close to it",
        config="search.fragment_tol_da")


@dataclass(frozen=True)
class FragmentParams(Params):
    """How molecules are cut. Defaults follow molDiscovery: at most 2 bridges and 1 2-cut,
    N-C/O-C/C-C single bonds, no C-C bond inside a 2-cut."""

    max_bridges: int = param(2, "bridge cuts per fragment path", min=0, max=8, config="database.max_bridges")
    max_two_cuts: int = param(1, "2-cuts (ring cleavages) per fragment path", min=0, max=4,
                              cli="--max-2cuts", config="database.max_2cuts")
    bond_classes: tuple[str, ...] = param(DEFAULT_BOND_CLASSES, "cuttable single-bond classes: NC OC CC SN OP PS "
                                          "SO SC PC NN XX (XX: any other pair; commas allowed)", item=str)
    cc_in_two_cut: bool = param(False, "allow C-C bonds in 2-cuts", cli="--cc-in-2cut")
    h_shifts: tuple[int, ...] = param((-1, 0, 1), "hydrogen shifts of fragment ions", unit="H atoms",
                                      item=int, min=-3, max=3)
    max_fragments: int = param(200_000, "safety cap of fragments per molecule; graphs hitting it are "
                               "flagged as truncated", min=1)

    def __post_init__(self):
        # Accept lists and comma-joined names (CLI `--bond-classes NC,OC,CC`) and keep tuples.
        classes = tuple(c.strip() for item in self.bond_classes for c in str(item).split(",") if c.strip())
        object.__setattr__(self, "bond_classes", classes)
        object.__setattr__(self, "h_shifts", tuple(int(s) for s in self.h_shifts))
        super().__post_init__()

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "FragmentParams":
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class PeakSettings(Params):
    top_n: int = param(100, "most intense peaks kept per spectrum", min=1, config="ingest.top_n")
    precursor_window_th: float = param(1.5, "half-width of the precursor region removed from the peaks",
                                       unit="Th", min=0, config="ingest.precursor_window_th")
    max_charge: int = param(2, "charge assumed for the precursor region when a spectrum has none "
                            "(search tries 1..this)", min=1, max=4, config="ingest.max_charge")


@dataclass(frozen=True)
class AdductSettings(Params):
    adducts: tuple[str, ...] | None = param(
        None, "adducts to try, e.g. '[M+H]+' '[M+Na]+' (default: the ion mode's default set)", item=str)
    use_file_adduct: bool = param(True, "try the adduct set even when a spectrum names its own adduct "
                                  "(default: a spectrum that names a known adduct is searched with that "
                                  "one only)", cli="--ignore-file-adduct")
    max_charge: int = param(2, "largest charge tried for spectra of unknown charge", min=1, max=4)
    adduct_priors: bool = param(True, "give every adduct of a tried set the same odds (default: each adduct's "
                                "documented prior, docs/adducts.md, is added to its candidates' scores)",
                                cli="--equal-adduct-odds")
