"""How often an exactly calibrated PEP would meet a calibration bar of the form "true / estimated
wrong within [0.67, 1.5]" on one dataset: the PEPs of the hits accepted at each PEP q level are
taken as their true error probabilities and the wrong count is drawn as a sum of independent
Bernoullis (20,000 draws). The spread of EM's class frequencies is left out, so the chances
printed are upper bounds. Nothing is asserted; it measures what a bar on one dataset can show.

  .venv/bin/python benchmarks/rescore_pass_chance.py --candidates DEV500_CAND.parquet --spectra DEV500_FOLDER
"""
import argparse

import numpy as np

from rescore_bench import known_answer_set
from specsweep.rescore.model import RescoreModel, default_rescorer_path
from specsweep.rescore.stage import rescore_table

LEVELS = (0.01, 0.05, 0.1, 0.2)
DRAWS = 20_000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--candidates", required=True, help="search output (every true compound in the database)")
    ap.add_argument("--spectra", required=True, help="ingest folder of the same spectra")
    ap.add_argument("--model", default=str(default_rescorer_path("positive")), help="rescoring model")
    ap.add_argument("--low", type=float, default=0.67, help="lowest true / estimate that passes")
    ap.add_argument("--high", type=float, default=1.5, help="highest true / estimate that passes")
    args = ap.parse_args()
    _, _, _, n_peaks, table, _ = known_answer_set(args.candidates, args.spectra, [])
    res, _ = rescore_table(table, RescoreModel.load(args.model), n_peaks)
    pep = res.column('pep').to_numpy(zero_copy_only=False)
    q = res.column('pep_q_value').to_numpy(zero_copy_only=False)
    ok = ~np.isnan(pep)
    pep, q = pep[ok], q[ok]
    rng = np.random.default_rng(0)
    for lv in LEVELS:
        p = pep[q <= lv]
        E = p.sum()
        W = (rng.random((DRAWS, p.size)) < p).sum(axis=1)
        inside = np.mean((W >= args.low * E) & (W <= args.high * E))
        print(f"PEP q {lv:g}: accepted {p.size}, expected wrong {E:.2f}, chance that true / estimate "
              f"falls in [{args.low:g}, {args.high:g}]: {inside:.3f}")


if __name__ == "__main__":
    main()
