"""The rescore stage picks the rescoring model by each spectrum's ion mode, as the search picks
its logRank model: real MassBank spectra of both polarities, searched against a small database
holding their structures, rescored in one run."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from specsweep.files import read_table
from specsweep.rescore.model import RescoreModel, default_rescorer_path
from specsweep.rescore.pep import pep_qvalues
from specsweep.rescore.stage import rescore_table, spectrum_facts
from specsweep.schema import CANDIDATES, RESCORED

N_NEG = 12   # negative spectra taken from the negative dev_500 file
N_BACKGROUND = 300   # demo molecules besides the true structures (competitors)


def _blocks(text: str) -> list[str]:
    return [b.split("END IONS")[0] for b in text.split("BEGIN IONS")[1:]]


def _field(block: str, key: str) -> str:
    return next(line.split("=", 1)[1] for line in block.splitlines() if line.startswith(key + "="))


@pytest.fixture(scope="module")
def mixed(tmp_path_factory, demo_mgf, demo_molecules, shared_data):
    """Ingested spectra (50 positive demo spectra, then N_NEG negative MassBank spectra), a
    database of their structures plus background molecules, and the search's candidates."""
    from specsweep.cli import main
    root = tmp_path_factory.mktemp("ion_modes")
    neg = _blocks((shared_data / "spectra" / "massbank_hr_neg_MmH_dev_500.mgf").read_text())[:N_NEG]
    mgf = root / "mixed.mgf"
    mgf.write_text(demo_mgf.read_text() + "".join(f"BEGIN IONS{b}END IONS\n" for b in neg))
    lines = demo_molecules.read_text().splitlines()
    mols = lines[:51 + N_BACKGROUND] + [f"{_field(b, 'TITLE')}\t{_field(b, 'SMILES')}\t" for b in neg]
    (root / "mols.tsv").write_text("\n".join(mols) + "\n")
    for argv in (["ingest", "--input", str(mgf), "--output-dir", str(root / "spectra")],
                 ["prepare-db", "--input", str(root / "mols.tsv"), "--output", str(root / "m.parquet")],
                 ["fragment", "--molecules", str(root / "m.parquet"), "--output-dir", str(root / "db")],
                 ["search", "--spectra", str(root / "spectra"), "--db", str(root / "db"),
                  "--output", str(root / "cand.parquet"), "--top-k", "50", "--mpi", "off"]):
        assert main(argv) == 0, argv
    return root


def test_each_ion_mode_is_rescored_with_its_own_model(mixed):
    from specsweep.cli import main
    out = mixed / "rescored.parquet"
    assert main(["rescore", "--candidates", str(mixed / "cand.parquet"),
                 "--spectra", str(mixed / "spectra"), "--output", str(out)]) == 0
    res = read_table(out, RESCORED)
    summary = json.loads((mixed / "rescored.summary.json").read_text())
    n_peaks, modes = spectrum_facts(mixed / "spectra")
    assert sorted(set(modes.values())) == ["negative", "positive"]
    assert summary["model"] == {"negative": str(default_rescorer_path("negative")),
                                "positive": str(default_rescorer_path("positive"))}
    cand = read_table(mixed / "cand.parquet", CANDIDATES)
    is_neg = np.array([modes[s] == "negative" for s in cand.column("spectrum_id").to_pylist()])
    assert is_neg.any() and (~is_neg).any()
    models = {m: RescoreModel.load(default_rescorer_path(m)) for m in ("positive", "negative")}
    for mode, sel in (("negative", is_neg), ("positive", ~is_neg)):
        alone, alone_summary = rescore_table(cand.filter(pa.array(sel)), models[mode], n_peaks)
        part = res.filter(pa.array([modes[s] == mode for s in res.column("spectrum_id").to_pylist()]))
        # same rows, same order, same rescore as that model alone on that ion mode's spectra
        for col in ("spectrum_id", "mol_id", "is_decoy", "rank", "rescore", "pep"):
            assert part.column(col).equals(alone.column(col)), (mode, col)
        assert summary["by_ion_mode"][mode]["class_frequency_estimated"] == \
            alone_summary["class_frequency_estimated"]
        assert summary["by_ion_mode"][mode]["spectra_with_targets"] == \
            alone_summary["spectra_with_targets"]
    # the other model gives negative spectra other scores: the choice matters
    other, _ = rescore_table(cand.filter(pa.array(is_neg)), models["positive"], n_peaks)
    assert not np.allclose(np.sort(other.column("rescore").to_numpy()),
                           np.sort(res.filter(pa.array([modes[s] == "negative" for s in
                                   res.column("spectrum_id").to_pylist()])).column("rescore").to_numpy()))
    # spectra keep their order of first appearance; PEP q-values over all top targets at once
    ids = res.column("spectrum_id").to_pylist()
    assert list(dict.fromkeys(ids)) == list(dict.fromkeys(cand.column("spectrum_id").to_pylist()))
    top = pc.is_valid(res.column("pep")).to_numpy(zero_copy_only=False)
    pep = res.column("pep").to_numpy(zero_copy_only=False)[top]
    np.testing.assert_allclose(res.column("pep_q_value").to_numpy(zero_copy_only=False)[top],
                               pep_qvalues(pep))
    assert summary["spectra_with_targets"] == int(top.sum())
    assert summary["pep_q_levels"]["0.05"] == int(np.sum(pep_qvalues(pep) <= 0.05))
    # the fdr summary's count of wrong hits comes with an interval around its estimate
    from specsweep.fdr.accounting import pep_summary
    measure = pep_summary(res, [0.05, 0.2])
    # both ion modes' PEPs went through their model's map, and the summary says so
    assert measure["pep_recalibrated"] == {"positive": True, "negative": True}
    levels = measure["levels"]
    assert levels["20%"]["accepted"] == int(np.sum(pep_qvalues(pep) <= 0.2)) > 0
    for c in levels.values():
        low, high = c["wrong_interval_90"]
        assert 0 <= low <= c["expected_wrong"] <= high <= c["accepted"]
    # the rescore stage's own summary carries the same numbers at its levels
    assert summary["pep_q_wrong"]["0.05"] == {"expected": levels["5%"]["expected_wrong"],
                                              "interval_90": levels["5%"]["wrong_interval_90"]}


