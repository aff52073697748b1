"""Readers for molecule inputs: TSV/CSV with a SMILES column, SMILES files, SDF (gzip allowed).

Each reader yields (record index, input id or None, SMILES or None, name, problem) tuples. A
record the reader cannot turn into a SMILES (e.g. an SDF block RDKit cannot parse) comes back
with SMILES None so it is rejected with a reason instead of vanishing.
"""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

ID_COLUMNS = ("id", "mol_id", "identifier", "compound_id", "accession")
SMILES_COLUMNS = ("smiles", "canonical_smiles", "isomeric_smiles")
NAME_COLUMNS = ("name", "compound_name", "title")


def _open_text(path: Path):
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def _base_suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def _pick(header: list[str], wanted: str | None, choices: tuple[str, ...], what: str, path: Path, required: bool):
    lower = {h.strip().lower(): h for h in header}
    if wanted:
        if wanted not in header and wanted.lower() not in lower:
            raise ValueError(f"{path}: no column {wanted!r} (columns: {', '.join(header)})")
        return wanted if wanted in header else lower[wanted.lower()]
    for c in choices:
        if c in lower:
            return lower[c]
    if required:
        raise ValueError(f"{path}: no {what} column; name it with --{what}-column (columns: {', '.join(header)})")
    return None


def read_table_file(path: Path, smiles_column=None, id_column=None, name_column=None):
    delimiter = "," if _base_suffix(path) == ".csv" else "\t"
    with _open_text(path) as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            return
        s_col = header.index(_pick(header, smiles_column, SMILES_COLUMNS, "smiles", path, True))
        i_name = _pick(header, id_column, ID_COLUMNS, "id", path, False)
        n_name = _pick(header, name_column, NAME_COLUMNS, "name", path, False)
        i_col = header.index(i_name) if i_name else None
        n_col = header.index(n_name) if n_name else None
        for k, row in enumerate(reader):
            if not row:
                continue
            get = lambda c: row[c].strip() if c is not None and c < len(row) else ""  # noqa: E731
            yield k, get(i_col) or None, get(s_col) or None, get(n_col), None


def read_smiles_file(path: Path):
    with _open_text(path) as fh:
        for k, line in enumerate(fh):
            parts = line.split()
            if not parts or parts[0].startswith("#"):
                continue
            yield k, (parts[1] if len(parts) > 1 else None), parts[0], " ".join(parts[2:]), None


def read_sdf(path: Path, id_field=None, name_field=None):
    from rdkit import Chem
    opener = gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")
    with opener as fh:
        for k, mol in enumerate(Chem.ForwardSDMolSupplier(fh, sanitize=True, removeHs=True)):
            if mol is None:
                yield k, None, None, "", "sdf_block_unreadable"
                continue
            mid = mol.GetProp(id_field) if id_field and mol.HasProp(id_field) else (mol.GetProp("_Name").strip() or None)
            name = mol.GetProp(name_field) if name_field and mol.HasProp(name_field) else ""
            yield k, mid, Chem.MolToSmiles(mol), name, None


def read_molecules(path: str | Path, smiles_column=None, id_column=None, name_column=None):
    """Records of one molecule file, by extension (.tsv/.txt/.csv/.smi/.smiles/.sdf/.mol, .gz ok)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    kind = _base_suffix(path)
    if kind in (".tsv", ".txt", ".csv"):
        return read_table_file(path, smiles_column, id_column, name_column)
    if kind in (".smi", ".smiles"):
        return read_smiles_file(path)
    if kind in (".sdf", ".mol", ".sd"):
        return read_sdf(path, id_column, name_column)
    raise ValueError(f"{path}: unknown molecule file type {kind!r} (use .tsv, .csv, .smi, .sdf, optionally .gz)")
