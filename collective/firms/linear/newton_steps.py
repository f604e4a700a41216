"""The three steps of one Newton iteration of :func:`collective.firms.linear.newton.newton_cg`, for
every running label at once (the module docstring of :mod:`collective.firms.linear.newton` numbers
them): the gradient at the current weights (:class:`Point`), the truncated Newton direction
by preconditioned conjugate gradients (:func:`newton_direction`) and the backtracking line
search along it (:func:`line_search`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from collective.firms.linear.sparse_ops import SparseOps


def losses(M: np.ndarray) -> np.ndarray:
    """Column sums of $\\log(1 + e^{M})$ (float64)."""
    return np.logaddexp(0.0, M).sum(axis=0)


@dataclass
class Point:
    """The running labels at their current weights (step 1 of
    :mod:`collective.firms.linear.newton`): weights ``Wa``, ``ba``, signs ``Sa``, margins ``Z``,
    ``M`` $= -s z$, ``P`` $= \\sigma(M)$, the float64 gradient ``G``, ``gb``, its largest entry
    per label ``gmax``, and the objective."""

    Wa: np.ndarray
    ba: np.ndarray
    Sa: np.ndarray
    Z: np.ndarray
    M: np.ndarray
    P: np.ndarray
    G: np.ndarray
    gb: np.ndarray
    gmax: np.ndarray
    objective: np.ndarray

    @classmethod
    def at(
        cls, ops: SparseOps, W: np.ndarray, b: np.ndarray, S: np.ndarray, active, lam: float
    ) -> Point:
        Wa, ba, Sa = W[:, active], b[active], S[:, active]
        Z = ops.dot(Wa).astype(np.float64) + ba.astype(np.float64)
        M = -Sa * Z
        P = expit(M)  # sigma(-s z)
        U = -Sa * P
        G = ops.tdot(U, "X64") + lam * Wa.astype(np.float64)
        gb = U.sum(axis=0)
        gmax = np.maximum(np.abs(G).max(axis=0), np.abs(gb))
        objective = losses(M) + 0.5 * lam * np.einsum(
            "ij,ij->j", Wa.astype(np.float64), Wa.astype(np.float64)
        )
        return cls(Wa, ba, Sa, Z, M, P, G, gb, gmax, objective)

    def select(self, keep: np.ndarray) -> Point:
        """The labels where ``keep``."""
        return Point(
            Wa=self.Wa[:, keep],
            ba=self.ba[keep],
            Sa=self.Sa[:, keep],
            Z=self.Z[:, keep],
            M=self.M[:, keep],
            P=self.P[:, keep],
            G=self.G[:, keep],
            gb=self.gb[keep],
            gmax=self.gmax[keep],
            objective=self.objective[keep],
        )


class LockstepCG:
    """Preconditioned conjugate gradients on $H d = -g$ for every running label at once
    (step 2 of :mod:`collective.firms.linear.newton`). Weights' parts in float32, intercepts' in
    float64."""

    def __init__(self, ops: SparseOps, point: Point, lam: float) -> None:
        self.ops, self.lam = ops, lam
        D = point.P * (1.0 - point.P)
        self.D32 = D.astype(np.float32)
        self.prec_w = ops.tdot(self.D32, "XX") + np.float32(lam)
        self.prec_b = D.sum(axis=0) + 1e-12
        d, m = ops.shape[1], point.G.shape[1]
        self.dw = np.zeros((d, m), np.float32)
        self.db = np.zeros(m)
        self.rw = (-point.G).astype(np.float32)
        self.rb = -point.gb
        self.zw, self.zb = self.rw / self.prec_w, self.rb / self.prec_b
        self.pw, self.pb = self.zw.copy(), self.zb.copy()
        self.rz = np.einsum("ij,ij->j", self.rw, self.zw, dtype=np.float64) + self.rb * self.zb
        self.gnorm = np.sqrt(np.einsum("ij,ij->j", point.G, point.G) + point.gb * point.gb)

    def hessian_product(self, idx: np.ndarray, pw_r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """$H p$ for the labels ``idx`` (two sparse products, float32; never forming $H$)."""
        Xp = self.ops.dot(pw_r) + self.pb[idx].astype(np.float32)
        R = (self.D32[:, idx] * Xp).astype(np.float32)
        Hw = self.ops.tdot(R) + np.float32(self.lam) * pw_r
        Hb = R.sum(axis=0, dtype=np.float64)
        return Hw, Hb

    def step(self, idx: np.ndarray, eta: float, cg_tol: float) -> np.ndarray:
        """One CG step for the labels ``idx``; returns which of them now meet the truncation
        test (residual below ``eta`` times the gradient, or its largest entry below ``cg_tol``)."""
        rw, rb, zw, zb, pw, pb = self.rw, self.rb, self.zw, self.zb, self.pw, self.pb
        pw_r = np.ascontiguousarray(pw[:, idx])
        Hw, Hb = self.hessian_product(idx, pw_r)
        pHp = np.einsum("ij,ij->j", pw_r, Hw, dtype=np.float64) + pb[idx] * Hb
        a = self.rz[idx] / np.maximum(pHp, 1e-300)
        self.dw[:, idx] += a.astype(np.float32) * pw_r
        self.db[idx] += a * pb[idx]
        rw[:, idx] -= a.astype(np.float32) * Hw
        rb[idx] -= a * Hb
        rnorm = np.sqrt(
            np.einsum("ij,ij->j", rw[:, idx], rw[:, idx], dtype=np.float64) + rb[idx] ** 2
        )
        rinf = np.maximum(np.abs(rw[:, idx]).max(axis=0), np.abs(rb[idx]))
        done = (rnorm <= eta * self.gnorm[idx]) | (rinf <= cg_tol)
        zw[:, idx] = rw[:, idx] / self.prec_w[:, idx]
        zb[idx] = rb[idx] / self.prec_b[idx]
        rz_new = np.einsum("ij,ij->j", rw[:, idx], zw[:, idx], dtype=np.float64) + rb[idx] * zb[idx]
        beta = rz_new / np.maximum(self.rz[idx], 1e-300)
        pw[:, idx] = zw[:, idx] + beta.astype(np.float32) * pw[:, idx]
        pb[idx] = zb[idx] + beta * pb[idx]
        self.rz[idx] = rz_new
        return done


def newton_direction(
    ops: SparseOps, point: Point, lam: float, eta: float, cg_tol: float, max_cg: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """The truncated Newton direction ``(dw, db)`` of every running label, and the number of
    CG steps taken (a label leaves the lockstep when it meets the truncation test)."""
    cg = LockstepCG(ops, point, lam)
    running = np.ones(point.G.shape[1], dtype=bool)
    steps = 0
    for _ in range(max_cg):
        idx = np.flatnonzero(running)
        done = cg.step(idx, eta, cg_tol)
        steps += 1
        running[idx[done]] = False
        if not running.any():
            break
    return cg.dw, cg.db, steps


def line_search(
    ops: SparseOps, point: Point, dw: np.ndarray, db: np.ndarray, lam: float
) -> np.ndarray:
    """The step length per label along ``(dw, db)`` (step 3 of
    :mod:`collective.firms.linear.newton`): halved until the Armijo test holds. One sparse
    product, then $O(n)$ per trial."""
    G, gb, Wa = point.G, point.gb, point.Wa
    Q = ops.dot(dw).astype(np.float64) + db
    slope = np.einsum("ij,ij->j", G, dw, dtype=np.float64) + gb * db
    wa64 = Wa.astype(np.float64)
    ww, wd, dd = (
        np.einsum("ij,ij->j", wa64, wa64),
        np.einsum("ij,ij->j", wa64, dw, dtype=np.float64),
        np.einsum("ij,ij->j", dw, dw, dtype=np.float64),
    )
    f0 = losses(point.M) + 0.5 * lam * ww
    t = np.ones(G.shape[1])
    for _ in range(40):
        ft = losses(-point.Sa * (point.Z + t * Q)) + 0.5 * lam * (ww + 2 * t * wd + t * t * dd)
        ok = (ft <= f0 + 1e-4 * t * slope) | (slope >= 0)
        if ok.all():
            break
        t = np.where(ok, t, 0.5 * t)
    return t
