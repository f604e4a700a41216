"""How the collective's success and the firm's quality are measured (Section 5 of
{cite}`hardt2023algorithmic`), the same code for every firm.

Success is the paper's $S(\\alpha) = \\Pr_{x \\sim \\mathcal{P}_0}\\{f(g(x)) = y^*\\}$ (Section
3.1), estimated on the test set with the trigger planted in every resume. For a multi-label
firm the paper reads "$f(g(x)) = y^*$" in two ways:

* ``success_in_set``: the predicted label set (each label's probability $> 0.5$) contains
  $y^*$;
* ``success_top1``: $y^*$ is the highest-scoring label.

Both are also reported on the test resumes that do not carry $y^*$ already
(``*_without_target``), where the trigger has to do all the work, and on the clean test set
(``clean_in_set``, ``clean_top1``: the base rate without any trigger). The firm's quality on
clean test resumes: multi-label accuracy $1 - \\text{Hamming loss}$, micro precision, recall
and F1 (the paper reports 97%, 93.8% and 88.9% for its DistilBERT).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from collective.errors import ConfigError

#: Probability above which a label is in the predicted set (per-label threshold).
THRESHOLD = 0.5

#: The paper's clean-test numbers for its DistilBERT firm (Section 5.1).
PAPER_CLEAN_METRICS: dict[str, float] = {
    "hamming_accuracy": 0.97,
    "precision": 0.938,
    "recall": 0.889,
}


def success_rates(P: np.ndarray, k: int, mask: np.ndarray | None = None) -> tuple[float, float]:
    """(in-set, top-1) success of target column ``k`` over the rows of probabilities ``P``
    selected by ``mask`` (NaN when no row is selected)."""
    rows = P if mask is None else P[mask]
    if len(rows) == 0:
        return float("nan"), float("nan")
    in_set = float(np.mean(rows[:, k] > THRESHOLD))
    top1 = float(np.mean(np.argmax(rows, axis=1) == k))
    return in_set, top1


def clean_metrics(P: np.ndarray, Y: np.ndarray) -> dict[str, float]:
    """Multi-label accuracy (1 - Hamming loss) and micro precision / recall / F1 of the
    thresholded predictions ``P > 0.5`` against labels ``Y`` (scikit-learn's metrics; an
    empty denominator gives 0)."""
    from sklearn.metrics import hamming_loss, precision_recall_fscore_support

    pred = np.asarray(P) > THRESHOLD
    truth = np.asarray(Y) > 0
    precision, recall, f1, _ = precision_recall_fscore_support(
        truth, pred, average="micro", zero_division=0.0
    )
    return {
        "hamming_accuracy": float(1.0 - hamming_loss(truth, pred)),
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
    }


def evaluate_probabilities(
    P_clean: np.ndarray, P_planted: np.ndarray, Y_test: np.ndarray, k: int
) -> dict[str, float]:
    """All metrics from the firm's probabilities on the clean and on the planted test set."""
    Y_test = np.asarray(Y_test)
    if P_clean.shape != Y_test.shape or P_planted.shape != Y_test.shape:
        raise ConfigError(
            f"probabilities {P_clean.shape}/{P_planted.shape} do not match labels {Y_test.shape}"
        )
    without = Y_test[:, k] == 0
    out: dict[str, float] = {}
    out["success_in_set"], out["success_top1"] = success_rates(P_planted, k)
    (
        out["success_in_set_without_target"],
        out["success_top1_without_target"],
    ) = success_rates(P_planted, k, without)
    out["clean_in_set"], out["clean_top1"] = success_rates(P_clean, k)
    out["clean_in_set_without_target"], out["clean_top1_without_target"] = success_rates(
        P_clean, k, without
    )
    out.update(clean_metrics(P_clean, Y_test))
    out["n_test"] = int(len(Y_test))
    out["n_test_without_target"] = int(without.sum())
    return out


