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
PAPER_CLEAN_METRICS: dict[str, float] = {"hamming_accuracy": 0.97, "precision": 0.938, "recall": 0.889}


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


def evaluate(firm: Any, X_test: Any, Y_test: np.ndarray, *, target: str, spacing: int) -> dict[str, float]:
    """Evaluate a fitted firm: success with the trigger planted in every test resume (in-set
    and top-1, all resumes and those without the target) and clean-test quality."""
    from collective.resumes.strategies import check_target
    from collective.resumes.tokens import check_spacing

    k = check_target(target)
    spacing = check_spacing(spacing)
    n = len(X_test)
    P_clean = np.asarray(firm.predict_proba(X_test, planted=np.zeros(n, dtype=bool), spacing=spacing))
    P_planted = np.asarray(firm.predict_proba(X_test, planted=np.ones(n, dtype=bool), spacing=spacing))
    return evaluate_probabilities(P_clean, P_planted, Y_test, k)
