"""Every Arrow schema that crosses a stage boundary, with the meaning of each column.

Units: masses in Da (float64), m/z in Th (float64), retention time in seconds. Identifiers:
``mol_id`` (stable database id), ``spectrum_id`` (``<file stem>:<index>``), ``is_decoy`` (bool
column, never a name prefix). Files are checked against these schemas when read
(:func:`specsweep.files.read_table`), so a stage fails at the boundary with a clear message
instead of deep inside.
"""

from __future__ import annotations

import pyarrow as pa


def _schema(fields: list[tuple[str, pa.DataType, str]], name: str) -> pa.Schema:
    schema = pa.schema([pa.field(n, t, metadata={"doc": d}) for n, t, d in fields])
    return schema.with_metadata({"specsweep_schema": name})


def describe(schema: pa.Schema) -> str:
    """Human-readable column list (name, type, meaning) for docs and --help."""
    lines = []
    for f in schema:
        doc = (f.metadata or {}).get(b"doc", b"").decode()
        lines.append(f"  {f.name:<24} {str(f.type):<22} {doc}")
    return "\n".join(lines)


# --- reject records (every stage) -------------------------------------------------------------
REJECTS = _schema([
    ("source", pa.string(), "input file the record came from"),
    ("record", pa.int64(), "0-based index of the record in that file"),
    ("record_id", pa.string(), "the record's own id or title, if any"),
    ("reason", pa.string(), "reason code, e.g. unparsable_smiles, no_precursor, no_peaks"),
    ("detail", pa.string(), "free-text detail for a person"),
], "rejects")

# --- prepare-db -------------------------------------------------------------------------------
MOLECULES = _schema([
    ("mol_id", pa.string(), "stable molecule id: input id, else IK14-<first InChIKey block>"),
    ("smiles", pa.string(), "standardised canonical isomeric SMILES (RDKit)"),
    ("inchikey", pa.string(), "full InChIKey of the standardised structure"),
    ("inchikey14", pa.string(), "first InChIKey block; the deduplication key"),
    ("formula", pa.string(), "neutral molecular formula, Hill order"),
    ("exact_mass", pa.float64(), "neutral monoisotopic mass, Da"),
    ("name", pa.string(), "name from the input, may be empty"),
], "molecules")

ID_MAP = _schema([
    ("input_id", pa.string(), "id as given in the input (or <file stem>:<record>)"),
    ("mol_id", pa.string(), "molecule the input record was merged into"),
], "id_map")

# --- fragment: database shards ----------------------------------------------------------------
# One row per database entry (target or decoy). Fragment columns are parallel lists: fragment i
# of a molecule is (frag_mass[i], frag_parent[i], frag_bond[i], frag_depth[i]); fragment 0 is the
# whole molecule (depth 0, parent -1, bond 0).
FRAGMENT_DB_FORMAT = "specsweep-fragment-db-1"
"""Format tag in a database folder's manifest.json (``shard-NNNN.parquet`` files of FRAGMENT_SHARD)."""

FRAGMENT_SHARD = _schema([
    ("mol_id", pa.string(), "molecule id (decoys share their target's id)"),
    ("is_decoy", pa.bool_(), "true for the decoy made from the target with the same mol_id"),
    ("inchikey14", pa.string(), "first InChIKey block of the target structure"),
    ("smiles", pa.string(), "target SMILES"),
    ("formula", pa.string(), "neutral formula, Hill order"),
    ("exact_mass", pa.float64(), "neutral monoisotopic mass of the molecule, Da"),
    ("n_nodes", pa.int32(), "nodes of the metabolite graph"),
    ("frag_mass", pa.list_(pa.float64()), "neutral monoisotopic mass of each fragment, Da"),
    ("frag_parent", pa.list_(pa.int32()), "index of the fragment it was cut from (-1 for the root)"),
    ("frag_bond", pa.list_(pa.int16()), "code of the bond type cut to make it (fragment.bondtypes)"),
    ("frag_depth", pa.list_(pa.int8()), "number of cuts from the root (a 2-cut counts once)"),
], "fragment_shard")

