"""Formula-constrained decoding: beams may only write molecules of a given formula.

When a molecular formula is known for a spectrum (the formula stage's top formula, or the true
formula in MassSpecGym's "formula given" setting), the decoder is steered instead of merely
re-ranked afterwards. Every SMILES token writes at most one heavy atom, so a beam's element counts
are a running sum over its tokens, and at each step a token is allowed only when its element is
still short of the formula's count; valence and SMILES grammar rules (:class:`FormulaConstraint`)
keep beams on strings that can parse. ``<eos>`` is allowed only when every heavy-atom count equals
the formula and all branches and ring bonds are closed, and optionally when the hydrogens add up
too. Rows without a formula (target row of -1) keep only the grammar and valence rules.
Everything here is tensor arithmetic, so it runs on the same device as the beam search.
"""

from __future__ import annotations

import re

import numpy as np
import torch

from specsweep.chem.formulas import parse_formula
from specsweep.translate.tokenizer import EOS, PAD

_ORGANIC = {"B": "B", "C": "C", "N": "N", "O": "O", "S": "S", "P": "P", "F": "F", "I": "I", "Cl": "Cl",
            "Br": "Br", "b": "B", "c": "C", "n": "N", "o": "O", "s": "S", "p": "P"}
_BRACKET = re.compile(r"^\[(\d+)?(se|as|te|[A-Z][a-z]?|[bcnops])(@*)(H\d*)?([+-]\d*|[+-]{2,})?")
UNCONSTRAINED = -1


def formula_counts(text: str | None) -> dict[str, int] | None:
    """``'C5H11AsO2'`` -> element counts (any element symbol); None for empty or unreadable text."""
    if not text:
        return None
    try:
        return parse_formula(text, known_elements=False)
    except ValueError:
        return None


def _bracket(token: str) -> tuple[str, int, int] | None:
    """(element, written H count, charge) of a bracket atom such as ``[nH]`` or ``[NH3+]``."""
    m = _BRACKET.match(token)
    if not m:
        return None
    el = m.group(2)[0].upper() + m.group(2)[1:]
    h = m.group(4)
    n_h = 0 if not h else (int(h[1:]) if len(h) > 1 else 1)
    q = m.group(5) or ""
    if not q:
        charge = 0
    elif len(q) > 1 and len(set(q)) == 1:  # "++" or "--"
        charge = len(q) * (1 if q[0] == "+" else -1)
    else:
        charge = (int(q[1:]) if len(q) > 1 else 1) * (1 if q[0] == "+" else -1)
    return el, n_h, charge


def token_element(token: str) -> str | None:
    """Heavy element a SMILES token writes (``'c'`` -> C, ``'[nH]'`` -> N), or None (bonds, digits, H)."""
    if token in _ORGANIC:
        return _ORGANIC[token]
    b = _bracket(token)
    return None if b is None or b[0] == "H" else b[0]


# Most bonds an atom of each element may carry (aromatic bonds count as one): the largest usual
# valence, so the rule only removes strings no chemistry could parse.
_MAX_VALENCE = {"H": 1, "B": 3, "C": 4, "N": 3, "O": 2, "F": 1, "Si": 4, "P": 5, "S": 6, "Cl": 1, "Br": 1,
                "I": 1, "Se": 6, "As": 5, "Sn": 4, "In": 3}
_GROUP_15_16 = {"N", "P", "As", "O", "S", "Se"}


def token_capacity(token: str) -> int:
    """Bonds (aromatic counted as one) the atom a token writes may form; 0 for non-atom tokens."""
    if token in _ORGANIC:
        return _MAX_VALENCE[_ORGANIC[token]]
    b = _bracket(token)
    if b is None:
        return 0
    el, n_h, charge = b
    cap = _MAX_VALENCE.get(el, 6)
    if el in _GROUP_15_16 and charge:
        cap = (3 if el in ("N", "P", "As") else 2) + charge
        if charge > 0 and el in ("P", "As", "S", "Se"):
            cap = max(cap, _MAX_VALENCE[el] - 1)
    elif el in ("C", "Si", "Sn"):
        cap = cap - abs(charge)
    elif el == "B":
        cap = 3 - charge
    elif el in ("F", "Cl", "Br", "I"):
        cap = max(0, 1 + charge)
    return max(0, cap - n_h)


