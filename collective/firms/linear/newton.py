"""Exact one-vs-rest logistic regression by truncated Newton (Newton-CG), all labels at once.

The linear firm (:mod:`collective.firms.linear`) fits, for each of the ``K`` labels $k$,

$$\\min_{w_k, b_k}\\; f_k(w_k, b_k) = \\sum_{i=1}^n \\log\\bigl(1 + e^{-s_{ik}(w_k^\\top x_i + b_k)}\\bigr)
  + \\frac{\\lambda}{2}\\lVert w_k\\rVert^2, \\qquad \\lambda = 1/C,$$

with $s_{ik} = \\pm 1$ and the intercept $b_k$ not penalised (scikit-learn's
``LogisticRegression(C=C)`` with an unpenalised intercept). The theory of
{cite}`hardt2023algorithmic` is about the optimal classifier (Definition 3.1), so the fit
must reach the optimum, certified: it stops when, for every label, the largest entry of the
gradient of $f_k$ is at most ``tol * n`` (``tol`` per training resume).

**Method.** The $K$ problems are independent and are solved separately, but in lockstep, so
that one pass over the sparse matrix serves every label still running (a product of the
CSR matrix with an $n\\times K$ block costs about four single products, not $K$); a label
whose gradient meets the tolerance leaves the block. Each Newton iteration of label $k$:

1. margins $z_i = w_k^\\top x_i + b_k$, probabilities $p_i = \\sigma(-s_i z_i)$, gradient
   $g = (X^\\top u + \\lambda w_k,\\; \\mathbf 1^\\top u)$ with $u_i = -s_i p_i$ (computed in
   float64, so the stopping test is exact), curvature $D_{ii} = p_i (1 - p_i)$;
2. the Newton direction from preconditioned conjugate gradients on
   $H d = -g$, never forming $H$: a Hessian-vector product is
   $H (v, v_b) = \\bigl(X^\\top D (X v + v_b) + \\lambda v,\\; \\mathbf 1^\\top D (X v + v_b)\\bigr)$,
   two sparse products in float32 (as in liblinear's trust-region Newton, {cite}`lin2008trust`);
   the preconditioner is the Hessian's diagonal $(X\\circ X)^\\top D + \\lambda$ (and
   $\\mathbf 1^\\top D$ for the intercept); CG stops when the residual falls below
   ``eta`` times the gradient (truncated Newton);
3. a backtracking (Armijo) line search along $d$: with $q = X d_w + d_b$ computed once, the
   objective along the line, $f(t) = \\sum_i \\log(1 + e^{-s_i(z_i + t q_i)}) + \\dots$, costs no
   further sparse products, so the step is safe from any start (the solver also converges
   from zero).

Newton's method converges quadratically near the optimum, so from a good warm start (the
firm's clean fit: planting changes only the collective's rows and the trigger's column)
a few iterations reach the tolerance. The sparse products can use several threads (scipy's
sparse kernels release the GIL): the rows of $X$ are split into blocks (:class:`SparseOps`,
in :mod:`collective.firms.linear.sparse_ops`). The three steps of an iteration are in
:mod:`collective.firms.linear.newton_steps`; this module drives them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from collective.errors import ConfigError
from collective.firms.linear.newton_steps import Point, line_search, newton_direction
from collective.firms.linear.sparse_ops import (  # noqa: F401 (re-exported)
    SparseOps,
    default_threads,
)


def rescale_start(
    Z0: np.ndarray, S: np.ndarray, W: np.ndarray, b: np.ndarray, lam: float, iters: int = 30
) -> tuple[np.ndarray, np.ndarray]:
    """The best start on the line through the given weights, per label: minimise
    $f_k(c\\,w_k, \\beta)$ over the scale $c$ and the intercept $\beta$ (2x2 Newton; $Z_0 = X W$
    without intercepts, so every evaluation is $O(n)$). A start fitted to other labels (e.g.
    the clean fit when some labels are randomized) is over-confident on the changed rows;
    shrinking it is a much better start, and for a good start $c \approx 1$."""
    ww = np.einsum("ij,ij->j", W.astype(np.float64), W.astype(np.float64))
    c = np.ones(W.shape[1])
    beta = b.astype(np.float64).copy()
    for _ in range(iters):
        M = -S * (c * Z0 + beta)
        P = expit(M)
        D = P * (1 - P)
        U = -S * P
        g_c = np.einsum("ij,ij->j", U, Z0) + lam * c * ww
        g_b = U.sum(axis=0)
        h_cc = np.einsum("ij,ij->j", D, Z0 * Z0) + lam * ww
        h_cb = np.einsum("ij,ij->j", D, Z0)
        h_bb = D.sum(axis=0) + 1e-12
        det = np.maximum(h_cc * h_bb - h_cb**2, 1e-300)
        d_c = (h_bb * g_c - h_cb * g_b) / det
        d_b = (h_cc * g_b - h_cb * g_c) / det
        f0 = np.logaddexp(0, M).sum(axis=0) + 0.5 * lam * c * c * ww
        t = np.ones_like(c)
        for _ in range(30):  # backtracking: the objective must not increase
            c1, b1 = c - t * d_c, beta - t * d_b
            f1 = np.logaddexp(0, -S * (c1 * Z0 + b1)).sum(axis=0) + 0.5 * lam * c1 * c1 * ww
            ok = f1 <= f0
            if ok.all():
                break
            t = np.where(ok, t, 0.5 * t)
        c, beta = np.where(ok, c - t * d_c, c), np.where(ok, beta - t * d_b, beta)
        if np.max(np.abs(t * d_c)) < 1e-6 and np.max(np.abs(t * d_b)) < 1e-6:
            break
    return (W * c.astype(np.float32)).astype(np.float32), beta.astype(np.float32)


def newton_cg(
    X: sp.spmatrix | SparseOps,
    S: np.ndarray,
    W0: np.ndarray | None = None,
    b0: np.ndarray | None = None,
    *,
    lam: float,
    tol: float = 1e-6,
    max_iter: int = 100,
    eta: float = 0.3,
    cg_abs: float = 0.5,
    max_cg: int = 200,
    threads: int | None = None,
    rescale: bool = False,
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Minimise each label's regularised logistic loss (module docstring) to tolerance.

    Parameters
    ----------
    X:
        (n, d) sparse features (or a prepared :class:`SparseOps`).
    S:
        (n, K) signs $s_{ik} \\in \\{-1, +1\\}$.
    W0, b0:
        start, (d, K) and (K,) (default zero).
    lam:
        the ridge $\\lambda = 1/C$ on $w$ (not on $b$).
    tol:
        stop label $k$ when $\\max|\\nabla f_k| \\le$ ``tol * n``.
    max_iter:
        at most this many Newton iterations per label.
    eta, cg_abs:
        CG stops when the residual of the Newton system is below ``eta`` times the gradient
        (Euclidean norms), or when its largest entry is below ``cg_abs * tol * n`` (then the
        quadratic model's gradient after the step meets the tolerance), or after ``max_cg``
        steps.
    rescale:
        first move the start to the best point on its line (:func:`rescale_start`).

    Returns
    -------
    ``(W, b, info)``: float32 weights (d, K) and intercepts (K,) (the gradient test is made at
    exactly these float32 values), and ``info`` with ``converged`` (every label),
    ``iterations`` (Newton iterations of the slowest label), ``label_iterations``,
    ``cg_iterations`` (total CG steps), ``grad_max`` (largest gradient entry per training
    resume over all labels) and ``objective`` (sum over labels).
    """
    ops = X if isinstance(X, SparseOps) else SparseOps(X, threads=threads or 1)
    S, W, b = _checked_problem(ops, S, W0, b0, lam, tol, max_iter, eta, max_cg)
    if rescale and W0 is not None:
        W, b = rescale_start(ops.dot(W).astype(np.float64), S, W, b, lam)
    labels = _iterate(
        ops, S, W, b, lam=lam, tol=tol, max_iter=max_iter, eta=eta, cg_abs=cg_abs, max_cg=max_cg
    )
    if not isinstance(X, SparseOps):
        ops.close()
    return W, b, labels.info(tol)


