"""prepare-db: molecule files -> one standardised, deduplicated molecules table.

Every input record ends in exactly one place: a molecules row (first structure with its
InChIKey first block and isotope labels, :attr:`Standardized.dedup_key`), the id map (every accepted record, duplicates included, points at its
molecule) or the rejects table (reason code). Output order is input order, so the same inputs
give byte-identical files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from multiprocessing import Pool
from pathlib import Path

import pyarrow as pa

from specsweep.chem.molecule_inputs import read_molecules
from specsweep.chem.standardize import UNPARSABLE_SMILES, Standardized, Standardizer
from specsweep.schema import ID_MAP, MOLECULES

DUPLICATE_ID = "duplicate_id"


@dataclass
class PreparedDatabase:
    molecules: pa.Table
    id_map: pa.Table
    rejects: list[dict] = field(default_factory=list)
    n_records: int = 0
    n_duplicates: int = 0
    n_isotope_labelled: int = 0     # molecules kept apart because of isotope labels
    n_permanent_cations: int = 0    # molecules with a permanent +1 charge (searched as [M]+)


_STANDARDIZER: Standardizer | None = None


def _init(max_mass, elements, drop_isotopes):
    global _STANDARDIZER
    _STANDARDIZER = Standardizer(max_mass, elements, drop_isotopes)


def _standardize(smiles):
    return _STANDARDIZER(smiles) if smiles else UNPARSABLE_SMILES


def prepare_database(inputs, max_mass=2000.0, elements=None, drop_isotopes=False, threads=1,
                     smiles_column=None, id_column=None, name_column=None, progress=None) -> PreparedDatabase:
    from specsweep.chem.standardize import DEFAULT_ELEMENTS
    elements = frozenset(elements or DEFAULT_ELEMENTS)
    records = []  # (source, record, input_id, smiles, name, reader_problem)
    for path in inputs:
        stem = Path(path).name
        for k, mid, smi, name, problem in read_molecules(path, smiles_column, id_column, name_column):
            records.append((stem, k, mid, smi, name, problem))
    smiles = [r[3] for r in records]
    if threads > 1:
        with Pool(threads, initializer=_init, initargs=(max_mass, elements, drop_isotopes)) as pool:
            it = pool.imap(_standardize, smiles, chunksize=256)
            results = list(progress(it, total=len(smiles)) if progress else it)
    else:
        _init(max_mass, elements, drop_isotopes)
        it = map(_standardize, smiles)
        results = list(progress(it, total=len(smiles)) if progress else it)

    rows = {n: [] for n in MOLECULES.names}
    id_rows = {"input_id": [], "mol_id": []}
    rejects = []
    by_key: dict[str, str] = {}
    used_ids: set[str] = set()
    n_dup = n_labelled = n_cations = 0
    for (source, k, mid, smi, name, problem), res in zip(records, results):
        input_id = mid or f"{source}:{k}"
        if problem or isinstance(res, str):
            reason = problem or res
            rejects.append({"source": source, "record": k, "record_id": input_id, "reason": reason,
                            "detail": (smi or "")[:200]})
            continue
        assert isinstance(res, Standardized)
        key = res.dedup_key          # labelled structures never merge with the unlabelled one
        if key in by_key:
            n_dup += 1
            id_rows["input_id"].append(input_id)
            id_rows["mol_id"].append(by_key[key])
            continue
        mol_id = mid or f"IK14-{key}"
        if mol_id in used_ids:
            rejects.append({"source": source, "record": k, "record_id": input_id, "reason": DUPLICATE_ID,
                            "detail": f"id {mol_id!r} already names another structure"})
            continue
        used_ids.add(mol_id)
        by_key[key] = mol_id
        n_labelled += bool(res.labels)
        n_cations += res.permanent_cation
        for col, val in (("mol_id", mol_id), ("smiles", res.smiles), ("inchikey", res.inchikey),
                         ("inchikey14", res.inchikey[:14]), ("formula", res.formula),
                         ("exact_mass", res.exact_mass),
                         ("name", name or "")):
            rows[col].append(val)
        id_rows["input_id"].append(input_id)
        id_rows["mol_id"].append(mol_id)
    return PreparedDatabase(pa.table(rows, schema=MOLECULES), pa.table(id_rows, schema=ID_MAP), rejects,
                            len(records), n_dup, n_labelled, n_cations)


__all__ = ["prepare_database", "PreparedDatabase", "DUPLICATE_ID"]