# Valences an unbracketed atom may take, smallest first (the SMILES organic subset rules): its
# implicit hydrogens fill it up to the first of these that is not below its bond count.
_NORMAL_VALENCES = {"B": (3,), "C": (4,), "N": (3, 5), "O": (2,), "P": (3, 5), "S": (2, 4, 6), "F": (1,),
                    "Cl": (1,), "Br": (1,), "I": (1, 3, 5)}
MAX_BONDS = 8


def token_hydrogens(token: str, bonds: int) -> int:
    """Hydrogens an atom token carries when it has ``bonds`` bonds (aromatic bonds counted as one).

    Bracket atoms carry exactly their written H count. Aromatic ``c`` is filled to 3 (two ring
    bonds leave one H), other aromatic atoms get none (pyrrole-type N is written ``[nH]``).
    """
    if token.startswith("["):
        b = _bracket(token)
        if b is None:
            return 0
        return 1 if b[0] == "H" else b[1]
    if token == "c":
        return max(0, 3 - bonds)
    if token in ("n", "o", "s", "p", "b"):
        return 0
    for v in _NORMAL_VALENCES.get(token, ()):
        if v >= bonds:
            return v - bonds
    return 0


def _ring_label(token: str) -> int | None:
    if token.isdigit() and len(token) == 1:
        return int(token)
    if token.startswith("%") and token[1:].isdigit():
        return int(token[1:])
    return None


_BOND_ORDER = {"-": 1, "=": 2, "#": 3, ":": 1, "/": 1, "\\": 1}


class TokenTable:
    """Per-vocabulary lookup tables: element column of each token, branch depth change, ring slot."""

    def __init__(self, vocab: list[str]):
        self.elements = sorted({e for t in vocab if (e := token_element(t)) is not None})
        col = {e: i for i, e in enumerate(self.elements)}
        n_el = len(self.elements)
        # column n_el means "writes no heavy atom" (special tokens, bonds, digits, branches, [H])
        self.token_column = np.array([col.get(token_element(t), n_el) for t in vocab], dtype=np.int64)
        self.depth_change = np.array([1 if t == "(" else -1 if t == ")" else 0 for t in vocab], dtype=np.int64)
        labels = sorted({lab for t in vocab if (lab := _ring_label(t)) is not None})
        slot = {lab: i for i, lab in enumerate(labels)}
        self.n_rings = len(labels)
        # slot n_rings is a spare that tokens without a ring label point to
        self.ring_slot = np.array([slot[lab] if (lab := _ring_label(t)) is not None else self.n_rings for t in vocab],
                                  dtype=np.int64)
        self.ring_tokens = np.flatnonzero(self.ring_slot < self.n_rings)
        self.bond_tokens = np.array([i for i, t in enumerate(vocab) if t in _BOND_ORDER], dtype=np.int64)
        self.is_bond = np.isin(np.arange(len(vocab)), self.bond_tokens)
        self.bond_order = np.array([_BOND_ORDER.get(t, 1) for t in vocab], dtype=np.int64)
        self.capacity = np.array([token_capacity(t) for t in vocab], dtype=np.int64)
        self.is_atom = self.capacity > 0
        self.hydrogens = np.array([[token_hydrogens(t, u) if self.is_atom[i] else 0 for u in range(MAX_BONDS + 1)]
                                   for i, t in enumerate(vocab)], dtype=np.int64)
        self.never = np.array([i for i, t in enumerate(vocab) if t in ("<unk>", "<bos>")], dtype=np.int64)
        self.h_atom_tokens = np.array([i for i, t in enumerate(vocab) if t == "[H]"], dtype=np.int64)
        self.open_branch = vocab.index("(") if "(" in vocab else -1
        self.close_branch = vocab.index(")") if ")" in vocab else -1

    def targets(self, formulas: list[dict[str, int] | None]) -> np.ndarray:
        """(n, n_elements + 1) int32: heavy-atom counts in ``elements`` order, then hydrogens; a
        row of -1 where no formula is given or the formula has an element the vocabulary cannot
        write."""
        out = np.full((len(formulas), len(self.elements) + 1), UNCONSTRAINED, dtype=np.int32)
        for i, f in enumerate(formulas):
            if not f:
                continue
            heavy = {e: n for e, n in f.items() if e != "H" and n}
            if any(e not in self.elements for e in heavy):
                continue
            out[i] = [heavy.get(e, 0) for e in self.elements] + [f.get("H", 0)]
        return out


