"""The fdr stage on the demo spectra (ingested for real) with hand-built candidate lists."""

import argparse
import json

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from specsweep.fdr.balance import BalanceError
from specsweep.fdr.qvalues import qvalues
from specsweep.fdr.stage import run_fdr
from specsweep.files import read_table, write_table
from specsweep.schema import CANDIDATES, IDENTIFICATIONS


@pytest.fixture(scope="module")
def spectra_dir(tmp_path_factory, demo_mgf):
    from specsweep.spectra.ingest import ingest
    out = tmp_path_factory.mktemp("spectra") / "SPECTRA"
    ingest([demo_mgf], out)
    return out


def make_candidates(spectra_dir, seed=0, decoys=True, n_without=5):
    """2-4 hits per spectrum; the true structure (annotation) is one target, decoys share ids."""
    spectra = pa.concat_tables(pq.read_table(p, columns=["spectrum_id", "annotation_inchikey14"])
                               for p in sorted(spectra_dir.glob("part-*.parquet")))
    rng = np.random.default_rng(seed)
    rows = []
    ids = spectra.column("spectrum_id").to_pylist()
    keys = spectra.column("annotation_inchikey14").to_pylist()
    for i, (sid, key) in enumerate(zip(ids, keys)):
        if i < n_without:
            continue                      # no candidate in the precursor window
        hits = [(f"M{i}", False, key, rng.normal(3.0, 2.0))]
        for k in range(int(rng.integers(1, 4))):
            wrong = f"M{(i * 7 + k) % 40 + 1000}"
            hits.append((wrong, bool(decoys and rng.random() < 0.5), f"WRONGKEY{wrong[1:]:0>6}",
                         rng.normal(1.0, 2.0)))
        hits.sort(key=lambda h: -h[3])
        for rank, (mol, dec, ik, score) in enumerate(hits, 1):
            rows.append({"spectrum_id": sid, "rank": rank, "mol_id": mol, "is_decoy": dec,
                         "inchikey14": ik, "smiles": "C", "exact_mass": 100.0, "adduct": "[M+H]+",
                         "charge": 1, "precursor_error_ppm": 0.1, "score": float(np.round(score, 1)),
                         "n_matched_peaks": 3, "explained_intensity": 0.5})
    return pa.Table.from_pylist(rows, schema=CANDIDATES), ids


