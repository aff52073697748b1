"""Train a model from ingested, annotated spectra parts (the I/O side of training)."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from specsweep.model.tables import LogRankModel
from specsweep.params.blocks import FragmentMatching, FragmentParams
from specsweep.params.options import Tolerance
from specsweep.params.stages import TrainModelParams
from specsweep.model.train import Graph, build_model, train_counts

log = logging.getLogger("specsweep.model")

COLUMNS = ["spectrum_id", "charge", "mz", "log_rank", "annotation_smiles", "annotation_inchikey14"]


def annotated_keys(parts) -> set[str]:
    """First InChIKey blocks of the reference structures named in spectra parts."""
    keys: set[str] = set()
    for p in parts:
        col = pq.read_table(p, columns=["annotation_inchikey14"]).column(0).to_pylist()
        keys.update(k for k in col if k)
    return keys


def fit(parts, *, exclude_keys: set[str] = frozenset(), fragment_params: FragmentParams = FragmentParams(),
        tol: Tolerance = FragmentMatching.fragment_tol, pseudo_count=TrainModelParams.pseudo_count,
        null=TrainModelParams.null, progress=None) -> tuple[LogRankModel, dict]:
    """Count tables from every annotated spectrum of ``parts`` whose compound is not excluded.

    Fragments are cut with ``fragment_params`` (its hydrogen shifts included) and matched to
    peaks within ``tol``. Returns the model and a dict of counts (used, skipped and why) for
    the model's params, which record these settings.
    """
    from specsweep.fragment.graph import fragment_smiles

    skipped: Counter = Counter()
    records = []          # (key, charge, mz, log_rank)
    smiles_of: dict[str, str] = {}
    excluded_seen: set[str] = set()
    for p in parts:
        t = pq.read_table(p, columns=COLUMNS)
        keys = t.column("annotation_inchikey14").to_pylist()
        smiles = t.column("annotation_smiles").to_pylist()
        charge = t.column("charge").to_pylist()
        mz = t.column("mz").to_pylist()
        lr = t.column("log_rank").to_pylist()
        for i, key in enumerate(keys):
            if not key or not smiles[i]:
                skipped["no_annotation"] += 1
                continue
            if key in exclude_keys:
                skipped["excluded_compound"] += 1
                excluded_seen.add(key)
                continue
            if not charge[i]:
                skipped["unknown_charge"] += 1
                continue
            smiles_of.setdefault(key, smiles[i])
            records.append((key, int(charge[i]), np.asarray(mz[i], np.float64),
                            np.asarray(lr[i], np.int8)))
    graphs: dict[str, Graph] = {}
    failed: set[str] = set()
    keys = sorted(smiles_of)
    it = progress(keys, len(keys), "fragment", "mol") if progress else keys
    for key in it:
        try:
            fg = fragment_smiles(smiles_of[key], fragment_params)
        except (ValueError, KeyError) as exc:  # KeyError: element without a known mass
            log.debug("cannot fragment %s: %s", key, exc)
            failed.add(key)
            continue
        graphs[key] = Graph(fg.mass, fg.parent, fg.bond, fg.depth)
    usable = [r for r in records if r[0] in graphs]
    skipped["structure_not_fragmented"] += len(records) - len(usable)
    tol_da, tol_ppm = tol.da_ppm()
    tables = train_counts(usable, graphs, tol_da=tol_da, tol_ppm=tol_ppm, h_shifts=fragment_params.h_shifts,
                          null=null)
    stats = {"spectra_used": len(usable), "compounds_used": len({r[0] for r in usable}),
             "spectra_skipped": dict(sorted(skipped.items())),
             "excluded_compounds_in_training_files": len(excluded_seen),
             "compounds_not_fragmented": len(failed)}
    params = {"fragment_tol_da": tol_da, "fragment_tol_ppm": tol_ppm, "h_shifts": list(fragment_params.h_shifts),
              "pseudo_count": pseudo_count, "null": null, "evidence_cap": True,
              "fragmentation": fragment_params.to_dict(), "training": stats}
    return build_model(tables, params), stats


def file_record(path) -> dict:
    from specsweep.files import sha256_file
    path = Path(path)
    return {"path": str(path), "name": path.name, "sha256": sha256_file(path)}