def test_same_uses_one_model_for_both_ion_modes(mixed):
    from specsweep.cli import main
    out = mixed / "same.parquet"
    assert main(["rescore", "--candidates", str(mixed / "cand.parquet"), "--spectra",
                 str(mixed / "spectra"), "--output", str(out), "--negative-model", "same"]) == 0
    summary = json.loads((mixed / "same.summary.json").read_text())
    assert set(summary["model"].values()) == {str(default_rescorer_path("positive"))}
    n_peaks, _ = spectrum_facts(mixed / "spectra")
    model = RescoreModel.load(default_rescorer_path("positive"))
    cand = read_table(mixed / "cand.parquet", CANDIDATES)
    res = read_table(out, RESCORED)
    # per-mode priors differ from one pooled fit, but the ranking (rescore) is the model's own
    alone, _ = rescore_table(cand, model, n_peaks)
    def by_row(t):
        rows = sorted(zip(t.column("spectrum_id").to_pylist(), t.column("mol_id").to_pylist(),
                          t.column("is_decoy").to_pylist(), t.column("rescore").to_pylist()))
        return [r[:3] for r in rows], np.array([r[3] for r in rows])
    (ids_a, u_a), (ids_b, u_b) = by_row(res), by_row(alone)
    assert ids_a == ids_b
    np.testing.assert_allclose(u_a, u_b, rtol=1e-12, atol=1e-12)


def test_spectra_missing_from_the_folder_are_an_error(mixed):
    from specsweep.rescore.stage import rescore_by_ion_mode
    cand = read_table(mixed / "cand.parquet", CANDIDATES)
    n_peaks, modes = spectrum_facts(mixed / "spectra")
    first = cand.column("spectrum_id")[0].as_py()
    modes.pop(first)
    model = RescoreModel.load(default_rescorer_path("positive"))
    with pytest.raises(ValueError, match="not in the spectra folder"):
        rescore_by_ion_mode(cand, {"positive": model, "negative": model}, n_peaks, modes)


def test_shipped_negative_rescorer_never_saw_a_dev500_compound(shared_data):
    """The shipped negative rescorer records the exclusion list it was trained with: every
    compound (first InChIKey block) of both dev_500 files, by count and digest."""
    from specsweep.rescore.training import exclusion_digest
    keys = set()
    for name in ("massbank_hr_neg_MmH_dev_500.mgf", "massbank_hr_pos_MH_dev_500.mgf"):
        for block in _blocks((shared_data / "spectra" / name).read_text()):
            keys.add(_field(block, "INCHIKEY")[:14])
    info = RescoreModel.load(default_rescorer_path("negative")).info
    assert info["excluded"] == {"compounds": len(keys), "sha256_16": exclusion_digest(keys)}
    assert info["trained_on"]["dropped_excluded"] > 0