def _iterate(
    ops: SparseOps,
    S: np.ndarray,
    W: np.ndarray,
    b: np.ndarray,
    *,
    lam: float,
    tol: float,
    max_iter: int,
    eta: float,
    cg_abs: float,
    max_cg: int,
) -> _Labels:
    """Newton iterations on every label in lockstep until each meets the tolerance, reaches
    ``max_iter`` or stalls; updates ``W`` and ``b`` in place."""
    n = ops.shape[0]
    gtol = tol * n
    labels = _Labels.start(S.shape[1])
    active = np.arange(S.shape[1])
    while True:
        point = Point.at(ops, W, b, S, active, lam)
        labels.grad_max[active] = point.gmax / n
        labels.objective[active] = point.objective
        keep = (
            (point.gmax > gtol) & (labels.iterations[active] < max_iter) & ~labels.stopped[active]
        )
        if not keep.any():
            return labels
        if not keep.all():
            active, point = active[keep], point.select(keep)
        labels.iterations[active] += 1
        dw, db, steps = newton_direction(ops, point, lam, eta, cg_abs * gtol, max_cg)
        labels.cg_total += steps
        t = line_search(ops, point, dw, db, lam)
        W_new = point.Wa + (t.astype(np.float32) * dw)
        b_new = (point.ba + t * db).astype(np.float32)
        # a step that no longer changes the float32 weights: the precision floor, stop there
        stalled = ~(np.any(W_new != point.Wa, axis=0) | (b_new != point.ba))
        labels.stopped[active[stalled]] = True
        W[:, active] = W_new
        b[active] = b_new


