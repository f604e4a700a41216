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
sparse kernels release the GIL): the rows of $X$ are split into blocks (:class:`SparseOps`).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from collective.errors import ConfigError


def default_threads() -> int:
    """Threads for the sparse products: ``$OMP_NUM_THREADS`` if set, else the CPU count (at
    most 4)."""
    env = os.environ.get("OMP_NUM_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, min(os.cpu_count() or 1, 4))


class SparseOps:
    """The training matrix $X$ (float32 CSR) and the products the solver needs:
    $X V$, $X^\\top U$ (float32), $X^\\top U$ in float64 (exact gradients) and
    $(X\\circ X)^\\top U$ (the preconditioner). $X^\\top$ is never formed (scipy multiplies by
    the transposed view directly); the float64 and squared copies are made on first use.
    With ``threads`` > 1 the rows of $X$ are split into blocks of about equal non-zeros, one
    per thread (scipy's sparse kernels release the GIL). With one or two right-hand sides,
    each column is a separate sparse matrix-vector product (scipy's kernel for a block of
    vectors is slow for so few)."""

    def __init__(self, X: sp.spmatrix, threads: int = 1) -> None:
        if not sp.issparse(X):
            raise ConfigError("the training matrix must be a scipy sparse matrix")
        self.X = sp.csr_matrix(X, dtype=np.float32)
        self.threads = max(1, int(threads))
        self._mats: dict[str, sp.csr_matrix] = {"X": self.X}
        self._blocks: dict[str, list[tuple[int, int, sp.csr_matrix]]] = {}
        self._pool = ThreadPoolExecutor(self.threads) if self.threads > 1 else None

    @property
    def shape(self) -> tuple[int, int]:
        return self.X.shape

    def _mat(self, kind: str) -> sp.csr_matrix:
        if kind not in self._mats:
            if kind == "X64":
                self._mats[kind] = self.X.astype(np.float64)
            elif kind == "XX":
                self._mats[kind] = self.X.power(2)
            else:
                raise ValueError(kind)
        return self._mats[kind]

    def _row_blocks(self, kind: str) -> list[tuple[int, int, sp.csr_matrix]]:
        if kind not in self._blocks:
            A = self._mat(kind)
            cuts = np.searchsorted(A.indptr, np.linspace(0, A.nnz, self.threads + 1)[1:-1])
            bounds = [0, *cuts.tolist(), A.shape[0]]
            self._blocks[kind] = [(a, b, A[a:b]) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
        return self._blocks[kind]

    @staticmethod
    def _one(A, V: np.ndarray) -> np.ndarray:
        if V.shape[1] <= 2:
            return np.column_stack([A @ V[:, j] for j in range(V.shape[1])])
        return A @ V

    def dot(self, V: np.ndarray, kind: str = "X") -> np.ndarray:
        """$X V$ for a (d, m) block $V$ (in the matrix's precision)."""
        A = self._mat(kind)
        V = np.ascontiguousarray(V, dtype=A.dtype)
        if self._pool is None:
            return self._one(A, V)
        return np.vstack(
            list(self._pool.map(lambda blk: self._one(blk[2], V), self._row_blocks(kind)))
        )

    def tdot(self, U: np.ndarray, kind: str = "X") -> np.ndarray:
        """$A^\\top U$ for an (n, m) block $U$, $A$ = ``X`` (float32), ``X64`` (float64) or
        ``XX`` ($X\\circ X$, float32)."""
        A = self._mat(kind)
        U = np.ascontiguousarray(U, dtype=A.dtype)
        if self._pool is None:
            return self._one(A.T, U)
        parts = list(
            self._pool.map(
                lambda blk: self._one(blk[2].T, U[blk[0] : blk[1]]), self._row_blocks(kind)
            )
        )
        return np.sum(parts, axis=0)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


def _losses(M: np.ndarray) -> np.ndarray:
    """Column sums of $\\log(1 + e^{M})$ (float64)."""
    return np.logaddexp(0.0, M).sum(axis=0)


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
    gtol = tol * n

    label_iter = np.zeros(K, dtype=int)
    grad_max = np.full(K, np.inf)
    objective = np.zeros(K)
    cg_total = 0
    stopped = np.zeros(K, dtype=bool)  # stalled at the float32 precision floor
    active = np.arange(K)
    if rescale and W0 is not None:
        W, b = rescale_start(ops.dot(W).astype(np.float64), S, W, b, lam)
    while True:
        Wa, ba, Sa = W[:, active], b[active], S[:, active]
        Z = ops.dot(Wa).astype(np.float64) + ba.astype(np.float64)
        M = -Sa * Z
        P = expit(M)  # sigma(-s z)
        U = -Sa * P
        G = ops.tdot(U, "X64") + lam * Wa.astype(np.float64)
        gb = U.sum(axis=0)
        gmax = np.maximum(np.abs(G).max(axis=0), np.abs(gb))
        grad_max[active] = gmax / n
        objective[active] = _losses(M) + 0.5 * lam * np.einsum(
            "ij,ij->j", Wa.astype(np.float64), Wa.astype(np.float64)
        )
        keep = (gmax > gtol) & (label_iter[active] < max_iter) & ~stopped[active]
        if not keep.any():
            break
        if not keep.all():
            active, Z, M, P, G, gb, Sa, Wa, ba = (
                active[keep],
                Z[:, keep],
                M[:, keep],
                P[:, keep],
                G[:, keep],
                gb[keep],
                Sa[:, keep],
                Wa[:, keep],
                ba[keep],
            )
        label_iter[active] += 1
        m = len(active)
        D = P * (1.0 - P)
        D32 = D.astype(np.float32)
        # -- preconditioned CG on H d = -g, per label, in lockstep ---------------------------
        prec_w = ops.tdot(D32, "XX") + np.float32(lam)
        prec_b = D.sum(axis=0) + 1e-12
        dw = np.zeros((d, m), np.float32)
        db = np.zeros(m)
        rw = (-G).astype(np.float32)
        rb = -gb
        zw, zb = rw / prec_w, rb / prec_b
        pw, pb = zw.copy(), zb.copy()
        rz = np.einsum("ij,ij->j", rw, zw, dtype=np.float64) + rb * zb
        gnorm = np.sqrt(np.einsum("ij,ij->j", G, G) + gb * gb)
        running = np.ones(m, dtype=bool)
        for _ in range(max_cg):
            idx = np.flatnonzero(running)
            pw_r = np.ascontiguousarray(pw[:, idx])
            Xp = ops.dot(pw_r) + pb[idx].astype(np.float32)
            R = (D32[:, idx] * Xp).astype(np.float32)
            Hw = ops.tdot(R) + np.float32(lam) * pw_r
            Hb = R.sum(axis=0, dtype=np.float64)
            cg_total += 1
            pHp = np.einsum("ij,ij->j", pw_r, Hw, dtype=np.float64) + pb[idx] * Hb
            a = rz[idx] / np.maximum(pHp, 1e-300)
            dw[:, idx] += a.astype(np.float32) * pw_r
            db[idx] += a * pb[idx]
            rw[:, idx] -= a.astype(np.float32) * Hw
            rb[idx] -= a * Hb
            rnorm = np.sqrt(
                np.einsum("ij,ij->j", rw[:, idx], rw[:, idx], dtype=np.float64) + rb[idx] ** 2
            )
            rinf = np.maximum(np.abs(rw[:, idx]).max(axis=0), np.abs(rb[idx]))
            done = (rnorm <= eta * gnorm[idx]) | (rinf <= cg_abs * gtol)
            zw[:, idx] = rw[:, idx] / prec_w[:, idx]
            zb[idx] = rb[idx] / prec_b[idx]
            rz_new = (
                np.einsum("ij,ij->j", rw[:, idx], zw[:, idx], dtype=np.float64) + rb[idx] * zb[idx]
            )
            beta = rz_new / np.maximum(rz[idx], 1e-300)
            pw[:, idx] = zw[:, idx] + beta.astype(np.float32) * pw[:, idx]
            pb[idx] = zb[idx] + beta * pb[idx]
            rz[idx] = rz_new
            running[idx[done]] = False
            if not running.any():
                break
        # -- line search along (dw, db): one sparse product, then O(n) per trial ---------------
        Q = ops.dot(dw).astype(np.float64) + db
        slope = np.einsum("ij,ij->j", G, dw, dtype=np.float64) + gb * db
        wa64 = Wa.astype(np.float64)
        ww, wd, dd = (
            np.einsum("ij,ij->j", wa64, wa64),
            np.einsum("ij,ij->j", wa64, dw, dtype=np.float64),
            np.einsum("ij,ij->j", dw, dw, dtype=np.float64),
        )
        f0 = _losses(M) + 0.5 * lam * ww
        t = np.ones(m)
        for _ in range(40):
            ft = _losses(-Sa * (Z + t * Q)) + 0.5 * lam * (ww + 2 * t * wd + t * t * dd)
            ok = (ft <= f0 + 1e-4 * t * slope) | (slope >= 0)
            if ok.all():
                break
            t = np.where(ok, t, 0.5 * t)
        W_new = Wa + (t.astype(np.float32) * dw)
        b_new = (ba + t * db).astype(np.float32)
        # a step that no longer changes the float32 weights: the precision floor, stop there
        stalled = ~(np.any(W_new != Wa, axis=0) | (b_new != ba))
        stopped[active[stalled]] = True
        W[:, active] = W_new
        b[active] = b_new
    info = {
        "converged": bool(np.all(grad_max <= tol)),
        "iterations": int(label_iter.max()),
        "label_iterations": label_iter.tolist(),
        "cg_iterations": int(cg_total),
        "grad_max": float(grad_max.max()),
        "objective": float(objective.sum()),
    }
    if stopped.any() and not info["converged"]:
        info["stalled_labels"] = np.flatnonzero(stopped).tolist()
    if not isinstance(X, SparseOps):
        ops.close()
    return W, b, info
