"""Training spectra for a rescoring model that reads the formula stage's results
(`specsweep train-rescorer --formulas`).

The rescorer's training adds a seeded precursor error to every training candidate
(``specsweep.rescore.training.precursor_noise_ppm``), because MassBank's precursor m/z values are
computed from the structures. The formula stage must see the same measured-like precursor, or
its rank of the true formula would be better than on real data. This writes one spectra part
holding, for every annotated compound not in ``--exclude`` (the evaluation files), each spectrum
tied at the compound's largest peak count (the training picks one of them per compound for its
PEP examples), with its precursor m/z moved by that spectrum's seeded error. Run the formula stage
on it, then train:

  .venv/bin/python benchmarks/rescore_formula_spectra.py --spectra DEVFULL_FOLDER \\
      --exclude DEV500_FOLDER DEV500NEG_FOLDER --out train_spectra.parquet
  .venv/bin/python -m specsweep formula --spectra train_spectra.parquet --output train_formulas.parquet
  .venv/bin/python -m specsweep train-rescorer ... --formulas train_formulas.parquet

Prints what it kept; nothing is asserted.
"""

from __future__ import annotations

import argparse

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from specsweep.files import write_table
from specsweep.rescore.training import PPM_NOISE_SD, precursor_noise_ppm
from specsweep.schema import SPECTRA
from specsweep.spectra.ingest import load_spectra


def richest_with_moved_precursors(spectra: pa.Table, excluded: set) -> pa.Table:
    """The spectra tied at their compound's largest peak count (excluded compounds and spectra
    without annotation left out), precursor m/z moved by the training's seeded error."""
    keys = spectra.column("annotation_inchikey14").to_pylist()
    peaks = pc.list_value_length(spectra.column("mz")).to_numpy(zero_copy_only=False)
    best: dict[str, int] = {}
    for key, n in zip(keys, peaks):
        if key and key not in excluded:
            best[key] = max(best.get(key, -1), int(n))
    keep = np.array([bool(k) and k not in excluded and n == best[k] for k, n in zip(keys, peaks)])
    kept = spectra.filter(pa.array(keep))
    ids = kept.column("spectrum_id").to_pylist()
    mz = kept.column("precursor_mz").to_numpy(zero_copy_only=False)
    moved = mz * (1 + precursor_noise_ppm(ids, PPM_NOISE_SD) * 1e-6)
    field = kept.schema.field("precursor_mz")
    return kept.set_column(kept.schema.get_field_index("precursor_mz"), field, pa.array(moved, field.type))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spectra", required=True, nargs="+", help="annotated training spectra (ingest folders or parts)")
    ap.add_argument("--exclude", required=True, nargs="+",
                    help="spectra whose compounds (first InChIKey block) must stay out (the evaluation files)")
    ap.add_argument("--out", required=True, help="spectra part to write (schema SPECTRA)")
    args = ap.parse_args()
    excluded = set(load_spectra(args.exclude, columns=["annotation_inchikey14"])
                   .column("annotation_inchikey14").to_pylist()) - {None}
    kept = richest_with_moved_precursors(load_spectra(args.spectra), excluded)
    write_table(kept, args.out, SPECTRA)
    compounds = len(set(kept.column("annotation_inchikey14").to_pylist()))
    print(f"{kept.num_rows} spectra of {compounds} compounds -> {args.out} ({len(excluded)} compounds "
          f"excluded; precursor moved by a seeded {PPM_NOISE_SD:g} ppm sd error)")


if __name__ == "__main__":
    main()
