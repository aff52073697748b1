"""`specsweep prepare-db`: molecule files -> molecules.parquet (+ id map, rejects, summary)."""

from __future__ import annotations

import logging
from pathlib import Path

from specsweep.params.options import add_options, from_args, stage_parser
from specsweep.params.stages import PrepareDbParams

log = logging.getLogger("specsweep.prepare_db")


def register(sub) -> None:
    p = stage_parser(sub, "prepare-db", run,
                     help="standardise and deduplicate a molecule database")
    p.add_argument("--input", nargs="+", required=True, metavar="FILE", help="molecule files")
    p.add_argument("--output", required=True, metavar="PARQUET", help="molecules table to write")
    p.add_argument("--rejects", metavar="PARQUET", help="rejects table (default: <output stem>.rejects.parquet)")
    p.add_argument("--id-map", metavar="PARQUET", help="input id -> mol_id (default: <output stem>.idmap.parquet)")
    add_options(p, PrepareDbParams)
    p.add_argument("--elements", default="C,H,N,O,P,S,F,Cl,Br,I,Si,B,Se",
                   help="comma-separated elements allowed")
    p.add_argument("--drop-isotopes", action="store_true", help="remove isotope labels before deduplication (labelled structures then merge with "
                        "the unlabelled one, at its mass)")
    p.add_argument("--smiles-column", help="SMILES column name in tables (default: smiles, any case)")
    p.add_argument("--id-column", help="id column in tables / id property in SDF (default: id, mol_id, ...)")
    p.add_argument("--name-column", help="name column / SDF property")
    p.add_argument("--threads", type=int, default=1, help="worker processes")


def run(args) -> int:
    """Read molecules (TSV/CSV with a SMILES column, .smi, .sdf; .gz allowed), standardise them with
    RDKit (largest fragment, neutralised), deduplicate by InChIKey first block (isotope-labelled
    structures are kept apart, unless --drop-isotopes) and write molecules.parquet. A permanent
    cation (quaternary ammonium, ...) is kept with the mass of its atoms and searched as [M]+.
    Records that cannot be used go to the rejects file with a reason code (unparsable_smiles,
    no_carbon, mass_above_max, unsupported_element, unsupported_charge, duplicate_id,
    sdf_block_unreadable)."""
    import pyarrow as pa

    from specsweep.chem.prepare import prepare_database
    from specsweep.files import rejects_table, sha256_file, write_json, write_table
    from specsweep.progress import progress
    from specsweep.schema import ID_MAP, MOLECULES, REJECTS

    max_mass = from_args(PrepareDbParams, args).max_mass
    out = Path(args.output)
    stem = out.name.removesuffix(".parquet")
    rejects_path = Path(args.rejects or out.with_name(stem + ".rejects.parquet"))
    idmap_path = Path(args.id_map or out.with_name(stem + ".idmap.parquet"))
    db = prepare_database(
        args.input, max_mass=max_mass, elements=[e.strip() for e in args.elements.split(",") if e.strip()],
        drop_isotopes=args.drop_isotopes, threads=args.threads, smiles_column=args.smiles_column,
        id_column=args.id_column, name_column=args.name_column,
        progress=lambda it, total: progress(it, total=total, desc="standardise", unit="mol"))
    write_table(db.molecules, out, MOLECULES)
    write_table(db.id_map, idmap_path, ID_MAP)
    write_table(rejects_table(db.rejects) if db.rejects else pa.table({n: [] for n in REJECTS.names}, schema=REJECTS),
                rejects_path, REJECTS)
    reasons: dict[str, int] = {}
    for r in db.rejects:
        reasons[r["reason"]] = reasons.get(r["reason"], 0) + 1
    summary = {
        "inputs": [{"path": str(p), "sha256": sha256_file(p)} for p in args.input],
        "records": db.n_records, "molecules": db.molecules.num_rows, "merged_duplicates": db.n_duplicates,
        "isotope_labelled_molecules": db.n_isotope_labelled, "permanent_cations": db.n_permanent_cations,
        "rejected": len(db.rejects), "rejected_by_reason": dict(sorted(reasons.items())),
        "params": {"max_mass_da": max_mass, "elements": args.elements, "drop_isotopes": args.drop_isotopes},
    }
    assert db.n_records == db.molecules.num_rows + db.n_duplicates + len(db.rejects)
    write_json(summary, out.with_name(stem + ".summary.json"))
    log.info("%d records -> %d molecules, %d merged duplicates, %d rejected %s", db.n_records,
             db.molecules.num_rows, db.n_duplicates, len(db.rejects), reasons or "")
    return 0