class FormulaConstraint:
    """Running state of every beam row, enough to refuse tokens that cannot lead to a molecule of
    the formula: heavy atoms still to write, the free valence of every atom written so far, the
    atom the next bond attaches to, the branch stack, open ring bonds and their atoms, and the
    order of a pending bond symbol.

    Rules, besides the atom budget: an atom, bond symbol, branch or ring bond needs free valence on
    the atom it attaches to (aromatic bonds count as one); a ring bond may not close on the atom
    that opened it; a ring label may open a new ring, and a branch or ``[H]`` may start, only
    while atoms remain; a bond symbol needs an atom or an open ring to bond to. SMILES grammar: the
    first token is an atom; after a bond symbol comes an atom or a ring label; after ``(`` an atom,
    or a bond symbol and then an atom; ``<eos>`` and ``)`` follow neither. ``<unk>`` and ``<bos>``
    are never written. With ``hydrogens`` (the default) ``<eos>`` also needs the implicit and
    written hydrogens of all atoms to add up to the formula's H count (``token_hydrogens``), so a
    finished beam has the whole formula. A beam left with no allowed token (say, a ring it can no
    longer close) scores minus infinity and drops out.
    """

    _STATE = ("remaining", "depth", "open_rings", "last_bond", "last_open", "free", "cur",
              "n_atoms", "stack", "ring_atom", "ring_order", "pending", "atom_token", "target_h")

    def __init__(self, table: TokenTable, targets: torch.Tensor, max_len: int = 128, hydrogens: bool = True):
        dev = targets.device
        t = table
        as_t = lambda a: torch.as_tensor(a, device=dev)  # noqa: E731
        self.column, self.depth_change, self.ring_slot = as_t(t.token_column), as_t(t.depth_change), as_t(t.ring_slot)
        self.ring_tokens, self.bond_tokens = as_t(t.ring_tokens), as_t(t.bond_tokens)
        self.ring_token_slot = self.ring_slot[self.ring_tokens]
        self.is_bond, self.is_atom = as_t(t.is_bond), as_t(t.is_atom)
        self.bond_order, self.capacity = as_t(t.bond_order), as_t(t.capacity)
        self.never, self.h_atom_tokens = as_t(t.never), as_t(t.h_atom_tokens)
        self.atom_tokens = torch.nonzero(self.is_atom).squeeze(1)
        self.h_table = as_t(t.hydrogens)
        self.check_h = hydrogens
        self.open_branch, self.close_branch = t.open_branch, t.close_branch
        self.n_el, self.n_rings = len(t.elements), t.n_rings
        n = len(targets)
        self.target_h = targets[:, self.n_el].long()  # -1 on rows without a formula
        heavy = targets[:, : self.n_el].long()
        # unconstrained rows get a budget they never reach, so no atom is ever refused
        self.remaining = torch.where(self.constrained.unsqueeze(1), heavy, torch.full_like(heavy, 1 << 30))
        self.depth = torch.zeros(n, dtype=torch.long, device=dev)
        self.open_rings = torch.zeros((n, self.n_rings + 1), dtype=torch.bool, device=dev)
        self.last_bond = torch.ones(n, dtype=torch.bool, device=dev)
        self.last_open = torch.ones(n, dtype=torch.bool, device=dev)
        # atom slots 0..max_len-1; slot max_len is a stand-in "no atom yet" with unlimited valence
        self.none = max_len
        self.free = torch.zeros((n, max_len + 1), dtype=torch.long, device=dev)
        self.free[:, self.none] = 1 << 30
        self.cur = torch.full((n,), self.none, dtype=torch.long, device=dev)
        self.n_atoms = torch.zeros(n, dtype=torch.long, device=dev)
        self.stack = torch.full((n, max_len // 2 + 2), self.none, dtype=torch.long, device=dev)
        self.ring_atom = torch.full((n, self.n_rings + 1), self.none, dtype=torch.long, device=dev)
        self.ring_order = torch.ones((n, self.n_rings + 1), dtype=torch.long, device=dev)
        self.pending = torch.ones(n, dtype=torch.long, device=dev)
        self.atom_token = torch.full((n, max_len + 1), PAD, dtype=torch.long, device=dev)

    @property
    def constrained(self) -> torch.Tensor:
        """(rows,) bool: the row has a formula."""
        return self.target_h >= 0

    def hydrogen_count(self) -> torch.Tensor:
        """(rows,) hydrogens of the atoms written so far, each filled to its normal valence."""
        bonds = (self.capacity[self.atom_token] - self.free).clamp(0, self.h_table.shape[1] - 1)
        return self.h_table[self.atom_token, bonds].sum(dim=1)

    def _closing_order(self) -> torch.Tensor:
        """(rows, ring slots) bond order a ring bond would close with now."""
        return torch.where(self.pending.unsqueeze(1) > 1, self.pending.unsqueeze(1), self.ring_order)

    def allowed(self) -> torch.Tensor:
        """(rows, vocab) bool: tokens each row may write next."""
        rows = torch.arange(len(self.cur), device=self.cur.device)
        room = torch.cat([self.remaining > 0, torch.ones_like(self.remaining[:, :1], dtype=torch.bool)], dim=1)
        ok = room[:, self.column]
        atoms_left = (self.remaining > 0).any(dim=1)
        rings_open = self.open_rings[:, : self.n_rings].any(dim=1)
        after_atom = ~self.last_bond & ~self.last_open
        free_cur = self.free[rows, self.cur]
        # atoms: the bond to the current atom must fit both ends
        ok[:, self.atom_tokens] &= ((free_cur >= self.pending).unsqueeze(1)
                                    & (self.capacity[self.atom_tokens].unsqueeze(0) >= self.pending.unsqueeze(1)))
        if len(self.ring_tokens):
            slots = self.ring_token_slot
            is_open = self.open_rings[:, slots]
            order = self._closing_order()[:, slots]
            partner = self.ring_atom[:, slots]
            extra = (order - self.ring_order[:, slots]).clamp(min=0)
            closes = (is_open & (free_cur.unsqueeze(1) >= order) & (partner != self.cur.unsqueeze(1))
                      & (self.free.gather(1, partner) >= extra))
            opens = ~is_open & atoms_left.unsqueeze(1) & (free_cur >= self.pending).unsqueeze(1)
            ok[:, self.ring_tokens] &= (closes | opens) & ~self.last_open.unsqueeze(1)
        if len(self.bond_tokens):
            ok[:, self.bond_tokens] &= ((~self.last_bond & (atoms_left | rings_open)).unsqueeze(1)
                                        & (free_cur.unsqueeze(1) >= self.bond_order[self.bond_tokens].unsqueeze(0)))
        if len(self.h_atom_tokens):
            ok[:, self.h_atom_tokens] &= atoms_left.unsqueeze(1)
        if len(self.never):
            ok[:, self.never] = False
        if self.open_branch >= 0:
            ok[:, self.open_branch] &= atoms_left & after_atom & (free_cur >= 1)
        if self.close_branch >= 0:
            ok[:, self.close_branch] &= (self.depth > 0) & after_atom
        complete = ~atoms_left
        if self.check_h:
            complete &= self.hydrogen_count() == self.target_h
        complete |= ~self.constrained
        ok[:, EOS] = (self.depth == 0) & ~rings_open & complete & after_atom
        ok[:, PAD] = True  # finished rows append <pad>; the beam search decides when that is legal
        return ok

    def advance(self, src: torch.Tensor, tok: torch.Tensor) -> None:
        """Rows were re-ordered by parent index ``src`` and then wrote ``tok``."""
        for name in self._STATE:
            setattr(self, name, getattr(self, name)[src])
        col = self.column[tok]
        wrote = torch.nonzero(col < self.n_el).squeeze(1)
        self.remaining[wrote, col[wrote]] -= 1
        # atoms: bond to the current atom, become the current atom
        r = torch.nonzero(self.is_atom[tok]).squeeze(1)
        if len(r):
            bond = self.pending[r] * (self.cur[r] != self.none)  # the first atom bonds to nothing
            self.free[r, self.cur[r]] -= bond
            new = self.n_atoms[r].clamp(max=self.none - 1)
            self.free[r, new] = self.capacity[tok[r]] - bond
            self.cur[r] = new
            self.atom_token[r, new] = tok[r]
            self.n_atoms[r] += 1
        # ring labels: open (reserve one bond on the current atom) or close (bond both ends)
        slot = self.ring_slot[tok]
        r = torch.nonzero(slot < self.n_rings).squeeze(1)
        if len(r):
            s = slot[r]
            closing = self.open_rings[r, s]
            order = self._closing_order()[r, s]
            c, o = r[closing], r[~closing]
            self.free[c, self.cur[c]] -= order[closing]
            self.free[c, self.ring_atom[c, s[closing]]] -= (order[closing] - self.ring_order[c, s[closing]]).clamp(min=0)
            self.free[o, self.cur[o]] -= self.pending[o]
            self.ring_atom[o, s[~closing]] = self.cur[o]
            self.ring_order[o, s[~closing]] = self.pending[o]
            self.open_rings[r, s] ^= True
        # branches: "(" remembers the current atom, ")" returns to it
        if self.open_branch >= 0:
            r = torch.nonzero(tok == self.open_branch).squeeze(1)
            self.stack[r, self.depth[r]] = self.cur[r]
        if self.close_branch >= 0:
            r = torch.nonzero(tok == self.close_branch).squeeze(1)
            self.cur[r] = self.stack[r, self.depth[r] - 1]
        self.depth = self.depth + self.depth_change[tok]
        self.pending = torch.where(self.is_bond[tok], self.bond_order[tok], torch.ones_like(self.pending))
        self.last_bond = self.is_bond[tok]
        # a branch stays open for atoms only until its first atom (bond symbols may come between)
        self.last_open = (tok == self.open_branch) | (self.last_open & self.is_bond[tok])

    def select(self, keep_rows: torch.Tensor) -> None:
        """Keep only these rows (bool mask), as when finished spectra leave the batch."""
        for name in self._STATE:
            setattr(self, name, getattr(self, name)[keep_rows])


def first_refused(table: TokenTable, token_rows: np.ndarray, targets: np.ndarray, max_len: int = 128,
                  hydrogens: bool = True) -> np.ndarray:
    """Step at which the constraint refuses each known sequence, or -1 if it accepts it whole.

    ``token_rows`` (n, L) holds token ids without ``<bos>``, ending in ``<eos>`` and padded with
    ``<pad>``; ``targets`` from ``TokenTable.targets``. Used to check that the
    rules never exclude a real structure of the right formula.
    """
    tokens = torch.as_tensor(np.asarray(token_rows, dtype=np.int64))
    state = FormulaConstraint(table, torch.as_tensor(targets), max_len=max_len, hydrogens=hydrogens)
    refused = torch.full((len(tokens),), -1, dtype=torch.long)
    done = torch.zeros(len(tokens), dtype=torch.bool)
    keep = torch.arange(len(tokens))
    for t in range(tokens.shape[1]):
        tok = tokens[:, t]
        ok = state.allowed().gather(1, tok.unsqueeze(1)).squeeze(1)
        bad = ~ok & ~done & (refused < 0)
        refused[bad] = t
        done |= tok == EOS
        state.advance(keep, tok)
    return refused.numpy()
