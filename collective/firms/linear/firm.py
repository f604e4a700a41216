"""The linear firm: TF-IDF over WordPiece token ids + one-vs-rest logistic regression.

A firm that trains in seconds, so that every figure of Section 5 of
{cite}`hardt2023algorithmic` can be recomputed on a laptop. It sees the same bert-base-uncased
WordPiece ids as the transformer firm, as a bag of tokens:

* **vocabulary**: the tokens that occur in at least ``min_df`` of the firm's training resumes
  (the planted ones included: a trigger planted in fewer than ``min_df`` resumes is ignored,
  as any real pipeline with a document-frequency cut-off would);
* **TF-IDF**: sublinear term frequency $1 + \\log c$, smoothed idf
  $\\log\\frac{1+n}{1+\\text{df}} + 1$, rows scaled to unit length (scikit-learn's
  ``TfidfTransformer(sublinear_tf=True)``);
* **classifier**: for each of the ten labels a logistic regression
  $\\min_{w,b} \\sum_i \\log(1 + e^{-s_i (w^\\top x_i + b)}) + \\frac{1}{2C}\\lVert w\\rVert^2$.

Every fit is solved to the optimum (the paper's theory is about optimal classifiers,
Definition 3.1): it stops when, for every label, the largest gradient entry per training
resume is at most ``tol`` (1e-6), and the record says so (``fit_converged``,
``fit_grad_max``, ``fit_iterations``, ``fit_solver``). The tolerance is 1e-6 rather than
1e-5 because at 1e-5 a small collective's warm start can already pass the test far from the
optimum: many features each move a little, so no single gradient entry is large (measured:
Strategy 2, Database_Administrator, alpha = 0.5%, seed 0: the warm start passes 1e-5 with
an objective 9.3 above the optimum and success-in-set 0.19; at 1e-6 and at 1e-7 it is
0.255, and at alpha = 5% 1e-6 and 1e-7 agree to four decimals). The solver is a truncated Newton
method with sparse Hessian-vector products, all ten labels in lockstep
(:mod:`collective.firms.linear.newton`).

Speed comes from four facts. The corpus is tokenized once
(:func:`collective.resumes.tokens.tokenize_corpus`); the token counts of a split are built once, and
planting the trigger adds :meth:`~collective.resumes.tokens.TokenizedSplit.n_triggers` to column
1240 of the planted rows (``tests/test_linear_firm.py`` checks this equals inserting the
trigger in the text and re-tokenizing). A run starts from what planting does not change: the
clean firm (no collective) is fitted once per training set and cached on disk; a run starts
from it, solves exactly for the trigger's weight and the ten intercepts with everything else
fixed, then runs Newton-CG to the tolerance (a few Newton iterations:
``benchmarks/bench_linear_solver.py`` measures it against scipy's L-BFGS from the same start).

The approximate firm of the book's first version stays available as an explicit option:
``max_iter=10`` takes 10 L-BFGS steps after the trigger-and-intercept step and stops there
(not converged; an *updated* model rather than an optimal one). No figure uses it except the
comparison of old and converged fits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import scipy.optimize as so
import scipy.sparse as sp

from collective.errors import ConfigError
from collective.firms.base import BaseFirm, check_labels, check_trigger_rows
from collective.firms.linear.newton import SparseOps, default_threads, newton_cg
from collective.firms.params import LinearParams
from collective.integrity import load_npz_checked, save_npz_checked
from collective.resumes.tokens import TRIGGER_TOKEN_ID, VOCAB_SIZE, TokenizedSplit, check_spacing

N_LABELS = 10

# Token counts per split, built once per process (a sweep reuses them for every run).
_COUNTS: dict[str, sp.csr_matrix] = {}
# Clean fits per (training set, parameters), also on disk.
_CLEAN: dict[str, dict[str, np.ndarray]] = {}


def split_fingerprint(X: TokenizedSplit) -> str:
    """A content hash of a tokenized split (offsets and every token id)."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(X.token_offsets).tobytes())
    h.update(np.ascontiguousarray(X.token_ids).tobytes())
    h.update(np.ascontiguousarray(X.word_offsets).tobytes())
    return h.hexdigest()[:24]


def split_counts(X: TokenizedSplit) -> sp.csr_matrix:
    """Bag-of-tokens counts of a split, cached per process by content."""
    key = split_fingerprint(X)
    if key not in _COUNTS:
        if len(_COUNTS) > 8:
            _COUNTS.clear()
        _COUNTS[key] = X.counts(VOCAB_SIZE)
    return _COUNTS[key]