def _checked_problem(
    ops: SparseOps,
    S: np.ndarray,
    W0: np.ndarray | None,
    b0: np.ndarray | None,
    lam: float,
    tol: float,
    max_iter: int,
    eta: float,
    max_cg: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The signs as float64 and the start as float32 copies (zero by default), after checking
    the shapes and the solver's settings (:class:`ConfigError`)."""
    n, d = ops.shape
    S = np.asarray(S, dtype=np.float64)
    if S.ndim != 2 or S.shape[0] != n or not np.all(np.abs(S) == 1):
        raise ConfigError(f"S must be an ({n}, K) array of +-1, got shape {S.shape}")
    K = S.shape[1]
    if not (lam > 0 and tol > 0 and max_iter >= 0 and 0 < eta < 1 and max_cg >= 1):
        raise ConfigError(
            f"bad solver settings: lam={lam}, tol={tol}, max_iter={max_iter}, eta={eta}, max_cg={max_cg}"
        )
    W = (
        np.zeros((d, K), np.float32)
        if W0 is None
        else np.array(W0, dtype=np.float32, copy=True).reshape(d, K)
    )
    b = (
        np.zeros(K, np.float32)
        if b0 is None
        else np.array(b0, dtype=np.float32, copy=True).reshape(K)
    )
    return S, W, b


@dataclass
class _Labels:
    """Per-label bookkeeping across Newton iterations, and the ``info`` it ends in."""

    iterations: np.ndarray
    grad_max: np.ndarray  # largest gradient entry per training resume, at the last evaluation
    objective: np.ndarray
    stopped: np.ndarray  # stalled at the float32 precision floor
    cg_total: int = 0

    @classmethod
    def start(cls, K: int) -> _Labels:
        return cls(
            iterations=np.zeros(K, dtype=int),
            grad_max=np.full(K, np.inf),
            objective=np.zeros(K),
            stopped=np.zeros(K, dtype=bool),
        )

    def info(self, tol: float) -> dict[str, Any]:
        info: dict[str, Any] = {
            "converged": bool(np.all(self.grad_max <= tol)),
            "iterations": int(self.iterations.max()),
            "label_iterations": self.iterations.tolist(),
            "cg_iterations": int(self.cg_total),
            "grad_max": float(self.grad_max.max()),
            "objective": float(self.objective.sum()),
        }
        if self.stopped.any() and not info["converged"]:
            info["stalled_labels"] = np.flatnonzero(self.stopped).tolist()
        return info
