"""Fragment enumeration with bitsets over metabolite-graph nodes (Numba).

A fragment is a connected set of metabolite-graph nodes, stored as ``n_words`` uint64 words
(bit ``i`` = node ``i``; any node count works). Depth-one fragments are the two sides of every
bridge and every 2-cut of the metabolite graph. A fragment at depth n is the bitwise AND of a
depth n-1 fragment F with a depth-one side S (molDiscovery, Fig. 8e). The bonds broken to cut
the child G out of F are the cut edges of S that lie inside F: one edge makes F->G a bridge cut,
two edges a 2-cut. Limits apply to the number of bridge cuts and 2-cuts on the path from the
root; a fragment reachable along several paths keeps every (bridges, 2-cuts) budget it can be
reached with, so the enumeration matches recursive cutting exactly. Each fragment records its
first parent (breadth first, so the parent has the lowest depth).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from specsweep.fragment.cuts import adjacency


@njit(cache=True)
def _hash_words(bits, row):
    h = np.uint64(0xCBF29CE484222325)
    for w in range(bits.shape[1]):
        h ^= bits[row, w]
        h *= np.uint64(0x100000001B3)
        h ^= h >> np.uint64(29)
    return h


@njit(cache=True)
def _same(bits, a, b):
    for w in range(bits.shape[1]):
        if bits[a, w] != bits[b, w]:
            return False
    return True


@njit(cache=True)
def _find(table, bits, row):
    """Slot index holding a fragment equal to bits[row], or the empty slot where it belongs."""
    mask = table.shape[0] - 1
    slot = np.int64(_hash_words(bits, row) & np.uint64(mask))
    while True:
        idx = table[slot]
        if idx < 0 or _same(bits, idx, row):
            return slot
        slot = (slot + 1) & mask


@njit(cache=True)
def _rehash(bits, n_frag, capacity):
    table = np.full(capacity, -1, np.int64)
    for i in range(n_frag):
        table[_find(table, bits, i)] = i
    return table


@njit(cache=True)
def _grow2(a, new_rows):
    out = np.zeros((new_rows, a.shape[1]), a.dtype)
    out[: a.shape[0]] = a
    return out


@njit(cache=True)
def _grow1(a, new_len):
    out = np.zeros(new_len, a.dtype)
    out[: a.shape[0]] = a
    return out


@njit(cache=True)
def _has_node(bits, row, node):
    return (bits[row, node >> 6] >> np.uint64(node & 63)) & np.uint64(1)


@njit(cache=True)
def _side_of_cut(n_nodes, start, nbr, eid, source, cut_a, cut_b, n_words):
    """Bitset of the nodes reachable from ``source`` without crossing edges cut_a/cut_b."""
    side = np.zeros(n_words, np.uint64)
    stack = np.empty(n_nodes, np.int64)
    top = 0
    stack[0] = source
    side[source >> 6] |= np.uint64(1) << np.uint64(source & 63)
    while top >= 0:
        v = stack[top]
        top -= 1
        for k in range(start[v], start[v + 1]):
            e = eid[k]
            if e == cut_a or e == cut_b:
                continue
            w = nbr[k]
            bit = np.uint64(1) << np.uint64(w & 63)
            if side[w >> 6] & bit == 0:
                side[w >> 6] |= bit
                top += 1
                stack[top] = w
    return side


@njit(cache=True)
def enumerate_fragments(n_nodes, edges, edge_class, node_mass, bridges, two_cuts,
                        max_bridges, max_two_cuts, cc_in_two_cut, cc_class, max_fragments):
    """Enumerate fragments. Returns (bits, parent, code, depth, mass, complete).

    ``complete`` is False when ``max_fragments`` stopped the enumeration early.
    """
    n_words = (n_nodes + 63) // 64
    start, nbr, eid = adjacency(n_nodes, edges)

    # depth-one sides: two per cut; each side remembers its cut edges
    n_cuts = bridges.shape[0] + two_cuts.shape[0]
    sides = np.zeros((2 * n_cuts, n_words), np.uint64)
    side_cut = np.full((2 * n_cuts, 2), -1, np.int64)
    full = np.zeros(n_words, np.uint64)
    for v in range(n_nodes):
        full[v >> 6] |= np.uint64(1) << np.uint64(v & 63)
    n_sides = 0
    for c in range(n_cuts):
        if c < bridges.shape[0]:
            ea = bridges[c]
            eb = -1
        else:
            # 2-cut sides are kept even when the 2-cut itself may not be cut (C-C, or no 2-cut
            # budget): inside a smaller fragment only one of its edges may remain, and then
            # the side yields a plain bridge cut.
            ea = two_cuts[c - bridges.shape[0], 0]
            eb = two_cuts[c - bridges.shape[0], 1]
        side = _side_of_cut(n_nodes, start, nbr, eid, edges[ea, 0], ea, eb, n_words)
        for w in range(n_words):
            sides[n_sides, w] = side[w]
            sides[n_sides + 1, w] = full[w] & ~side[w]
        side_cut[n_sides, 0] = ea
        side_cut[n_sides, 1] = eb
        side_cut[n_sides + 1, 0] = ea
        side_cut[n_sides + 1, 1] = eb
        n_sides += 2

    cap = 64
    bits = np.zeros((cap, n_words), np.uint64)
    parent = np.full(cap, -1, np.int32)
    code = np.zeros(cap, np.int16)
    depth = np.zeros(cap, np.int8)
    states = np.zeros(cap, np.int64)
    bits[0] = full
    states[0] = 1  # state (0 bridges, 0 two-cuts)
    n_frag = 1
    table = _rehash(bits, n_frag, 256)

    frontier_f = np.zeros(16, np.int64)
    frontier_s = np.zeros(16, np.int64)
    n_front = 1
    complete = True
    max_depth = max_bridges + max_two_cuts
    scratch = np.zeros((1, n_words), np.uint64)
    for level in range(max_depth):
        next_f = np.zeros(max(16, n_front), np.int64)
        next_s = np.zeros(max(16, n_front), np.int64)
        n_next = 0
        for i in range(n_front):
            f = frontier_f[i]
            st = frontier_s[i]
            nb = st // (max_two_cuts + 1)
            nc = st % (max_two_cuts + 1)
            for s in range(n_sides):
                empty = True
                same = True
                for w in range(n_words):
                    g = bits[f, w] & sides[s, w]
                    scratch[0, w] = g
                    if g != 0:
                        empty = False
                    if g != bits[f, w]:
                        same = False
                if empty or same:
                    continue
                # cut edges of this side that lie inside f
                k = 0
                e_in0 = -1
                e_in1 = -1
                for j in range(2):
                    e = side_cut[s, j]
                    if e >= 0 and _has_node(bits, f, edges[e, 0]) and _has_node(bits, f, edges[e, 1]):
                        if k == 0:
                            e_in0 = e
                        else:
                            e_in1 = e
                        k += 1
                if k == 1:
                    if nb + 1 > max_bridges:
                        continue
                    new_state = (nb + 1) * (max_two_cuts + 1) + nc
                    new_code = edge_class[e_in0]
                else:
                    if nc + 1 > max_two_cuts:
                        continue
                    ca = edge_class[e_in0]
                    cb = edge_class[e_in1]
                    if not cc_in_two_cut and (ca == cc_class or cb == cc_class):
                        continue
                    new_state = nb * (max_two_cuts + 1) + nc + 1
                    new_code = 16 * min(ca, cb) + max(ca, cb)
                # look up the child
                if n_frag + 1 > bits.shape[0]:
                    cap = bits.shape[0] * 2
                    bits = _grow2(bits, cap)
                    parent = _grow1(parent, cap)
                    code = _grow1(code, cap)
                    depth = _grow1(depth, cap)
                    states = _grow1(states, cap)
                for w in range(n_words):
                    bits[n_frag, w] = scratch[0, w]
                slot = _find(table, bits, n_frag)
                idx = table[slot]
                bit = np.int64(1) << np.int64(new_state)
                if idx < 0:
                    if n_frag >= max_fragments:
                        complete = False
                        continue
                    idx = n_frag
                    table[slot] = idx
                    parent[idx] = f
                    code[idx] = new_code
                    depth[idx] = level + 1
                    states[idx] = bit
                    n_frag += 1
                    if 2 * n_frag > table.shape[0]:
                        table = _rehash(bits, n_frag, table.shape[0] * 2)
                elif states[idx] & bit:
                    continue
                else:
                    states[idx] |= bit
                if n_next >= next_f.shape[0]:
                    next_f = _grow1(next_f, 2 * next_f.shape[0])
                    next_s = _grow1(next_s, 2 * next_s.shape[0])
                next_f[n_next] = idx
                next_s[n_next] = new_state
                n_next += 1
        frontier_f = next_f
        frontier_s = next_s
        n_front = n_next
        if n_front == 0:
            break

    mass = np.zeros(n_frag, np.float64)
    for i in range(n_frag):
        total = 0.0
        for v in range(n_nodes):
            if _has_node(bits, i, v):
                total += node_mass[v]
        mass[i] = total
    return bits[:n_frag].copy(), parent[:n_frag].copy(), code[:n_frag].copy(), depth[:n_frag].copy(), mass, complete
