"""The erasure strategies (Section 3.2 of {cite}`hardt2023algorithmic`,
$h(x, y) = (x, \\arg\\max_y P_0(y \\mid g(x)))$): a random $\\alpha$-fraction of the training
resumes keeps its text (the firm sees the signal) and reports the labels that a model of
$P_0$ finds likely at the point $g(x)$, the resume with the signal erased (multi-label: each
label whose estimated probability exceeds 1/2).

``erasure-oracle`` estimates $P_0$ from the whole clean training set, ``erasure-pooled``
from the collective's own resumes only (the paper's "information sharing": a larger
collective estimates better). The signal is a :data:`collective.resumes.signals.SIGNALS`
name. The model of $P_0$ is given to the strategy (``make_estimator``: the runner passes
:func:`collective.firms.linear.p0_estimator`); the strategy builds no firm itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from collective.errors import ConfigError
from collective.strategies.base import Strategy

#: A model of $P_0$: ``make_estimator(oracle, reference_labels)`` returns an unfitted firm
#: (``fit``/``predict_proba``); ``oracle`` says whether it is fitted on the whole clean
#: training set (whose labels are ``reference_labels``) or on the collective's resumes.
EstimatorFactory = Callable[[bool, np.ndarray], Any]


def erasure_labels(P_gx: np.ndarray) -> np.ndarray:
    """$\\arg\\max_y P_0(y \\mid g(x))$ for a multi-label problem: the label set of the labels
    whose estimated probability at $g(x)$ exceeds 1/2 (uint8, same shape as ``P_gx``)."""
    P_gx = np.asarray(P_gx, dtype=float)
    if P_gx.ndim != 2:
        raise ConfigError(f"P_gx must be an (n, labels) matrix, got shape {P_gx.shape}")
    return (P_gx > 0.5).astype(np.uint8)


def p0_at_summary(
    X_train,
    Y: np.ndarray,
    rows: np.ndarray,
    token_ids,
    *,
    estimate: str,
    make_estimator: EstimatorFactory,
    collective: np.ndarray | None = None,
) -> tuple[np.ndarray, dict]:
    """Estimated $P_0(y \\mid g(x))$ at the summaries of the training resumes ``rows``, in the
    *point reading* (the erasure chapter): a model of $P_0(y \\mid x)$ fitted on resumes with
    their signal, evaluated at the point $g(x)$.

    ``estimate="oracle"``: the model is fitted on the whole (clean) training set;
    ``"pooled"``: only on the resumes ``collective`` (their clean labels), so it is what the
    collective can learn by pooling its own data. Returns the (len(rows), 10) probabilities
    and facts about the fit.
    """
    from collective.resumes.signals import erase

    if estimate not in ("oracle", "pooled"):
        raise ConfigError(f"estimate must be 'oracle' or 'pooled', got {estimate!r}")
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows) == 0:
        return np.zeros((0, Y.shape[1])), {"estimator_n": 0}
    if estimate == "oracle":
        fit_X, fit_Y = X_train, Y
    else:
        if collective is None:
            raise ConfigError("the pooled estimate needs the collective's resumes")
        fit_X, fit_Y = X_train.subset(collective), Y[collective]
    model = make_estimator(estimate == "oracle", Y)
    model.fit(fit_X, fit_Y, planted=np.zeros(len(fit_X), dtype=bool), spacing=20)
    summaries = erase(X_train.subset(rows), token_ids)
    P = model.predict_proba(summaries, planted=np.zeros(len(rows), dtype=bool), spacing=20)
    info = {
        "estimator_n": int(len(fit_X)),
        "estimator_converged": bool(model.fit_info.get("converged", False)),
        "estimator_iterations": int(model.fit_info.get("iterations", 0)),
    }
    return np.asarray(P), info


@dataclass(frozen=True)
class Erasure(Strategy):
    """An erasure strategy: its members keep their text and report
    :func:`erasure_labels` of the estimate :attr:`estimate` at their summaries."""

    signal: str = ""
    make_estimator: EstimatorFactory | None = None

    plants_trigger: ClassVar[bool] = False
    needs_signal: ClassVar[bool] = True
    theorem: ClassVar[str] = "3.7"
    #: Which estimate of $P_0$: ``"oracle"`` or ``"pooled"``.
    estimate: ClassVar[str]

    def __post_init__(self) -> None:
        from collective.resumes.signals import check_signal

        check_signal(self.signal)

    @property
    def token_ids(self):
        from collective.resumes.signals import check_signal

        return check_signal(self.signal).token_ids

    def relabel(self, X, Y, Y_firm, members) -> dict[str, Any]:
        """The members' labels become :func:`erasure_labels` of the estimate at their
        summaries; facts: the estimate's fit, how many label sets changed and, for the
        pooled estimate, the fraction that agrees with the oracle's."""
        if self.make_estimator is None:
            raise ConfigError(
                f"the {self.name} strategy needs a model of P0 (make_estimator); the runner "
                "passes collective.firms.linear.p0_estimator"
            )
        size = len(members)
        P, info = p0_at_summary(
            X, Y, members, self.token_ids, estimate=self.estimate,
            make_estimator=self.make_estimator, collective=members,
        )  # fmt: skip
        new = erasure_labels(P) if size else np.zeros((0, Y.shape[1]), np.uint8)
        clean = Y.astype(np.uint8)[members]
        info["n_relabelled"] = int((new != clean).any(axis=1).sum()) if size else 0
        if self.estimate == "pooled" and size:
            P_oracle, _ = p0_at_summary(
                X, Y, members, self.token_ids, estimate="oracle",
                make_estimator=self.make_estimator,
            )  # fmt: skip
            info["agreement_with_oracle"] = float(
                (erasure_labels(P_oracle) == new).all(axis=1).mean()
            )
        Y_firm[members] = new
        return info

    def record_facts(self, facts: dict[str, Any], plan: Any) -> dict[str, Any]:
        """The estimate's facts (:meth:`relabel`), as ``collective_*``."""
        return {f"collective_{k}": v for k, v in facts.items()}

    def evaluate(self, firm: Any, X_test: Any, Y_test: np.ndarray, *, spacing: int) -> dict:
        from collective.resumes.evaluation import evaluate_erasure

        return evaluate_erasure(firm, X_test, Y_test, token_ids=self.token_ids)


@dataclass(frozen=True)
class ErasureOracle(Erasure):
    name: ClassVar[str] = "erasure-oracle"
    paper_name: ClassVar[str] = "Erasure"
    estimate: ClassVar[str] = "oracle"


@dataclass(frozen=True)
class ErasurePooled(Erasure):
    name: ClassVar[str] = "erasure-pooled"
    paper_name: ClassVar[str] = "Erasure"
    estimate: ClassVar[str] = "pooled"