def test_outputs_account_for_every_spectrum(tmp_path, spectra_dir):
    cands, ids = make_candidates(spectra_dir)
    write_table(cands, tmp_path / "candidates.parquet", CANDIDATES)
    summary = run_fdr(tmp_path / "candidates.parquet", spectra_dir, tmp_path / "FDR")

    # independent per-spectrum competition (ties: decoy)
    best = {}
    for r in cands.to_pylist():
        cur = best.get(r["spectrum_id"])
        key = (r["score"], r["is_decoy"], -r["rank"])
        if cur is None or key > cur[0]:
            best[r["spectrum_id"]] = (key, r)
    winners = [v[1] for v in best.values()]
    q = qvalues([w["score"] for w in winners], [w["is_decoy"] for w in winners])
    expected = {w["spectrum_id"]: (w["mol_id"], qq) for w, qq in zip(winners, q) if not w["is_decoy"]}

    ident = read_table(tmp_path / "FDR" / "identifications.parquet", IDENTIFICATIONS)
    got = {r["spectrum_id"]: (r["mol_id"], r["q_value"]) for r in ident.to_pylist()}
    assert got.keys() == expected.keys()
    for sid, (mol, qq) in expected.items():
        assert got[sid][0] == mol and got[sid][1] == pytest.approx(qq)
    assert (np.diff(ident.column("q_value").to_numpy()) >= 0).all(), "rows sorted best first"
    # each row carries its spectrum's precursor m/z, scan and retention time (join keys)
    spec = {r["spectrum_id"]: r for r in pa.concat_tables(
        pq.read_table(p, columns=["spectrum_id", "precursor_mz", "scan", "rt_seconds", "feature_id"])
        for p in sorted(spectra_dir.glob("part-*.parquet"))).to_pylist()}
    for r in ident.to_pylist():
        s = spec[r["spectrum_id"]]
        assert (r["precursor_mz"], r["scan"], r["rt_seconds"], r["feature_id"]) == (
            s["precursor_mz"], s["scan"], s["rt_seconds"], s["feature_id"])
    assert all(r["precursor_mz"] > 0 for r in ident.to_pylist())

    acc = summary["spectra_accounting"]
    assert acc["ingested"] == len(ids) == 50
    assert acc["input_total"] == acc["rejected"] + acc["no_candidates"] + acc["target_won"] + acc["decoy_won"]
    assert acc["no_candidates"] == 5
    assert acc["target_won"] == len(expected)
    levels = summary["measures"]["q_value"]["levels"]
    assert levels["1%"]["accepted"] == sum(qq <= 0.01 for _, qq in expected.values())
    assert levels["5%"]["accepted"] == sum(qq <= 0.05 for _, qq in expected.values())
    # "0 %": targets above every decoy winner (the +1 estimate is never 0, so this set is not
    # nested in the 1 % set)
    best_decoy = max(w["score"] for w in winners if w["is_decoy"])
    assert levels["0%"]["accepted"] == sum(w["score"] > best_decoy for w in winners if not w["is_decoy"])
    # identified: only at the accepted level of the accepted measure (default q <= 1 %), in the
    # summary and row by row
    assert summary["acceptance"]["measure"] == "q_value" and summary["acceptance"]["level"] == 0.01
    assert acc["identified"] == levels["1%"]["accepted"]
    flags = {r["spectrum_id"]: r["identified"] for r in ident.to_pylist()}
    assert flags == {sid: qq <= 0.01 for sid, (_, qq) in expected.items()}
    on_disk = json.loads((tmp_path / "FDR" / "summary.json").read_text())
    assert on_disk["spectra_accounting"] == acc

    # the TSV holds the same rows and columns
    tsv = pl.read_csv(tmp_path / "FDR" / "identifications.tsv", separator="\t")
    assert tsv.columns == IDENTIFICATIONS.names
    assert tsv["spectrum_id"].to_list() == ident.column("spectrum_id").to_pylist()
    np.testing.assert_allclose(tsv["q_value"].to_numpy(), ident.column("q_value").to_numpy())

    # compound q-values: null exactly for molecules whose own decoy outscored them
    best_t, best_d = {}, {}
    for w in winners:
        side = best_d if w["is_decoy"] else best_t
        side[w["mol_id"]] = max(side.get(w["mol_id"], -np.inf), w["score"])
    for r in ident.to_pylist():
        lost = best_d.get(r["mol_id"], -np.inf) >= best_t[r["mol_id"]]
        assert (r["compound_q_value"] is None) == lost
    assert ident.column("compound_q_value").null_count < ident.num_rows

    # same inputs -> byte-identical outputs
    run_fdr(tmp_path / "candidates.parquet", spectra_dir, tmp_path / "FDR2")
    for name in ("identifications.parquet", "identifications.tsv"):
        assert (tmp_path / "FDR" / name).read_bytes() == (tmp_path / "FDR2" / name).read_bytes()


def test_no_decoys_and_foreign_spectra_are_errors(tmp_path, spectra_dir):
    cands, _ = make_candidates(spectra_dir, decoys=False)
    write_table(cands, tmp_path / "c.parquet", CANDIDATES)
    with pytest.raises(BalanceError, match="no decoy"):
        run_fdr(tmp_path / "c.parquet", spectra_dir, tmp_path / "FDR")
    assert not (tmp_path / "FDR" / "identifications.parquet").exists()

    cands, _ = make_candidates(spectra_dir)
    other = cands.set_column(0, "spectrum_id", pa.array(["other:0"] * cands.num_rows))
    write_table(other, tmp_path / "c2.parquet", CANDIDATES)
    with pytest.raises(ValueError, match="different runs"):
        run_fdr(tmp_path / "c2.parquet", spectra_dir, tmp_path / "FDR")


