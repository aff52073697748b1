"""Which rescoring model for negative-mode spectra: one trained on [M-H]- candidates, or the
[M+H]+ one? Measured on a validation split of negative dev_full, never on dev_500.

A rescorer is trained on the training part of the negative dev_full candidates (compounds of
both dev_500 files dropped; the validation part is 20 % of the compounds by key hash, as
`train-rescorer` splits), then it and the other model (default: the shipped positive rescorer,
which never saw a negative spectrum) rescore the same validation spectra: one per validation
compound (the one with most peaks, as dev_500 was drawn), with the seeded 3 ppm precursor error
training uses. Prints, for each model, rescore_bench's ranking and PEP calibration tables in
its three regimes. Nothing is asserted.

  nice -n 10 .venv/bin/python benchmarks/rescore_ion_modes.py \
      --candidates NEG_DEVFULL_CANDIDATES --spectra NEG_DEVFULL_FOLDER \
      --exclude DEV500_BOTH_FOLDER [--other-model MODEL.json]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rescore_bench import evaluate, known_answer_set, with_precursor_noise  # noqa: E402

from specsweep.rescore.model import RescoreModel, default_rescorer_path  # noqa: E402
from specsweep.rescore.training import key_half, train  # noqa: E402


def validation_candidates(table, annot, n_peaks, excluded):
    """Candidates of one spectrum per validation compound, with the seeded precursor error."""
    best: dict = {}
    for sid, key in annot.items():
        if key and key not in excluded and key_half(key):
            if key not in best or n_peaks.get(sid, 0) > n_peaks.get(best[key], 0):
                best[key] = sid
    keep = set(best.values())
    cand = with_precursor_noise(table, keep)
    return cand, {s: annot[s] for s in keep}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--candidates", required=True, help="negative dev_full candidates, all kept")
    ap.add_argument("--spectra", required=True, help="negative dev_full ingest folder")
    ap.add_argument("--exclude", required=True, help="ingest folder of both dev_500 files")
    ap.add_argument("--other-model", default=None, help="default: the shipped positive rescorer")
    args = ap.parse_args()
    data, counts, annot, n_peaks, table, excluded = known_answer_set(
        args.candidates, args.spectra, [args.exclude])
    validation = np.array([key_half(k) for k in data.true_key], bool)
    own = train(data, validation, {"trained_on": counts}, refit_on_all=False)
    other_path = args.other_model or default_rescorer_path("positive")
    cand, truth = validation_candidates(table, annot, n_peaks, excluded)
    print(f"{len(excluded)} dev_500 compounds excluded; negative rescorer trained on "
          f"{int((~validation).sum())} spectra (settings "
          f"{ {k: own.info[k] for k in ('ranker_l2', 'pep_l2')} }); {len(truth)} validation spectra")
    for name, model in (("negative rescorer (training part)", own),
                        (f"other model {other_path}", RescoreModel.load(other_path))):
        print(f"\n# {name}")
        evaluate(cand, truth, n_peaks, model)


if __name__ == "__main__":
    main()
