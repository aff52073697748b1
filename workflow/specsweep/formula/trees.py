"""Drawing fragmentation trees from their JSON (the ``tree_json`` column of formulas.parquet).

- :func:`tree_to_dot`: Graphviz DOT text (nodes: formula and m/z; edges: loss).
- :func:`draw_tree`: a matplotlib drawing on a given or new axes (top-down layered layout), for
  the HTML report; no Graphviz needed.
"""

from __future__ import annotations

import json


def _load(tree) -> dict:
    return json.loads(tree) if isinstance(tree, str) else tree


def tree_to_dot(tree, name: str = "tree") -> str:
    """DOT text of a tree given as JSON text or dict."""
    t = _load(tree)
    lines = [f'digraph "{name}" {{', '  node [shape=box, fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=9];']
    for n in t["nodes"]:
        mz = n["mz"] if n["mz"] is not None else n["theoretical_mz"]
        label = f'{n["formula"]}\\n{mz:.4f}'
        if n.get("rel_intensity") is not None:
            label += f'\\n{100 * n["rel_intensity"]:.1f}%'
        lines.append(f'  n{n["id"]} [label="{label}"];')
    for e in t["edges"]:
        lines.append(f'  n{e["source"]} -> n{e["target"]} [label="{e["loss"]}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _layout(t: dict) -> dict[int, tuple[float, float]]:
    children: dict[int, list[int]] = {}
    for e in t["edges"]:
        children.setdefault(e["source"], []).append(e["target"])
    pos: dict[int, tuple[float, float]] = {}
    next_x = [0.0]

    def place(v: int, depth: int) -> float:
        kids = sorted(children.get(v, []))
        if not kids:
            x = next_x[0]
            next_x[0] += 1.0
        else:
            xs = [place(c, depth + 1) for c in kids]
            x = (xs[0] + xs[-1]) / 2
        pos[v] = (x, -float(depth))
        return x

    place(0, 0)
    return pos


def draw_tree(tree, ax=None, title: str | None = None):
    """Draw a tree with matplotlib; returns the axes."""
    import matplotlib.pyplot as plt

    t = _load(tree)
    pos = _layout(t)
    if ax is None:
        width = max(4.0, 1.4 * (max(x for x, _ in pos.values()) + 1))
        height = max(3.0, 1.2 * (1 - min(y for _, y in pos.values())))
        _, ax = plt.subplots(figsize=(min(width, 30), min(height, 20)))
    for e in t["edges"]:
        (x0, y0), (x1, y1) = pos[e["source"]], pos[e["target"]]
        ax.annotate("", xy=(x1, y1 + 0.18), xytext=(x0, y0 - 0.18),
                    arrowprops={"arrowstyle": "->", "color": "0.4", "lw": 0.8})
        ax.text((x0 + x1) / 2, (y0 + y1) / 2, e["loss"], fontsize=7, color="tab:red", ha="center",
                va="center", bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none"})
    for n in t["nodes"]:
        x, y = pos.get(n["id"], (0.0, 0.0))
        mz = n["mz"] if n["mz"] is not None else n["theoretical_mz"]
        ax.text(x, y, f'{n["formula"]}\n{mz:.4f}', fontsize=8, ha="center", va="center",
                bbox={"boxstyle": "round,pad=0.3", "fc": "#eef3fb" if n["id"] else "#fde9c9", "ec": "0.5"})
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 0.8, max(xs) + 0.8)
    ax.set_ylim(min(ys) - 0.6, max(ys) + 0.6)
    ax.axis("off")
    ax.set_title(title or f'{t["root"]} {t.get("adduct", "")}', fontsize=10)
    return ax