def test_cli_subcommand(tmp_path, spectra_dir):
    from specsweep.fdr import commands
    cands, _ = make_candidates(spectra_dir, seed=1)
    write_table(cands, tmp_path / "candidates.parquet", CANDIDATES)
    parser = argparse.ArgumentParser()
    commands.register(parser.add_subparsers())
    args = parser.parse_args(["fdr", "--candidates", str(tmp_path / "candidates.parquet"),
                              "--spectra", str(spectra_dir), "--output-dir", str(tmp_path / "out"),
                              "--levels", "0.1", "0.2", "--accept-level", "0.2"])
    assert args.func(args) == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert list(summary["measures"]["q_value"]["levels"]) == ["10%", "20%"]
    assert summary["acceptance"]["level_name"] == "20%"
    assert summary["spectra_accounting"]["identified"] == \
        summary["measures"]["q_value"]["levels"]["20%"]["accepted"]
    ident = pq.read_table(tmp_path / "out" / "identifications.parquet").to_pylist()
    assert sum(r["identified"] for r in ident) == summary["spectra_accounting"]["identified"]
    assert all(r["q_value"] <= 0.2 for r in ident if r["identified"])
    # the PEP measure needs the rescore stage
    args = parser.parse_args(["fdr", "--candidates", str(tmp_path / "candidates.parquet"),
                              "--spectra", str(spectra_dir), "--output-dir", str(tmp_path / "o2"),
                              "--accept-measure", "pep_q_value"])
    with pytest.raises(ValueError, match="needs rescored candidates"):
        args.func(args)


def test_repository_wide_fdr_merges_datasets(tmp_path, spectra_dir):
    """Two datasets (here the same spectra searched twice, as two runs of one file would be)
    compete as one set: every spectrum is accounted for under its dataset's name, and the q-values
    are those of the pooled winners."""
    from specsweep.fdr.commands import register
    a, _ = make_candidates(spectra_dir, seed=1)
    b, _ = make_candidates(spectra_dir, seed=2)
    write_table(a, tmp_path / "a.parquet", CANDIDATES)
    write_table(b, tmp_path / "b.parquet", CANDIDATES)
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["fdr", "--candidates", str(tmp_path / "a.parquet"),
                              str(tmp_path / "b.parquet"), "--spectra", str(spectra_dir),
                              str(spectra_dir), "--dataset-names", "runA", "runB",
                              "--output-dir", str(tmp_path / "global")])
    assert args.func(args) == 0
    summary = json.loads((tmp_path / "global" / "summary.json").read_text())
    acc = summary["spectra_accounting"]
    assert summary["datasets"] == ["runA", "runB"] and acc["ingested"] == 100
    assert acc["input_total"] == acc["rejected"] + acc["no_candidates"] + acc["target_won"] + acc["decoy_won"]
    # pooled competition: the same winners and q-values as one table of prefixed spectrum ids
    pooled = pa.concat_tables([
        t.set_column(0, "spectrum_id", pa.array([f"{n}/{x}" for x in t.column(0).to_pylist()]))
        for n, t in (("runA", a), ("runB", b))])
    best = {}
    for r in pooled.to_pylist():
        key = (r["score"], r["is_decoy"], -r["rank"])
        if r["spectrum_id"] not in best or key > best[r["spectrum_id"]][0]:
            best[r["spectrum_id"]] = (key, r)
    winners = [v[1] for v in best.values()]
    q = qvalues([w["score"] for w in winners], [w["is_decoy"] for w in winners])
    expected = {w["spectrum_id"]: qq for w, qq in zip(winners, q) if not w["is_decoy"]}
    ident = read_table(tmp_path / "global" / "identifications.parquet", IDENTIFICATIONS).to_pylist()
    assert {r["spectrum_id"]: r["q_value"] for r in ident} == pytest.approx(expected)
    assert all(r["precursor_mz"] > 0 for r in ident)   # joined back to their spectra
    with pytest.raises(ValueError, match="distinct dataset name"):
        run_fdr([tmp_path / "a.parquet", tmp_path / "b.parquet"], [spectra_dir, spectra_dir],
                tmp_path / "x", dataset_names=["same", "same"])