def test_repository_wide_fdr_pools_the_class_frequencies(mixed, tmp_path):
    """Two datasets rescored apart (each with its own class frequencies) and merged by the
    repository-wide FDR get the PEPs of both rescored as one dataset: the frequencies are
    re-estimated once, per ion mode, from each top target's stored class evidence. Dataset A
    holds every true structure, dataset B none (removed from its candidates), so apart their
    frequencies differ."""
    from specsweep.cli import main
    from specsweep.files import write_table
    from specsweep.schema import IDENTIFICATIONS
    from specsweep.spectra.parts import read_spectra
    cand = read_table(mixed / "cand.parquet", CANDIDATES)
    sp = read_spectra(mixed / "spectra", columns=["spectrum_id", "annotation_inchikey14"])
    truth = dict(zip(sp.column("spectrum_id").to_pylist(), sp.column("annotation_inchikey14").to_pylist()))
    ids = cand.column("spectrum_id").to_pylist()
    keys = cand.column("inchikey14").to_pylist()
    half = set(list(dict.fromkeys(ids))[::2])        # both halves hold both ion modes
    in_a = [s in half for s in ids]
    in_b = [s not in half and k != truth[s] for s, k in zip(ids, keys)]
    for name, keep in (("A", in_a), ("B", in_b), ("whole", [a or b for a, b in zip(in_a, in_b)])):
        write_table(cand.filter(pa.array(keep)), tmp_path / f"{name}.parquet", CANDIDATES)
        assert main(["rescore", "--candidates", str(tmp_path / f"{name}.parquet"), "--spectra",
                     str(mixed / "spectra"), "--output", str(tmp_path / f"{name}_r.parquet")]) == 0
    def peps(path):
        t = read_table(path, RESCORED)
        return {s: p for s, p in zip(t.column("spectrum_id").to_pylist(), t.column("pep").to_pylist())
                if p is not None}
    want = peps(tmp_path / "whole_r.parquet")
    apart = {**peps(tmp_path / "A_r.parquet"), **peps(tmp_path / "B_r.parquet")}
    assert max(abs(apart[s] - want[s]) for s in want) > 0.01     # apart, the PEPs differ
    assert main(["fdr", "--candidates", str(tmp_path / "A_r.parquet"), str(tmp_path / "B_r.parquet"),
                 "--spectra", str(mixed / "spectra"), str(mixed / "spectra"),
                 "--dataset-names", "A", "B", "--output-dir", str(tmp_path / "global")]) == 0
    ident = read_table(tmp_path / "global" / "identifications.parquet", IDENTIFICATIONS).to_pylist()
    pooled = {r["spectrum_id"].split("/", 1)[1]: r["pep"] for r in ident if r["pep"] is not None}
    assert len(pooled) > 20
    assert all(abs(pooled[s] - want[s]) < 1e-4 for s in pooled)


def test_datasets_rescored_with_different_pep_maps_are_not_pooled(mixed, tmp_path, caplog):
    """The repository-wide FDR pools PEPs only of datasets rescored with one model: a file
    whose stored PEP map differs for an ion mode is refused with both paths named."""
    import pyarrow.parquet as pq
    from specsweep.cli import main
    from specsweep.rescore.recalibration import METADATA_KEY, from_metadata, to_metadata
    out = tmp_path / "r.parquet"
    assert main(["rescore", "--candidates", str(mixed / "cand.parquet"),
                 "--spectra", str(mixed / "spectra"), "--output", str(out)]) == 0
    t = pq.read_table(out)
    maps = from_metadata(t.schema)
    assert set(maps) == {"positive", "negative"} and all(m is not None for m in maps.values())
    other = {**maps, "positive": maps["negative"]}
    pq.write_table(t.replace_schema_metadata({**t.schema.metadata, **to_metadata(other)}),
                   tmp_path / "other.parquet")
    assert pq.read_schema(tmp_path / "other.parquet").metadata[METADATA_KEY] != t.schema.metadata[METADATA_KEY]
    assert main(["fdr", "--candidates", str(out), str(tmp_path / "other.parquet"),
                 "--spectra", str(mixed / "spectra"), str(mixed / "spectra"),
                 "--dataset-names", "A", "B", "--output-dir", str(tmp_path / "global")]) != 0
    assert "different positive-mode models" in caplog.text and "other.parquet" in caplog.text
    assert not (tmp_path / "global" / "identifications.parquet").exists()