# --- ingest: spectra parts --------------------------------------------------------------------
SPECTRA = _schema([
    ("spectrum_id", pa.string(), "<file stem>:<0-based index in file>; stable across reruns"),
    ("source_file", pa.string(), "path of the input file as given"),
    ("index", pa.int64(), "0-based index of the spectrum in its file"),
    ("scan", pa.int64(), "scan number if the file has one, else null"),
    ("feature_id", pa.string(), "exporter's feature id (MGF FEATURE_ID: MZmine, MS-DIAL), else null"),
    ("title", pa.string(), "TITLE (else SPECTRUMID, else NAME) or native id, may be empty"),
    ("precursor_mz", pa.float64(), "precursor m/z, Th"),
    ("charge", pa.int8(), "signed precursor charge; 0 = unknown (search tries 1..max_charge)"),
    ("ion_mode", pa.string(), "positive | negative"),
    ("adduct", pa.string(), "adduct named by the file, as the adduct table names it (chem/adducts.py), null if not given"),
    ("rt_seconds", pa.float64(), "retention time, s, null if not given"),
    ("mz", pa.list_(pa.float64()), "processed peak m/z, Th, ascending"),
    ("intensity", pa.list_(pa.float32()), "peak intensity, as recorded"),
    ("rank", pa.list_(pa.int16()), "intensity rank among kept peaks, 1 = most intense"),
    ("log_rank", pa.list_(pa.int8()), "logRank 1..6 = floor(log2(rank)) + 1; 7 for rank >= 64"),
    ("n_peaks_raw", pa.int32(), "peaks before processing"),
    ("annotation_smiles", pa.string(), "reference structure if the file gives one (training, evaluation)"),
    ("annotation_inchikey14", pa.string(), "first InChIKey block of the reference structure"),
    ("annotation_formula", pa.string(), "reference neutral formula if given"),
], "spectra")

# --- search: candidates -----------------------------------------------------------------------
CANDIDATES = _schema([
    ("spectrum_id", pa.string(), "spectrum searched"),
    ("rank", pa.int32(), "1-based rank within this spectrum's targets, or within its decoys"),
    ("mol_id", pa.string(), "database molecule"),
    ("is_decoy", pa.bool_(), "hit is a decoy"),
    ("inchikey14", pa.string(), "first InChIKey block of the molecule"),
    ("smiles", pa.string(), "molecule SMILES"),
    ("exact_mass", pa.float64(), "neutral monoisotopic mass of the molecule, Da"),
    ("adduct", pa.string(), "adduct that matched the precursor"),
    ("charge", pa.int8(), "charge used"),
    ("precursor_error_ppm", pa.float64(), "(observed - theoretical) / theoretical precursor m/z, ppm"),
    ("score", pa.float64(), "log-likelihood ratio score (higher is better)"),
    ("n_matched_peaks", pa.int32(), "peaks explained by at least one fragment"),
    ("explained_intensity", pa.float64(), "fraction of total peak intensity explained, 0..1"),
], "candidates")

# --- rescore: re-ranked candidates with evidence features and PEP ---------------------------
# Evidence features of a candidate within its list (the spectrum's targets, or its decoys);
# definitions in specsweep.rescore.features.
RESCORE_FEATURES = [
    ("score", "the search's logRank log-likelihood ratio"),
    ("explained_intensity", "fraction of intensity explained, 0..1"),
    ("log_matched", "log(1 + peaks explained)"),
    ("matched_fraction", "peaks explained / peaks of the spectrum"),
    ("delta_best", "score minus the best other score of the list, clipped"),
    ("gap_next", "score minus the next lower score of the list, clipped"),
    ("delta_isomer", "score minus the best other same-formula score, clipped (cap: none)"),
    ("has_isomer", "1 if another candidate of the same formula is in the list"),
    ("log_candidates", "log(candidates in the list)"),
    ("log_isomers", "log(1 + other same-formula candidates in the list)"),
    ("abs_ppm", "|precursor error|, ppm, at least 3 (below: no information)"),
    ("mass_kda", "neutral mass of the candidate, kDa"),
    ("no_match", "1 if the candidate explains no peak"),
    ("formula_rank_inv", "1/rank of its formula in the formula stage, 0 absent, null no result"),
]
RESCORED = _schema(
    [(f.name, f.type, "1-based rank within its list (targets or decoys) by rescore"
      if f.name == "rank" else f.metadata[b"doc"].decode()) for f in CANDIDATES]
    + [("search_rank", pa.int32(), "rank the search gave within the spectrum's targets or decoys"),
       ("rescore", pa.float64(), "rescoring model's linear score (higher is better)"),
       ("pep", pa.float64(), "posterior probability that this top target is not the right "
                             "structure (first InChIKey block); rank-1 targets only, else null"),
       ("pep_q_value", pa.float64(), "mean PEP of the top targets with PEP <= this one's; "
                                     "rank-1 targets only, else null")]
    + [(f"evidence_{c}", pa.float64(),
        f"class evidence of this top target for '{c}': P({c} | features) at the model's training "
        "class frequencies divided by that frequency, the three normalised to sum 1 (times a "
        "dataset's class frequencies they give its PEP; lets several datasets be pooled); "
        "rank-1 targets only, else null") for c in ("right", "outranked", "absent")]
    + [(name, pa.float64(), doc) for name, doc in RESCORE_FEATURES
       if name not in CANDIDATES.names], "rescored")   # score, explained_intensity: as above

