"""Formula fragmentation trees from the formula stage's ``tree_json`` column, and a layered
layout for drawing them (root on top, children spread under their parent by leaf count)."""

from __future__ import annotations

import json

import numpy as np


def parse_tree(tree_json: str) -> tuple[list[str], np.ndarray, np.ndarray, list[str]]:
    """(node formulas, node peak m/z (NaN if none), parent index per node (-1 = root), loss
    formula on the edge into each node ('' for the root)).

    Accepts ``{"nodes": [{"formula", "mz"|"peak_mz"}...], "edges": [{"parent"|"source"|"from",
    "child"|"target"|"to", "loss"}...]}``; node 0 is the root when no edge says otherwise.
    """
    data = json.loads(tree_json) if isinstance(tree_json, str) else tree_json
    nodes = data.get("nodes", [])
    n = len(nodes)
    formulas = [str(nd.get("formula", "")) for nd in nodes]
    mz = np.array([_first(nd, ("mz", "peak_mz"), np.nan) for nd in nodes], dtype=np.float64)
    parent = np.full(n, -1, dtype=np.int64)
    loss = [""] * n
    for e in data.get("edges", []):
        u = int(_first(e, ("parent", "source", "from", "u"), -1))
        v = int(_first(e, ("child", "target", "to", "v"), -1))
        if 0 <= u < n and 0 <= v < n:
            parent[v] = u
            loss[v] = str(e.get("loss", ""))
    return formulas, mz, parent, loss


def _first(d: dict, keys, default):
    for k in keys:
        if k in d and d[k] is not None:
            return d[k]
    return default


def layered_layout(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x, y of each node: y = -depth, x = centre of the node's leaves (leaves at 0, 1, 2, ...)."""
    n = parent.shape[0]
    children: list[list[int]] = [[] for _ in range(n)]
    roots = []
    for v in range(n):
        (children[parent[v]] if parent[v] >= 0 else roots).append(v)
    x = np.zeros(n)
    y = np.zeros(n)
    next_leaf = 0.0
    stack = [(r, 0, False) for r in reversed(roots)]
    while stack:  # iterative post-order: place leaves left to right, parents at their centre
        v, depth, done = stack.pop()
        y[v] = -depth
        if done or not children[v]:
            if children[v]:
                x[v] = np.mean([x[c] for c in children[v]])
            else:
                x[v] = next_leaf
                next_leaf += 1.0
            continue
        stack.append((v, depth, True))
        stack.extend((c, depth + 1, False) for c in reversed(children[v]))
    return x, y
