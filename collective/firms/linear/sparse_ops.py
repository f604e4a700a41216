"""The training matrix and the sparse products the Newton-CG solver needs
(:mod:`collective.firms.linear.newton`): $X V$, $X^\\top U$ in float32 and float64, and
$(X\\circ X)^\\top U$, optionally split over threads by blocks of rows."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp

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