def test_pep_acceptance_judges_every_top_target(tmp_path, spectra_dir):
    """Accepting by the PEP q-value identifies each spectrum's top target whether or not a decoy
    won the target-decoy competition, so the identified count is the pep_q_value measure's count
    at that level; accepting by the target-decoy q-value never identifies a spectrum a decoy won."""
    from specsweep.cli import main
    from specsweep.schema import RESCORED
    from specsweep.rescore.pep import pep_qvalues
    cands, _ = make_candidates(spectra_dir, seed=3)
    write_table(cands, tmp_path / "c.parquet", CANDIDATES)
    assert main(["rescore", "--candidates", str(tmp_path / "c.parquet"), "--spectra", str(spectra_dir),
                 "--output", str(tmp_path / "r.parquet")]) == 0
    # these made-up lists give every top target the same PEP: spread them (0.001-0.5, in spectrum
    # order) and recompute the PEP q-values, so that a level splits the spectra
    table = read_table(tmp_path / "r.parquet", RESCORED)
    is_top = pc.is_valid(table.column("pep")).to_numpy(zero_copy_only=False)
    pep = np.full(table.num_rows, np.nan)
    pep[is_top] = np.linspace(0.001, 0.5, int(is_top.sum()))[::-1]
    pep_q = np.full(table.num_rows, np.nan)
    pep_q[is_top] = pep_qvalues(pep[is_top])
    for name, values in (("pep", pep), ("pep_q_value", pep_q)):
        table = table.set_column(table.schema.get_field_index(name), table.schema.field(name),
                                 pa.array(values, pa.float64(), mask=~is_top))
    write_table(table, tmp_path / "r.parquet", RESCORED)
    res = table.to_pylist()
    top = {r["spectrum_id"]: r for r in res if r["pep"] is not None}       # one per spectrum
    best = {}
    for r in res:
        key = (r["rescore"], r["is_decoy"], -r["rank"])
        if r["spectrum_id"] not in best or key > best[r["spectrum_id"]][0]:
            best[r["spectrum_id"]] = (key, r)
    decoy_won = {sid for sid, (_, r) in best.items() if r["is_decoy"]}
    assert decoy_won and set(top) - decoy_won          # both kinds of spectra are there
    level = float(np.median([r["pep_q_value"] for r in top.values()]))
    expected = {sid for sid, r in top.items() if r["pep_q_value"] <= level}
    assert expected & decoy_won and set(top) - expected

    summary = run_fdr(tmp_path / "r.parquet", spectra_dir, tmp_path / "pep", accept_measure="pep_q_value",
                      accept_level=level, levels=(level,))
    ident = read_table(tmp_path / "pep" / "identifications.parquet", IDENTIFICATIONS).to_pylist()
    assert {r["spectrum_id"] for r in ident} == set(top)                # every top target, once
    assert len(ident) == len(top)
    assert {r["spectrum_id"] for r in ident if r["identified"]} == expected
    assert summary["spectra_accounting"]["identified"] == len(expected) == \
        next(iter(summary["measures"]["pep_q_value"]["levels"].values()))["accepted"]
    for r in ident:
        assert r["mol_id"] == top[r["spectrum_id"]]["mol_id"]
        # no target-decoy q-value (spectrum or compound) where a decoy won the competition
        assert (r["q_value"] is None) == (r["spectrum_id"] in decoy_won)
        if r["spectrum_id"] in decoy_won:
            assert r["compound_q_value"] is None
    pq_values = [r["pep_q_value"] for r in ident]
    assert pq_values == sorted(pq_values), "rows sorted by the accepted measure"

    winners = [r for _, r in best.values()]
    q = qvalues([w["rescore"] for w in winners], [w["is_decoy"] for w in winners])
    td_expected = {w["spectrum_id"] for w, qq in zip(winners, q) if not w["is_decoy"] and qq <= 1.0}
    summary = run_fdr(tmp_path / "r.parquet", spectra_dir, tmp_path / "td", accept_level=1.0)
    ident = read_table(tmp_path / "td" / "identifications.parquet", IDENTIFICATIONS).to_pylist()
    assert td_expected and {r["spectrum_id"] for r in ident if r["identified"]} == td_expected
    assert summary["spectra_accounting"]["identified"] == len(td_expected)