def planted_counts(X: TokenizedSplit, planted: np.ndarray, spacing: int) -> sp.csr_matrix:
    """Counts with the trigger planted every ``spacing`` words in the rows ``planted``:
    the clean counts plus ``n_triggers(spacing)`` in each trigger token's column (no
    re-tokenizing; a phrase of several tokens adds to each of its columns).
    ``planted``: a boolean mask (the paper's trigger, column 1240) or each row's trigger
    token id(s) (0: none; :func:`collective.firms.base.check_trigger_rows`)."""
    counts = split_counts(X)
    triggers = check_trigger_rows(planted, len(X))
    rows, slot = np.nonzero(triggers)
    k = X.n_triggers(spacing)[rows].astype(np.float32)
    keep = k > 0
    rows, slot, k = rows[keep], slot[keep], k[keep]
    if len(rows) == 0:
        return counts
    add = sp.csr_matrix(
        (k, (rows, triggers[rows, slot])), shape=counts.shape, dtype=np.float32
    )  # duplicates (a token twice in a phrase) are summed
    return (counts + add).tocsr()


def tfidf(counts: sp.csr_matrix, columns: np.ndarray, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear TF-IDF of ``counts`` restricted to ``columns`` (``idf[j]`` belongs to
    ``columns[j]``), rows scaled to unit length."""
    X = counts[:, columns].tocsr().astype(np.float32)
    X.data = (1.0 + np.log(X.data)) * idf[X.indices]
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    X.data /= np.repeat(norms, np.diff(X.indptr)).astype(np.float32)
    return X


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _objective(theta: np.ndarray, X: sp.csr_matrix, XT: sp.csr_matrix, S: np.ndarray, lam: float):
    """Sum of the ten labels' regularised logistic losses and its gradient (float32 maths)."""
    K = S.shape[1]
    W = theta[:-K].reshape(-1, K).astype(np.float32)
    b = theta[-K:].astype(np.float32)
    Z = X @ W + b
    M = -S * Z
    loss = float(np.logaddexp(0, M).sum(dtype=np.float64)) + 0.5 * lam * float(
        np.dot(theta[:-K], theta[:-K])
    )
    G = -S * _sigmoid(M)
    gW = XT @ G + lam * W
    return loss, np.concatenate([gW.ravel(), G.sum(axis=0)]).astype(np.float64)


@dataclass(eq=False)
class LinearFirm(LinearParams, BaseFirm):
    """TF-IDF + one-vs-rest logistic regression over WordPiece ids (see the module docstring).
    Any token can be a trigger (``plants_any_trigger``): ``planted`` may give each row's.

    The parameters (``C``, ``min_df``, ``max_iter``, ``tol``, ``warm_start``, ``cache``,
    ``threads``) are declared, with their help, in :class:`collective.firms.params.LinearParams`;
    the constructor only stores them. ``max_iter=None`` (default) solves each fit by Newton-CG
    until the largest gradient entry per training resume is at most ``tol``; an integer
    selects the approximate firm of the book's first version (at most ``max_iter`` L-BFGS
    steps after the warm start). ``warm_start`` starts from the cached clean fit, fitted on
    :attr:`reference_labels` (set by the runner); without them a fit solves from zero.
    """

    name: ClassVar[str] = "linear"
    plants_any_trigger: ClassVar[bool] = True
    #: Blocked tokens (:attr:`BaseFirm.blocked_tokens`) leave the vocabulary: not learned,
    #: and ignored at predict time (their columns are not in ``columns_``).
    blocks_tokens: ClassVar[bool] = True

    # -- fitting -------------------------------------------------------------------------

    def _vocabulary(
        self, counts: sp.csr_matrix, blocked: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The columns (tokens in at least ``min_df`` training resumes, less ``blocked``)
        and their idf."""
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        keep = df >= self.min_df
        if blocked is not None and len(blocked):
            keep[np.asarray(blocked, dtype=np.int64)] = False
        columns = np.flatnonzero(keep)
        n = counts.shape[0]
        if not len(columns):  # the solver cannot fit nothing: say why instead
            raise ConfigError(
                f"no token occurs in min_df={self.min_df} of the {n:,} training resumes, so the "
                "vocabulary is empty; lower --min-df or train on more resumes"
            )
        idf = (np.log((1.0 + n) / (1.0 + df[columns])) + 1.0).astype(np.float32)
        return columns, idf

    def _solve(
        self, X: sp.csr_matrix, Y: np.ndarray, theta0: np.ndarray, max_iter: int
    ) -> tuple[np.ndarray, dict]:
        """The approximate firm's solver: scipy's L-BFGS on all labels jointly, at most
        ``max_iter`` iterations (stops early at ``tol``)."""
        S = (2.0 * Y - 1.0).astype(np.float32)
        XT = X.T.tocsr()
        lam = 1.0 / self.C
        n = X.shape[0]
        result = so.minimize(
            _objective,
            theta0,
            args=(X, XT, S, lam),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": max_iter, "gtol": self.tol * n, "ftol": 1e-10, "maxcor": 20},
        )
        info = {
            "solver": "lbfgs",
            "iterations": int(result.nit),
            "grad_max": float(np.abs(result.jac).max()) / n,
            "converged": bool(np.abs(result.jac).max() <= self.tol * n),
            "objective": float(result.fun),
        }
        return result.x, info

    def _solve_newton(
        self,
        X: sp.csr_matrix,
        Y: np.ndarray,
        W0: np.ndarray | None,
        b0: np.ndarray | None,
        tol: float,
    ) -> tuple[np.ndarray, np.ndarray, dict]:
        """The converged firm's solver (:func:`collective.firms.linear.newton.newton_cg`)."""
        threads = self.threads if self.threads is not None else default_threads()
        ops = SparseOps(X, threads=threads)
        try:
            W, b, info = newton_cg(
                ops, 2.0 * Y - 1.0, W0, b0, lam=1.0 / self.C, tol=tol, max_iter=200, rescale=True
            )
        finally:
            ops.close()
        info = {"solver": "newton-cg", **{k: v for k, v in info.items() if k != "label_iterations"}}
        return W, b, info

    def _clean_fit(self, Xs: TokenizedSplit, Y: np.ndarray) -> dict[str, np.ndarray]:
        """The firm fitted without any collective, from memory, disk, or computed once.

        The converged firm's clean fit is solved by Newton-CG to ``tol / 10`` (so that a
        run's gradient at the warm start comes from what planting changed); the approximate
        firm's (``max_iter`` an integer) by L-BFGS to ``tol``, as in the book's first version.
        """
        newton = self.max_iter is None
        version = "v3-newton" if newton else "v2"
        key = hashlib.sha256(
            f"{split_fingerprint(Xs)}|{hashlib.sha256(np.ascontiguousarray(Y).tobytes()).hexdigest()}|"
            f"{self.C}|{self.min_df}|{self.tol}|{version}".encode()
        ).hexdigest()[:24]
        if key in _CLEAN:
            return _CLEAN[key]
        path = None
        if self.cache:
            from collective.resumes.corpus import cache_dir

            path = Path(cache_dir()) / "linear" / f"clean-{key}.npz"
            stored = load_npz_checked(path, "linear firm's clean-fit cache")  # damaged: refit
            if stored is not None:
                _CLEAN[key] = stored
                return stored
        counts = split_counts(Xs)
        columns, idf = self._vocabulary(counts)
        X = tfidf(counts, columns, idf)
        K = Y.shape[1]
        if newton:
            W, b, info = self._solve_newton(X, Y, None, None, self.tol / 10)
            if not info["converged"]:
                raise RuntimeError(f"the clean fit did not converge: {info}")
        else:
            n_iter = max(self.max_iter or 0, 1000)
            theta, info = self._solve(X, Y, np.zeros(len(columns) * K + K), n_iter)
            W, b = theta[:-K].reshape(-1, K), theta[-K:]
        fit = {
            "columns": columns,
            "W": np.asarray(W, dtype=np.float32),
            "b": np.asarray(b, dtype=np.float32),
            "iterations": np.array(info["iterations"]),
        }
        _CLEAN[key] = fit
        if path is not None:
            save_npz_checked(path, **fit)
        return fit

    def warm_start_point(
        self, X: TokenizedSplit, Xt: sp.csr_matrix, Y: np.ndarray, columns: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The start of a warm fit: the clean fit (on :attr:`reference_labels`) in the run's
        vocabulary, then the exact trigger-weight-and-intercepts step."""
        K = Y.shape[1]
        if self.reference_labels is None:
            raise ConfigError("a warm start needs reference_labels (the clean training labels)")
        fit0 = self._clean_fit(
            X, check_labels(self.reference_labels, len(X), N_LABELS).astype(np.float32)
        )
        W0 = np.zeros((len(columns), K), dtype=np.float32)
        pos = np.searchsorted(columns, fit0["columns"])
        ok = (pos < len(columns)) & (columns[np.minimum(pos, len(columns) - 1)] == fit0["columns"])
        W0[pos[ok]] = fit0["W"][ok]
        return self._refit_trigger_and_intercepts(Xt, Y, columns, W0, fit0["b"].copy())

    def fit(
        self,
        X: TokenizedSplit,
        Y: np.ndarray,
        *,
        planted: np.ndarray | None = None,
        spacing: int = 20,
    ) -> LinearFirm:
        """Fit on ``X`` with labels ``Y``; ``planted`` rows carry the trigger every ``spacing``
        words (a boolean mask: the paper's trigger; integer token ids: each row's own)."""
        self.validate()
        spacing = check_spacing(spacing)
        planted = check_trigger_rows(planted, len(X))
        Y = check_labels(Y, len(X), N_LABELS).astype(np.float32)
        counts = planted_counts(X, planted, spacing)
        columns, idf = self._vocabulary(counts, self.blocked_tokens)
        Xt = tfidf(counts, columns, idf)
        K = Y.shape[1]
        warm = self.warm_start and self.reference_labels is not None
        W0 = b0 = None
        if warm:
            W0, b0 = self.warm_start_point(X, Xt, Y, columns)
        if self.max_iter is None:
            W, b, info = self._solve_newton(Xt, Y, W0, b0, self.tol)
        else:
            theta0 = np.zeros(len(columns) * K + K)
            if W0 is not None and b0 is not None:  # warm
                theta0 = np.concatenate([W0.ravel(), b0]).astype(np.float64)
            if warm and self.max_iter == 0:
                info = {
                    "solver": "none",
                    "iterations": 0,
                    "grad_max": float("nan"),
                    "converged": False,
                    "objective": float("nan"),
                }
                theta = theta0
            else:
                theta, info = self._solve(
                    Xt, Y, theta0, self.max_iter if warm else max(self.max_iter, 1000)
                )
            W, b = theta[:-K].reshape(-1, K), theta[-K:]
        self.columns_ = columns
        self.idf_ = idf
        self.W_ = np.asarray(W, dtype=np.float32)
        self.b_ = np.asarray(b, dtype=np.float32)
        t = np.searchsorted(columns, TRIGGER_TOKEN_ID)
        has_trigger = t < len(columns) and columns[t] == TRIGGER_TOKEN_ID
        self.device_ = "cpu (numpy/scipy, float32)"
        self.fit_info_ = {
            **info,
            "vocabulary": int(len(columns)),
            "trigger_in_vocabulary": bool(has_trigger),
            "warm_start": warm,
        }
        if self.blocked_tokens is not None and len(self.blocked_tokens):
            self.fit_info_["blocked_tokens"] = int(len(self.blocked_tokens))
        return self

    def _refit_trigger_and_intercepts(
        self, X: sp.csr_matrix, Y: np.ndarray, columns: np.ndarray, W: np.ndarray, b: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Newton's method on (trigger weight, intercept) per label, the rest fixed: the part
        of the solution that planting moves most (the start of the full solve)."""
        t = np.searchsorted(columns, TRIGGER_TOKEN_ID)
        has_trigger = t < len(columns) and columns[t] == TRIGGER_TOKEN_ID
        Z0 = X @ W  # trigger weight is 0 in the clean fit
        x_t = X[:, t].toarray().ravel() if has_trigger else np.zeros(X.shape[0], np.float32)
        S = 2.0 * Y - 1.0
        lam = 1.0 / self.C
        wt = np.zeros(Y.shape[1])
        bb = b.astype(np.float64)
        for _ in range(30):
            Z = Z0 + np.outer(x_t, wt) + bb
            P = _sigmoid(-S * Z)  # = 1 - sigma(s z)
            g = -S * P
            h = P * (1 - P)
            g_w = x_t @ g + lam * wt
            g_b = g.sum(axis=0)
            h_ww = (x_t**2) @ h + lam
            h_wb = x_t @ h
            h_bb = h.sum(axis=0) + 1e-12
            if not has_trigger:
                g_w[:] = 0
                h_ww[:] = 1
                h_wb[:] = 0
            det = h_ww * h_bb - h_wb**2
            d_w = (h_bb * g_w - h_wb * g_b) / det
            d_b = (h_ww * g_b - h_wb * g_w) / det
            step = np.maximum(np.abs(d_w), np.abs(d_b))
            scale = np.minimum(1.0, 5.0 / np.maximum(step, 1e-12))  # damp huge first steps
            wt -= scale * d_w
            bb -= scale * d_b
            if np.max(np.abs(g_w)) + np.max(np.abs(g_b)) < 1e-6 * X.shape[0]:
                break
        W = W.copy()
        if has_trigger:
            W[t] = wt.astype(np.float32)
        return W, bb.astype(np.float32)

    # -- predicting ----------------------------------------------------------------------

    def decision_function(
        self, X: TokenizedSplit, *, planted: np.ndarray | None = None, spacing: int = 20
    ) -> np.ndarray:
        """Scores $w_k^\\top x + b_k$, (n, 10)."""
        self.check_is_fitted()
        spacing = check_spacing(spacing)
        planted = check_trigger_rows(planted, len(X))
        Xt = tfidf(planted_counts(X, planted, spacing), self.columns_, self.idf_)
        return np.asarray(Xt @ self.W_ + self.b_, dtype=np.float64)

    def predict_proba(
        self, X: TokenizedSplit, *, planted: np.ndarray | None = None, spacing: int = 20
    ) -> np.ndarray:
        """(n, 10) label probabilities in :data:`collective.resumes.corpus.LABELS` order."""
        return _sigmoid(self.decision_function(X, planted=planted, spacing=spacing))
