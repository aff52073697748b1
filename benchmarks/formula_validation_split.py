"""Write the validation split used to choose formula-scoring options (never dev_500).

Compounds of massbank_hr_pos_MH_dev_full.mgf.gz (or, with ``negative`` as fourth argument,
massbank_hr_neg_MmH_dev_full.mgf.gz) in neither dev_500 file (both polarities) whose InChIKey first
block has SHA-1 = 0 mod 10 (mod 5 for the negative file, which has fewer compounds); the first 200 keys in sorted order; per compound the spectrum with most
peaks; PEPMASS multiplied by (1 + e 1e-6), e ~ N(0, 3) from random.Random(7), as for dev_500_ppm3.

    .venv/bin/python benchmarks/formula_validation_split.py ../shared/data/spectra OUT.mgf OUT_ppm3.mgf [negative]

fit_priors is then run with ``--exclude dev_500.mgf OUT.mgf``.
"""

import gzip
import hashlib
import random
import sys
from pathlib import Path

from pyteomics import mgf


FILES = {"positive": "massbank_hr_pos_MH", "negative": "massbank_hr_neg_MmH"}
MODULUS = {"positive": 10, "negative": 5}


def main(data_dir: str, out: str, out_ppm3: str, ion_mode: str = "positive") -> None:
    data = Path(data_dir)
    test = {s["params"]["inchikey"][:14].upper()
            for stem in FILES.values()
            for s in mgf.read(str(data / f"{stem}_dev_500.mgf"), use_index=False)}
    best = {}
    with gzip.open(data / f"{FILES[ion_mode]}_dev_full.mgf.gz", "rt") as fh:
        for s in mgf.read(fh, use_index=False):
            key = s["params"]["inchikey"][:14].upper()
            if key in test or int(hashlib.sha1(key.encode()).hexdigest(), 16) % MODULUS[ion_mode] != 0:
                continue
            if key not in best or len(s["m/z array"]) > len(best[key]["m/z array"]):
                best[key] = s
    chosen = [best[k] for k in sorted(best)[:200]]
    mgf.write(chosen, output=out)
    rng = random.Random(7)
    lines = []
    for line in Path(out).read_text().splitlines(keepends=True):
        if line.startswith("PEPMASS="):
            value = float(line.split("=")[1].split()[0]) * (1 + rng.gauss(0, 3) * 1e-6)
            line = f"PEPMASS={value:.6f}\n"
        lines.append(line)
    Path(out_ppm3).write_text("".join(lines))
    print(f"{len(chosen)} validation spectra -> {out}, {out_ppm3}")


if __name__ == "__main__":
    main(*sys.argv[1:5])