# --- fdr: identifications ---------------------------------------------------------------------
IDENTIFICATIONS = _schema([
    ("spectrum_id", pa.string(), "spectrum"),
    ("feature_id", pa.string(), "exporter's feature id of the spectrum (MZmine/MS-DIAL FEATURE_ID), else null"),
    ("scan", pa.int64(), "native scan number of the spectrum, else null"),
    ("precursor_mz", pa.float64(), "precursor m/z of the spectrum, Th"),
    ("rt_seconds", pa.float64(), "retention time of the spectrum, s, else null"),
    ("mol_id", pa.string(), "the spectrum's best target molecule: the target-decoy winner, or with "
                            "rescored candidates the top target also where a decoy won"),
    ("inchikey14", pa.string(), "first InChIKey block"),
    ("smiles", pa.string(), "SMILES of the identified molecule"),
    ("adduct", pa.string(), "adduct"),
    ("score", pa.float64(), "score of the winning hit"),
    ("q_value", pa.float64(), "spectrum-level q-value, (D+1)/T made monotone; null where a decoy won "
                              "the spectrum's competition"),
    ("compound_q_value", pa.float64(), "compound-level q-value (picked competition per compound); null "
                                       "where the molecule's decoy won or a decoy won the spectrum"),
    ("rank", pa.int32(), "rank of the hit in the spectrum's candidate list"),
    ("n_matched_peaks", pa.int32(), "peaks explained"),
    ("explained_intensity", pa.float64(), "fraction of intensity explained"),
    ("pep", pa.float64(), "posterior error probability of the hit (rescore stage); null without it"),
    ("pep_q_value", pa.float64(), "mean PEP of the top hits with PEP <= this one's; null without rescoring"),
    ("identified", pa.bool_(), "passes the accepted level of the accepted measure (summary.json "
                               "'acceptance'); false rows are the best target hits below it"),
], "identifications")

# --- formula ----------------------------------------------------------------------------------
FORMULAS = _schema([
    ("spectrum_id", pa.string(), "spectrum"),
    ("rank", pa.int32(), "1-based rank of the candidate formula"),
    ("formula", pa.string(), "neutral molecular formula, Hill order"),
    ("adduct", pa.string(), "adduct assumed"),
    ("score", pa.float64(), "total log posterior score (tree score + root prior)"),
    ("tree_score", pa.float64(), "score of the maximum colorful subtree"),
    ("mass_error_ppm", pa.float64(), "precursor mass error, ppm"),
    ("n_explained_peaks", pa.int32(), "peaks in the tree"),
    ("explained_intensity", pa.float64(), "fraction of intensity explained by the tree"),
    ("method", pa.string(), "how the tree was found: ilp | ilp_limit | heuristic | none; lipid: the "
                            "glycerophospholipid rule named the formula (tree_json's 'lipid' says how)"),
    ("status", pa.string(), "ok | cut:<what> (work budget spent: candidates, graphs, exact) | no_candidates"),
    ("tree_json", pa.string(), "tree: nodes (formula, peak m/z), edges (loss), JSON"),
], "formulas")

# --- translate --------------------------------------------------------------------------------
TRANSLATOR_META_KEY = "specsweep_translator"
"""File-level key of translations.parquet: JSON about the checkpoint that made it (path, ``toy``
when it was marked as a pipeline check rather than a model, training counts)."""

TRANSLATIONS = _schema([
    ("spectrum_id", pa.string(), "spectrum"),
    ("rank", pa.int32(), "1-based rank after re-ranking"),
    ("smiles", pa.string(), "candidate structure (canonical SMILES)"),
    ("inchikey14", pa.string(), "first InChIKey block"),
    ("beam_logprob", pa.float64(), "sum of token log-probabilities from beam search"),
    ("mass_error_ppm", pa.float64(), "candidate [M+adduct] vs precursor, ppm"),
    ("formula_match", pa.bool_(), "candidate formula equals the top formula of the formula stage"),
    ("fragment_score", pa.float64(), "database scoring model on the candidate's fragmentation graph"),
    ("rerank_score", pa.float64(), "combined score used for the final rank"),
], "translations")

ALL = {s.metadata[b"specsweep_schema"].decode(): s for s in (
    REJECTS, MOLECULES, ID_MAP, FRAGMENT_SHARD, SPECTRA, CANDIDATES, RESCORED, IDENTIFICATIONS, FORMULAS,
    TRANSLATIONS)}