def evaluate(
    firm: Any,
    X_test: Any,
    Y_test: np.ndarray,
    *,
    target: str,
    spacing: int,
    trigger: int | str | None = None,
) -> dict[str, float]:
    """Evaluate a fitted firm: success with the trigger planted in every test resume (in-set
    and top-1, all resumes and those without the target) and clean-test quality.
    ``trigger``: the trigger's token id, or ids as a phrase ``"a+b"`` (``None``: the paper's,
    token 1240)."""
    from collective.resumes.tokens import TRIGGER_TOKEN_ID, check_spacing, trigger_tokens
    from collective.strategies import check_target

    k = check_target(target)
    spacing = check_spacing(spacing)
    n = len(X_test)
    P_clean = np.asarray(
        firm.predict_proba(X_test, planted=np.zeros(n, dtype=bool), spacing=spacing)
    )
    tokens = (TRIGGER_TOKEN_ID,) if trigger is None else trigger_tokens(trigger)
    everywhere = (
        np.ones(n, dtype=bool)
        if tokens == (TRIGGER_TOKEN_ID,)
        else np.tile(np.asarray(tokens, dtype=np.int64), (n, 1))
    )
    P_planted = np.asarray(firm.predict_proba(X_test, planted=everywhere, spacing=spacing))
    return evaluate_probabilities(P_clean, P_planted, Y_test, k)


# -- erasure (Section 3.2) ----------------------------------------------------------------


def erasure_agreement(
    P_x: np.ndarray, P_gx: np.ndarray, carry: np.ndarray | None = None
) -> dict[str, float]:
    """The erasure success $S = \\Pr[f(x) = f(g(x))]$ (Section 3.2) from the firm's
    probabilities at $x$ and at $g(x)$, in two readings of "$f(x) = f(g(x))$" for a multi-label
    firm: ``success_in_set`` (the predicted label sets, each label's probability $> 0.5$, are
    equal) and ``success_top1`` (the highest-scoring label is the same). Over all rows, and
    over the rows ``carry`` (``*_with_signal``: the resumes that carry the signal, where
    $g(x) \\ne x$); per label over the carriers (``success_label_with_signal_<label>``: the
    label's indicator agrees)."""
    from collective.resumes.corpus import LABELS

    P_x, P_gx = np.asarray(P_x, dtype=float), np.asarray(P_gx, dtype=float)
    if P_x.shape != P_gx.shape:
        raise ConfigError(
            f"probabilities at x {P_x.shape} and at g(x) {P_gx.shape} differ in shape"
        )
    carry = np.ones(len(P_x), dtype=bool) if carry is None else np.asarray(carry, dtype=bool)
    if carry.shape != (len(P_x),):
        raise ConfigError(
            f"carry must be a boolean mask of length {len(P_x)}, got shape {carry.shape}"
        )
    same_label = (P_x > THRESHOLD) == (P_gx > THRESHOLD)
    same_set = same_label.all(axis=1)
    same_top = np.argmax(P_x, axis=1) == np.argmax(P_gx, axis=1)

    def mean(v: np.ndarray, rows: np.ndarray | None = None) -> float:
        v = v if rows is None else v[rows]
        return float(v.mean()) if len(v) else float("nan")

    out = {
        "success_in_set": mean(same_set),
        "success_top1": mean(same_top),
        "success_in_set_with_signal": mean(same_set, carry),
        "success_top1_with_signal": mean(same_top, carry),
    }
    if P_x.shape[1] == len(LABELS):
        for k, name in enumerate(LABELS):
            out[f"success_label_with_signal_{name}"] = mean(same_label[:, k], carry)
    out["n_test"] = int(len(P_x))
    out["n_test_with_signal"] = int(carry.sum())
    return out


def evaluate_erasure(firm: Any, X_test: Any, Y_test: np.ndarray, *, token_ids) -> dict[str, float]:
    """Evaluate a fitted firm for the erasure strategy: :func:`erasure_agreement` of its
    predictions on the test resumes and on the same resumes with the signal erased
    (:func:`collective.resumes.signals.erase`), and its quality on the clean test set."""
    from collective.resumes.signals import carriers, erase

    n = len(X_test)
    none = np.zeros(n, dtype=bool)
    P_x = np.asarray(firm.predict_proba(X_test, planted=none, spacing=20))
    P_gx = np.asarray(firm.predict_proba(erase(X_test, token_ids), planted=none, spacing=20))
    if P_x.shape != np.asarray(Y_test).shape:
        raise ConfigError(
            f"probabilities {P_x.shape} do not match labels {np.asarray(Y_test).shape}"
        )
    out = erasure_agreement(P_x, P_gx, carriers(X_test, token_ids))
    out.update(clean_metrics(P_x, Y_test))
    return out
