"""Matplotlib figures for the report, returned as inline PNG data URIs (byte-stable: no
timestamps or version strings in the files)."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams["text.parse_math"] = False   # ids and formulas are text: '$_$' is not math
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from specsweep.report.curves import accepted_vs_qvalue, decoy_fraction_by_score  # noqa: E402

TARGET_COLOR = "#1f77b4"
DECOY_COLOR = "#d62728"
MATCH_COLOR = "#d62728"
PEAK_COLOR = "#7f7f7f"


def to_data_uri(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def score_histogram(target: np.ndarray, decoy: np.ndarray, title: str) -> str:
    """Overlaid histograms of target and decoy scores."""
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    both = np.concatenate([target, decoy]) if len(target) + len(decoy) else np.zeros(1)
    bins = np.histogram_bin_edges(both, bins=30)
    ax.hist(target, bins=bins, alpha=0.6, color=TARGET_COLOR, label=f"targets ({len(target)})")
    ax.hist(decoy, bins=bins, alpha=0.6, color=DECOY_COLOR, label=f"decoys ({len(decoy)})")
    ax.set_xlabel("score (log-likelihood ratio)")
    ax.set_ylabel("hits")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    return to_data_uri(fig)


def fdr_curves(spectrum_q: np.ndarray, compound_q: np.ndarray | None,
               top_scores: np.ndarray, top_is_decoy: np.ndarray) -> str:
    """Left: identifications accepted vs q-value threshold. Right: estimated FDR vs score."""
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.2))
    # compounds are at most as many as spectra and often the same curve on small sets: drawn
    # first, wide and light, with the spectra curve thin and dashed on top, so both stay visible
    if compound_q is not None and len(compound_q):
        t2, c2 = accepted_vs_qvalue(compound_q)
        a1.step(t2 * 100, c2, where="post", color="#2ca02c", lw=3.5, alpha=0.45, label="compounds")
    t, c = accepted_vs_qvalue(spectrum_q)
    a1.step(t * 100, c, where="post", color=TARGET_COLOR, lw=1.3, ls="--", label="spectra")
    for level in (1, 5):
        a1.axvline(level, color="#bbbbbb", lw=0.8, ls="--")
    a1.set_xlabel("q-value threshold (%)")
    a1.set_ylabel("accepted identifications")
    a1.set_title("identifications vs estimated FDR", fontsize=10)
    a1.legend(fontsize=8)
    if len(top_scores):
        s, fdr = decoy_fraction_by_score(top_scores, top_is_decoy)
        a2.step(s, np.minimum(fdr, 1.0) * 100, where="post", color=DECOY_COLOR)
    a2.set_xlabel("score threshold")
    a2.set_ylabel("estimated FDR (%) of top hits")
    a2.set_title("target-decoy estimate, (D+1)/T", fontsize=10)
    return to_data_uri(fig)


def annotated_spectrum(mz: np.ndarray, intensity: np.ndarray, frag_hit: np.ndarray,
                       precursor_mz: float, title: str, label_top: int = 8) -> str:
    """Stick spectrum, relative intensity; peaks explained by a fragment in colour, labelled."""
    fig, ax = plt.subplots(figsize=(7, 3.0))
    rel = 100.0 * intensity / intensity.max() if len(intensity) else intensity
    hit = frag_hit >= 0
    ax.vlines(mz[~hit], 0, rel[~hit], color=PEAK_COLOR, lw=1.0, label="unexplained")
    ax.vlines(mz[hit], 0, rel[hit], color=MATCH_COLOR, lw=1.6, label="explained by a fragment")
    order = np.argsort(-rel[hit], kind="stable")[:label_top]
    for x, yv in zip(mz[hit][order], rel[hit][order]):
        ax.annotate(f"{x:.3f}", (x, yv), textcoords="offset points", xytext=(0, 2),
                    ha="center", fontsize=7, color=MATCH_COLOR)
    if precursor_mz and np.isfinite(precursor_mz):
        ax.axvline(precursor_mz, color="#999999", lw=0.8, ls=":", label="precursor")
    ax.set_xlim(0, max(float(mz.max()) if len(mz) else 0.0, precursor_mz or 0.0) * 1.05 + 5)
    ax.set_ylim(0, 112)
    ax.set_xlabel("m/z (Th)")
    ax.set_ylabel("relative intensity (%)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="upper right")
    return to_data_uri(fig)


TREE_NODES_SHOWN = 15


def formula_tree(tree_json: str, title: str, max_nodes: int = TREE_NODES_SHOWN) -> str:
    """Fragmentation tree of the formula stage (nodes: fragment formulas and peak m/z; edges:
    losses), drawn by specsweep.formula.trees. A tree of more than ``max_nodes`` nodes is cut to
    the nodes of the most intense peaks and their ancestors, and the title says so."""
    import json

    from specsweep.formula.trees import draw_tree

    tree = json.loads(tree_json) if isinstance(tree_json, str) else tree_json
    n_all = len(tree["nodes"])
    if n_all > max_nodes:
        tree = collapse_tree(tree, max_nodes)
        title = f"{title}\n{len(tree['nodes'])} of {n_all} fragments shown (most intense peaks and their ancestors)"
    draw_tree(tree, title=title)
    return to_data_uri(plt.gcf())


def collapse_tree(tree: dict, max_nodes: int) -> dict:
    """The root, the ``max_nodes - 1`` nodes of the most intense peaks (ties: lower id) and every
    ancestor they need, with the edges among them."""
    parent = {e["target"]: e["source"] for e in tree["edges"]}
    ranked = sorted((n for n in tree["nodes"] if n["id"] != 0),
                    key=lambda n: (-(n.get("rel_intensity") or 0.0), n["id"]))
    keep = {0}
    for n in ranked:
        if len(keep) >= max_nodes:
            break
        v = n["id"]
        while v not in keep:
            keep.add(v)
            v = parent.get(v, 0)
    return {**tree, "nodes": [n for n in tree["nodes"] if n["id"] in keep],
            "edges": [e for e in tree["edges"] if e["source"] in keep and e["target"] in keep]}
