"""Two small logistic models fitted by Newton's method in NumPy (deterministic, no solver state).

- Conditional logit (McFadden 1974), the ranking model: within a list of candidates of which
  exactly one is right, P(i is right) = exp(w.x_i) / sum_j exp(w.x_j). Only differences between
  candidates of one list matter, so it learns what makes the right candidate stand out from the
  others in the same precursor window.
- Multinomial logistic regression, the PEP model: P(class k | x) = softmax_k(W_k . [1, x]).

Both maximise the weighted log-likelihood minus ``l2/2 * |w|^2`` (no penalty on intercepts);
features are standardised by the caller (``column_scale``). Newton steps with step halving until the gradient is
below ``tol``; the same data give the same weights bit for bit.
"""

from __future__ import annotations

import numpy as np


def column_scale(X: np.ndarray, weight: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(mean, scale) of the columns of ``X`` (weighted when ``weight`` is given) for standardising:
    the scale is the standard deviation, 1 where a column is constant; missing values (NaN) do
    not count."""
    if not np.isnan(X).any():
        mean = np.average(X, axis=0, weights=weight)
        scale = np.sqrt(np.average((X - mean) ** 2, axis=0, weights=weight))
        return mean, np.where(scale > 1e-12, scale, 1.0)
    # missing values (NaN) are left out of their column's mean and scale
    w = np.broadcast_to((np.ones(X.shape[0]) if weight is None else np.asarray(weight, float))[:, None],
                        X.shape) * ~np.isnan(X)
    Z = np.nan_to_num(X)
    total = np.maximum(w.sum(axis=0), 1e-300)
    mean = (w * Z).sum(axis=0) / total
    scale = np.sqrt((w * (Z - mean) ** 2).sum(axis=0) / total)
    return mean, np.where(scale > 1e-12, scale, 1.0)


def _newton(objective, w0: np.ndarray, max_iter: int = 100, tol: float = 1e-8) -> np.ndarray:
    """Maximise a concave objective(w) -> (value, gradient, hessian)."""
    w = w0.copy()
    val, grad, hess = objective(w)
    for _ in range(max_iter):
        if np.max(np.abs(grad)) < tol:
            break
        step = np.linalg.solve(hess, -grad)
        t = 1.0
        while t > 1e-10:
            new = w + t * step
            v_new, g_new, h_new = objective(new)
            if v_new >= val - 1e-12:
                break
            t *= 0.5
        w, val, grad, hess = new, v_new, g_new, h_new
    return w


def _segment_softmax(u: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    u_max = np.repeat(np.maximum.reduceat(u, starts), sizes)
    e = np.exp(u - u_max)
    return e / np.repeat(np.add.reduceat(e, starts), sizes)


def segment_softmax(u: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Softmax of ``u`` within each run of equal ``group`` codes (codes sorted)."""
    if u.shape[0] == 0:
        return u.copy()
    starts = np.flatnonzero(np.concatenate(([True], group[1:] != group[:-1])))
    sizes = np.diff(np.concatenate((starts, [u.shape[0]])))
    return _segment_softmax(u, starts, sizes)


def fit_conditional_logit(X: np.ndarray, group: np.ndarray, positive: np.ndarray,
                          group_weight: np.ndarray | None = None, l2: float = 1.0) -> np.ndarray:
    """Weights w (d,) of a conditional logit. Rows sorted by ``group``; every group has exactly
    one ``positive`` row. ``group_weight``: one weight per group (default 1)."""
    starts = np.flatnonzero(np.concatenate(([True], group[1:] != group[:-1])))
    sizes = np.diff(np.concatenate((starts, [X.shape[0]])))
    if np.add.reduceat(positive.astype(np.int64), starts).tolist() != [1] * starts.size:
        raise ValueError("conditional logit: every list needs exactly one positive row")
    gw = np.ones(starts.size) if group_weight is None else np.asarray(group_weight, float)
    row_w = np.repeat(gw, sizes)
    x_pos = X[positive]

    def objective(w):
        u = X @ w
        p = _segment_softmax(u, starts, sizes)
        lse = np.log(np.add.reduceat(np.exp(u - np.repeat(np.maximum.reduceat(u, starts), sizes)),
                                     starts)) + np.maximum.reduceat(u, starts)
        val = float(gw @ (x_pos @ w - lse)) - 0.5 * l2 * float(w @ w)
        xbar = np.add.reduceat(p[:, None] * X, starts)
        grad = gw @ (x_pos - xbar) - l2 * w
        hess = -((X * (p * row_w)[:, None]).T @ X - (xbar * gw[:, None]).T @ xbar)
        return val, grad, hess - l2 * np.eye(w.size)

    return _newton(objective, np.zeros(X.shape[1]))


def fit_multinomial(X: np.ndarray, y: np.ndarray, n_classes: int,
                    weight: np.ndarray | None = None, l2: float = 1.0) -> np.ndarray:
    """Coefficients W (n_classes, d + 1), column 0 the intercept, of a multinomial logistic
    regression on integer labels ``y`` in 0..n_classes-1."""
    n, d = X.shape
    Xa = np.column_stack([np.ones(n), X])
    Y = np.eye(n_classes)[y]
    sw = np.ones(n) if weight is None else np.asarray(weight, float)
    pen = np.full(d + 1, l2)
    pen[0] = 1e-6  # intercepts: only enough to fix the softmax's free shift
    pen = np.tile(pen, n_classes)

    def objective(flat):
        W = flat.reshape(n_classes, d + 1)
        u = Xa @ W.T
        u -= u.max(axis=1, keepdims=True)
        logp = u - np.log(np.exp(u).sum(axis=1, keepdims=True))
        p = np.exp(logp)
        val = float(np.sum(sw * np.sum(Y * logp, axis=1))) - 0.5 * float(np.sum(pen * flat ** 2))
        grad = ((Y - p) * sw[:, None]).T @ Xa
        xw = Xa * sw[:, None]
        hess = np.empty((n_classes, d + 1, n_classes, d + 1))
        for k in range(n_classes):
            for m in range(k, n_classes):
                c = p[:, k] * ((k == m) - p[:, m])
                block = -(xw * c[:, None]).T @ Xa
                hess[k, :, m, :] = block
                hess[m, :, k, :] = block.T
        hess = hess.reshape(n_classes * (d + 1), -1) - np.diag(pen)
        return val, grad.ravel() - pen * flat, hess

    return _newton(objective, np.zeros(n_classes * (d + 1))).reshape(n_classes, d + 1)


def multinomial_proba(W: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Class probabilities (n, n_classes) of a :func:`fit_multinomial` model."""
    u = np.column_stack([np.ones(X.shape[0]), X]) @ W.T
    u -= u.max(axis=1, keepdims=True)
    e = np.exp(u)
    return e / e.sum(axis=1, keepdims=True)
