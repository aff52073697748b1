"""Assemble the report: one self-contained HTML page (inline CSS, PNG images as data URIs)."""

from __future__ import annotations

import html
import json
import logging
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from specsweep.contracts.fragment_db import FragmentDatabase
from specsweep.contracts.results import ResultsLayout
from specsweep.params.options import Tolerance
from specsweep.report import plots
from specsweep.report.annotate import explained_peaks
from specsweep.report.collect import DatasetResults, read_spectra

log = logging.getLogger("specsweep.report")

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;
max-width:1100px;color:#222;line-height:1.4}
h1{font-size:1.6em}h2{border-bottom:2px solid #1f77b4;padding-bottom:.2em;margin-top:2em}
h3{margin-top:1.5em}table{border-collapse:collapse;margin:.5em 0 1em;font-size:.9em}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top;
overflow-wrap:anywhere;max-width:28em}
th{background:#eef4fb}td.num{text-align:right;font-variant-numeric:tabular-nums}
code,.smiles{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85em;word-break:break-all}
.note{color:#666;font-size:.85em}img{max-width:100%}
.card{border:1px solid #ddd;border-radius:6px;padding:.8em;margin:1em 0}
"""



def esc(value) -> str:
    return html.escape("" if value is None else str(value))


def fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def table_html(header: list[str], rows: list[list], numeric: set[int] = frozenset()) -> str:
    out = ["<table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr>"]
    for row in rows:
        cells = []
        for i, v in enumerate(row):
            cls = ' class="num"' if i in numeric else ""
            cells.append(f"<td{cls}>{esc(fmt(v))}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def flatten(d, prefix="") -> list[tuple[str, object]]:
    items = []
    for k in sorted(d):
        v = d[k]
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            items += flatten(v, key + ".")
        elif isinstance(v, list):
            items.append((key, json.dumps(v) if len(json.dumps(v)) < 200 else f"[{len(v)} items]"))
        else:
            items.append((key, v))
    return items


def counts_rows(res: DatasetResults) -> list[list]:
    rows = []
    read = res.manifest.get("counts", {}).get("read") if isinstance(res.manifest.get("counts"), dict) else None
    if read is not None:
        rows.append(["spectra read", read])
    rows.append(["spectra ingested", res.n_spectra])
    if res.rejects is not None:
        rows.append(["spectra rejected", res.rejects.num_rows])
        if res.rejects.num_rows:
            reasons = res.rejects["reason"].value_counts().to_pylist()
            for item in sorted(reasons, key=lambda r: (-r["counts"], r["values"])):
                rows.append([f"  rejected: {item['values']}", item["counts"]])
    if res.candidates is not None:
        cand = res.candidates
        rows.append(["spectra with candidates", pc.count_distinct(cand["spectrum_id"]).as_py()])
        rows.append(["candidates (targets / decoys)",
                     f"{pc.sum(pc.invert(cand['is_decoy'])).as_py() or 0} / {pc.sum(cand['is_decoy']).as_py() or 0}"])
    rows += identified_rows(res.fdr_summary)
    if res.formulas is not None:
        top = res.formulas.filter(pc.equal(res.formulas["rank"], 1))
        rows.append(["spectra with a top formula", top.num_rows])
        for item in sorted(top["status"].value_counts().to_pylist(), key=lambda r: str(r["values"])):
            rows.append([f"  formula status: {item['values']}", item["counts"]])
    if res.translations is not None:
        label = "spectra with de novo candidates" + (" (toy translator)" if is_toy(res) else "")
        rows.append([label, pc.count_distinct(res.translations["spectrum_id"]).as_py()])
    return rows


def is_toy(res: DatasetResults) -> bool:
    """True when the translations come from a checkpoint marked as a toy (train-translator --toy)."""
    return bool(res.translator.get("toy"))


TOY_NOTE = ("De novo candidates here come from a toy translator (trained for seconds on a CPU as a "
            "pipeline check, not a model: {steps} steps on {examples} examples). Its strings are "
            "not structure proposals; they are kept out of the summary table. Train a real one with "
            "specsweep train-translator on a GPU (docs/translate.md) and set translate.checkpoint.")


def toy_note(res: DatasetResults) -> str:
    pre = res.translator.get("pretrain") or res.translator.get("finetune") or {}
    return '<p class="note">' + esc(TOY_NOTE.format(steps=pre.get("steps", "?"),
                                                     examples=pre.get("examples", "?"))) + "</p>"


def identified_rows(summary: dict) -> list[list]:
    """Counts rows from the fdr summary: identified only at the accepted level of the accepted
    measure; every other level as "accepted at", named with its measure."""
    if "acceptance" not in summary:
        return []
    acc, ok = summary["spectra_accounting"], summary["acceptance"]
    rows = [[f"spectra identified ({ok['measure']} <= {ok['level_name']})", acc["identified"]],
            [f"compounds identified ({ok['measure']} <= {ok['level_name']})",
             acc["identified_compounds"]],
            ["spectra won by a target / by a decoy", f"{acc['target_won']} / {acc['decoy_won']}"]]
    for name, m in summary.get("measures", {}).items():
        for level, c in m.get("levels", {}).items():
            what = "compounds" if name == "compound_q_value" else "spectra"
            n = c["unique_compounds"] if name == "compound_q_value" else c["accepted"]
            key = next((k for k in c if k.startswith("wrong_interval_")), None)
            if key and "expected_wrong" in c and n:   # wrong_interval_90: the central 90 %
                low, high = c[key]
                n = (f"{n} (expected wrong {c['expected_wrong']:g}, "
                     f"{key.rsplit('_', 1)[1]} % interval {low}-{high})")
            rows.append([f"  {what} accepted at {name} <= {level}", n])
    return rows


def top_hits(res: DatasetResults, n: int) -> tuple[list[dict], bool]:
    """(best hits, whether they are identified): identified hits, best first (the fdr stage writes
    its rows in that order, by the accepted measure); when none passes the accepted level, the
    best target hits, which are not called identified."""
    if res.identifications is not None and res.identifications.num_rows:
        t = res.identifications
        ok = t.filter(t["identified"])
        return (ok.slice(0, n).to_pylist(), True) if ok.num_rows else (t.slice(0, n).to_pylist(), False)
    if res.candidates is not None and res.candidates.num_rows:
        c = res.candidates
        c = c.filter(pc.and_(pc.equal(c["rank"], 1), pc.invert(c["is_decoy"])))
        c = c.sort_by([("score", "descending"), ("spectrum_id", "ascending")])
        return c.slice(0, n).to_pylist(), False
    return [], False


def rows_for(table: pa.Table | None, spectrum_id: str) -> list[dict]:
    if table is None:
        return []
    sel = table.filter(pc.equal(table["spectrum_id"], spectrum_id))
    return sel.sort_by([("rank", "ascending")]).to_pylist()


def dataset_section(res: DatasetResults, top_spectra: int, fragment_tol: Tolerance,
                    fragment_params) -> str:
    parts = [f'<h2 id="ds-{esc(res.name)}">Dataset {esc(res.name)}</h2>']
    parts.append("<h3>Counts</h3>" + table_html(["", "count"], counts_rows(res), {1}))
    if res.fdr_summary:
        parts.append("<details><summary>FDR summary (summary.json)</summary>"
                     + table_html(["key", "value"], [list(kv) for kv in flatten(res.fdr_summary)])
                     + "</details>")
    cand = res.competed
    if cand is not None and cand.num_rows:
        scores, decoy = spectrum_winner_scores(cand, res.competed_score)
        allscores = cand[res.competed_score].to_numpy(zero_copy_only=False)
        alldecoy = cand["is_decoy"].to_numpy(zero_copy_only=False).astype(bool)
        parts.append("<h3>Score distributions</h3>")
        uri1 = plots.score_histogram(scores[~decoy], scores[decoy],
                                     f"winner per spectrum ({res.competed_score}; ties: decoy)")
        uri2 = plots.score_histogram(allscores[~alldecoy], allscores[alldecoy], "all candidates")
        parts.append(f'<img alt="winner scores" src="{uri1}"><img alt="all scores" src="{uri2}">')
        if res.identifications is not None:
            ids = res.identifications
            parts.append("<h3>Estimated FDR</h3>")
            uri = plots.fdr_curves(ids["q_value"].to_numpy(zero_copy_only=False),
                                   ids["compound_q_value"].to_numpy(zero_copy_only=False),
                                   scores, decoy)
            parts.append(f'<img alt="FDR curves" src="{uri}">')
            parts.append('<p class="note">q-values from the fdr stage (target-decoy competition); '
                         "right: the raw estimate over best hits above each score. On spectra of "
                         "known compounds searched against a database that holds them and their "
                         "isomers, these estimates were about four times too low (wrong hits are "
                         "mostly isomers, which decoys do not imitate; see benchmarks/RESULTS.md, "
                         "fdr): read them as a lower bound there.</p>")
    hits, identified = top_hits(res, top_spectra)
    if hits:
        parts.append("<h3>Top identifications</h3>" if identified else
                     "<h3>Best target hits (none identified)</h3>"
                     '<p class="note">No hit passes the accepted level; these are the best target '
                     "hits, not identifications.</p>")
        spectra = read_spectra(res.spectra_dir, [h["spectrum_id"] for h in hits])
        header = ["spectrum", "molecule", "adduct", "score", "q-value (target-decoy)", "PEP q-value",
                  "matched peaks", "top formula"]
        rows = [[h["spectrum_id"], h["mol_id"], h["adduct"], h["score"], h.get("q_value"), h.get("pep_q_value"),
                 h["n_matched_peaks"], (rows_for(res.formulas, h["spectrum_id"]) or [{}])[0].get("formula")]
                for h in hits]
        if res.translations is not None and not is_toy(res):
            header.append("top de novo structure")
            for row, h in zip(rows, hits):
                row.append((rows_for(res.translations, h["spectrum_id"]) or [{}])[0].get("smiles"))
        parts.append(table_html(header, rows, {3, 4, 5, 6}))
        if res.translations is not None and is_toy(res):
            parts.append(toy_note(res))
        for h in hits:
            parts.append(hit_card(h, spectra.get(h["spectrum_id"]), res, fragment_tol,
                                  fragment_params, "identified" if identified else "best target hit"))
    return "\n".join(parts)


def spectrum_winner_scores(cand: pa.Table, column: str) -> tuple[np.ndarray, np.ndarray]:
    """(score, is_decoy) of each spectrum's winner, by the fdr stage's own competition rule
    (ties go to the decoy), so the histogram counts what the FDR accounting counts."""
    from specsweep.fdr.competition import spectrum_winners
    codes = cand["spectrum_id"].combine_chunks().dictionary_encode().indices.to_numpy(
        zero_copy_only=False).astype(np.int64)
    score = cand[column].to_numpy(zero_copy_only=False).astype(np.float64)
    decoy = cand["is_decoy"].to_numpy(zero_copy_only=False).astype(bool)
    win = spectrum_winners(codes, score, decoy, cand["rank"].to_numpy(zero_copy_only=False))
    return score[win], decoy[win]


def hit_card(hit: dict, spectrum: dict | None, res: DatasetResults, fragment_tol: Tolerance,
             fragment_params, label: str = "identified") -> str:
    sid = hit["spectrum_id"]
    out = ['<div class="card">', f"<b>{esc(sid)}</b> {esc(spectrum.get('title') if spectrum else '')}<br>",
           f'{esc(label)}: <b>{esc(hit["mol_id"])}</b> <span class="smiles">{esc(hit["smiles"])}</span>']
    if spectrum and spectrum.get("annotation_smiles"):
        same = spectrum.get("annotation_inchikey14") == hit.get("inchikey14")
        out.append(f'<br>reference: <span class="smiles">{esc(spectrum["annotation_smiles"])}</span>'
                   f" ({'same compound' if same else 'different compound'})")
    if spectrum is not None:
        mz = np.asarray(spectrum["mz"], dtype=np.float64)
        inten = np.asarray(spectrum["intensity"], dtype=np.float64)
        charge = int(hit.get("charge") or spectrum.get("charge") or 1)
        try:
            frag_hit, _ = explained_peaks(hit["smiles"], mz, charge, fragment_tol, fragment_params)
        except ValueError as exc:  # a SMILES the fragmenter cannot read: draw peaks only
            log.warning("%s: cannot fragment %s: %s", sid, hit["smiles"], exc)
            frag_hit = np.full(mz.shape[0], -1)
        title = f"{sid}: {int((frag_hit >= 0).sum())} of {len(mz)} peaks explained by {hit['mol_id']}"
        uri = plots.annotated_spectrum(mz, inten, frag_hit, spectrum["precursor_mz"], title)
        out.append(f"<br>{int((frag_hit >= 0).sum())} of {len(mz)} peaks explained by a fragment "
                   f"(tolerance {fragment_tol})")
        out.append(f'<br><img alt="spectrum {esc(sid)}" src="{uri}">')
    formulas = rows_for(res.formulas, sid)
    if formulas and formulas[0].get("tree_json"):
        f0 = formulas[0]
        title = (f"{sid}: fragmentation tree of {f0['formula']} ({f0['adduct']}), "
                 f"score {f0['score']:.2f}, {f0['n_explained_peaks']} peaks")
        uri = plots.formula_tree(f0["tree_json"], title)
        out.append(f'<br><img alt="formula tree {esc(sid)}" src="{uri}">')
    trans = rows_for(res.translations, sid)[:5]
    if trans:
        label = "de novo candidates of the toy translator (not structure proposals)" if is_toy(res) \
            else "de novo candidates"
        out.append(f"<br>{label}:" + table_html(
            ["rank", "SMILES", "mass error (ppm)", "formula match", "re-rank score"],
            [[t["rank"], t["smiles"], t["mass_error_ppm"], t["formula_match"], t["rerank_score"]]
             for t in trans], {0, 2, 4}))
    out.append("</div>")
    return "\n".join(out)


def database_section(results_dir: Path) -> str:
    data = FragmentDatabase(ResultsLayout(results_dir).database).read_manifest()
    rows = [list(kv) for kv in flatten(data.get("counts", {}))]
    rows.append(["shards", len(data.get("shards", []))])
    return "<h2>Database</h2>" + table_html(["", "value"], rows, {1})


def build_report(results_dir: Path, datasets: list[DatasetResults], top_spectra: int,
                 fragment_tol: Tolerance, fragment_params) -> str:
    body = ["<h1>specsweep results</h1>",
            "<p>Datasets: " + ", ".join(f'<a href="#ds-{esc(d.name)}">{esc(d.name)}</a>' for d in datasets)
            + "</p>", database_section(results_dir)]
    for res in datasets:
        body.append(dataset_section(res, top_spectra, fragment_tol, fragment_params))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>specsweep results</title><style>" + CSS + "</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")
