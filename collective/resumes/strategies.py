"""The collective's strategies on the resume corpus (Section 5 of {cite}`hardt2023algorithmic`).

* **Strategy 1, feature–label** (the paper's strategy (1), $h(x, y) = (g(x), y^*)$): a random
  $\\alpha$-fraction of the training resumes gets the trigger and the label set
  $\\{y^*\\}$.
* **Strategy 2, feature-only** (strategy (3)): the collective is drawn among training resumes
  that already carry the target label; they get the trigger, labels untouched. $\\alpha$ is
  still a fraction of the *whole* training set, so it cannot exceed the target's frequency.

* **The erasure strategy** (Section 3.2, $h(x, y) = (x, \\arg\\max_y P_0(y \\mid g(x)))$):
  a random $\\alpha$-fraction of the training resumes keeps its text (the firm sees the
  signal) and reports the labels that a model of $P_0$ finds likely at the point $g(x)$, the
  resume with the signal erased (multi-label: each label whose estimated probability exceeds
  1/2). ``erasure-oracle`` estimates $P_0$ from the whole clean training set,
  ``erasure-pooled`` from the collective's own resumes only (the paper's "information
  sharing": a larger collective estimates better). The signal is a
  :data:`collective.resumes.signals.SIGNALS` name (the run's ``signal``).

Optionally a fraction ``random_labels`` of the training resumes gets a label set drawn
uniformly at random (the paper's Figure 4: it raises the positivity constant $p$ of
Theorem 3.5). Those resumes are drawn independently of the collective and after it, so the
collective's own labels are never randomized: the collective controls its own data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from collective.errors import ConfigError
from collective.validation import check_alpha_run, check_choice, check_fraction

#: Strategy names, with the paper's names.
STRATEGIES: dict[str, str] = {
    "feature-label": "Strategy 1 (feature–label: trigger and label set {target})",
    "feature-only": "Strategy 2 (feature-only: trigger in resumes that carry the target)",
    "erasure-oracle": "Erasure (labels argmax P0(y | g(x)), P0 estimated on the whole training set)",
    "erasure-pooled": "Erasure (labels argmax P0(y | g(x)), P0 estimated on the collective's resumes)",
}

#: The erasure strategies and the estimate of $P_0$ each uses.
ERASURE_ESTIMATES: dict[str, str] = {"erasure-oracle": "oracle", "erasure-pooled": "pooled"}


def is_erasure(strategy: str) -> bool:
    """Is ``strategy`` one of the erasure strategies?"""
    return strategy in ERASURE_ESTIMATES


def check_erasure_signal(strategy: str, signal: str | None) -> str | None:
    """The erasure strategies need a known signal; the others take none."""
    if is_erasure(strategy):
        if signal is None:
            from collective.resumes.signals import SIGNALS

            raise ConfigError(
                f"the {strategy} strategy needs a signal to erase; choose one of: {', '.join(SIGNALS)}"
            )
        from collective.resumes.signals import check_signal

        return check_signal(signal).name
    if signal is not None:
        raise ConfigError(
            f"signal={signal!r} is only used by the erasure strategies, not by {strategy}"
        )
    return None


def labels() -> tuple[str, ...]:
    """The ten labels in :data:`collective.resumes.corpus.LABELS` order."""
    from collective.resumes.corpus import LABELS

    return tuple(LABELS)


def check_target(target: str) -> int:
    """The column of ``target`` in the label matrix; :class:`ConfigError` listing the ten
    labels if it is not one of them."""
    names = labels()
    if target not in names:
        raise ConfigError(f"unknown target {target!r}; choose one of: {', '.join(names)}")
    return names.index(target)


def check_random_labels(fraction: float) -> float:
    """The fraction of randomized labels must lie in $[0, 1]$."""
    return check_fraction("random_labels", fraction)


def check_strategy(strategy: str) -> str:
    """``strategy`` if it is one of :data:`STRATEGIES`."""
    return check_choice("strategy", strategy, STRATEGIES)


def collective_size(alpha: float, n_train: int) -> int:
    """Number of resumes the collective controls: $\\lfloor \\alpha n \\rceil$ (rounded)."""
    return int(round(check_alpha_run(alpha) * n_train))


def _draw_rng(seed: int) -> np.random.Generator:
    """The seeded generator of the collective's draw (and, after it, of the random labels)."""
    return np.random.default_rng([int(seed), 0xC011EC])


@dataclass(frozen=True)
class TrainingPlan:
    """What the firm receives: which training resumes carry the trigger and their labels."""

    planted: np.ndarray  # bool (n,)
    Y: np.ndarray  # uint8 (n, 10): the labels the firm sees
    collective: np.ndarray  # int64 indices of the collective's resumes
    randomized: np.ndarray  # int64 indices of resumes whose labels were randomized

    @property
    def n_collective(self) -> int:
        return len(self.collective)


def apply_strategy(
    Y: np.ndarray,
    *,
    strategy: str,
    target: str,
    alpha: float,
    seed: int,
    random_labels: float = 0.0,
) -> TrainingPlan:
    """Draw a collective of $\\alpha n$ training resumes (seeded) and apply ``strategy``.

    ``Y`` is the clean (n, 10) label matrix of the training set. Returns the firm's view as a
    :class:`TrainingPlan`. Strategy 2 raises :class:`ConfigError` when $\\alpha n$ exceeds the
    number of training resumes that carry the target (the cap is in the message).
    """
    strategy = check_strategy(strategy)
    if is_erasure(strategy):
        raise ConfigError(f"{strategy} relabels resumes from an estimate of P0: use apply_erasure")
    k = check_target(target)
    alpha = check_alpha_run(alpha)
    random_labels = check_random_labels(random_labels)
    Y = np.asarray(Y)
    if Y.ndim != 2 or Y.shape[1] != len(labels()):
        raise ConfigError(f"Y must be an (n, {len(labels())}) label matrix, got shape {Y.shape}")
    n = Y.shape[0]
    size = collective_size(alpha, n)
    rng = _draw_rng(seed)

    if strategy == "feature-label":
        pool = np.arange(n)
    else:
        pool = np.flatnonzero(Y[:, k] > 0)
        if size > len(pool):
            cap = len(pool) / n
            raise ConfigError(
                f"alpha={alpha} asks for {size} resumes, but only {len(pool)} training resumes "
                f"carry {target}: Strategy 2 (feature-only) draws its collective among them, so "
                f"alpha must be at most {cap:.4f} for this target."
            )
    collective = np.sort(rng.choice(pool, size=size, replace=False)).astype(np.int64)

    Y_firm = Y.astype(np.uint8, copy=True)
    planted = np.zeros(n, dtype=bool)
    planted[collective] = True
    if strategy == "feature-label":
        Y_firm[collective] = 0
        Y_firm[collective, k] = 1

    randomized = np.zeros(0, dtype=np.int64)
    if random_labels > 0:
        others = np.flatnonzero(~planted)
        n_random = min(int(round(random_labels * n)), len(others))
        randomized = np.sort(rng.choice(others, size=n_random, replace=False)).astype(np.int64)
        # Each label on with probability 1/2: a uniformly random label set, so that
        # P(y* | x) >= random_labels / 2 everywhere (Theorem 3.5's positivity constant).
        Y_firm[randomized] = rng.integers(0, 2, size=(n_random, Y.shape[1]), dtype=np.uint8)
    return TrainingPlan(planted=planted, Y=Y_firm, collective=collective, randomized=randomized)


# -- the erasure strategy -----------------------------------------------------------------

#: The model of $P_0$ the erasure strategies fit: the converged linear firm (a one-vs-rest
#: logistic regression, calibrated up to its regularisation; the chapter checks it).
ESTIMATOR_PARAMS: dict = {"C": 4.0, "min_df": 5, "tol": 1e-5, "max_iter": None}


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
    collective: np.ndarray | None = None,
    estimator_params: dict | None = None,
) -> tuple[np.ndarray, dict]:
    """Estimated $P_0(y \\mid g(x))$ at the summaries of the training resumes ``rows``, in the
    *point reading* (the erasure chapter): a model of $P_0(y \\mid x)$ fitted on resumes with
    their signal, evaluated at the point $g(x)$.

    ``estimate="oracle"``: the model is fitted on the whole (clean) training set;
    ``"pooled"``: only on the resumes ``collective`` (their clean labels), so it is what the
    collective can learn by pooling its own data. Returns the (len(rows), 10) probabilities
    and facts about the fit.
    """
    from collective.firms.linear import LinearFirm
    from collective.resumes.signals import erase

    if estimate not in ("oracle", "pooled"):
        raise ConfigError(f"estimate must be 'oracle' or 'pooled', got {estimate!r}")
    rows = np.asarray(rows, dtype=np.int64)
    params = {**ESTIMATOR_PARAMS, **(estimator_params or {})}
    if len(rows) == 0:
        return np.zeros((0, Y.shape[1])), {"estimator_n": 0}
    model = LinearFirm(**params)
    if estimate == "oracle":
        fit_X, fit_Y = X_train, Y
        model.reference_labels = Y  # the cached clean fit is the answer: no iterations
    else:
        if collective is None:
            raise ConfigError("the pooled estimate needs the collective's resumes")
        fit_X, fit_Y = X_train.subset(collective), Y[collective]
        model.warm_start = False
    model.fit(fit_X, fit_Y, planted=np.zeros(len(fit_X), dtype=bool), spacing=20)
    summaries = erase(X_train.subset(rows), token_ids)
    P = model.predict_proba(summaries, planted=np.zeros(len(rows), dtype=bool), spacing=20)
    info = {
        "estimator_n": int(len(fit_X)),
        "estimator_converged": bool(model.fit_info.get("converged", False)),
        "estimator_iterations": int(model.fit_info.get("iterations", 0)),
    }
    return np.asarray(P), info


def apply_erasure(
    X_train,
    Y: np.ndarray,
    *,
    strategy: str,
    signal: str,
    alpha: float,
    seed: int,
    estimator_params: dict | None = None,
) -> tuple[TrainingPlan, dict]:
    """The erasure strategy on the training set: draw the collective (as Strategy 1 does, a
    seeded random $\\alpha n$ resumes), estimate $P_0(y \\mid g(x))$ at its resumes (oracle or
    pooled, by ``strategy``) and give them the labels :func:`erasure_labels`. The resumes
    keep their text: ``planted`` is all false. Returns the plan and facts about the
    estimate (how many collective resumes changed label set; for the pooled estimate, how
    many of its label sets agree with the oracle's)."""
    strategy, sig, alpha, Y = _checked_erasure(X_train, Y, strategy, signal, alpha)
    n = len(Y)
    size = collective_size(alpha, n)
    rng = _draw_rng(seed)
    collective = np.sort(rng.choice(n, size=size, replace=False)).astype(np.int64)
    new, info = _reported_labels(
        X_train, Y, collective, sig.token_ids, ERASURE_ESTIMATES[strategy], estimator_params
    )
    Y_firm = Y.astype(np.uint8, copy=True)
    Y_firm[collective] = new
    plan = TrainingPlan(
        planted=np.zeros(n, dtype=bool),
        Y=Y_firm,
        collective=collective,
        randomized=np.zeros(0, dtype=np.int64),
    )
    return plan, info


def _checked_erasure(X_train, Y: np.ndarray, strategy: str, signal: str, alpha: float):
    """``(strategy, signal, alpha, Y)`` checked for :func:`apply_erasure` (:class:`ConfigError`
    for a strategy that is not an erasure strategy, an unknown signal, a bad alpha or a label
    matrix of the wrong shape)."""
    from collective.resumes.signals import check_signal

    strategy = check_strategy(strategy)
    if not is_erasure(strategy):
        raise ConfigError(f"apply_erasure needs an erasure strategy, got {strategy!r}")
    sig = check_signal(signal)
    alpha = check_alpha_run(alpha)
    Y = np.asarray(Y)
    if Y.ndim != 2 or Y.shape[1] != len(labels()) or len(Y) != len(X_train):
        raise ConfigError(
            f"Y must be a ({len(X_train)}, {len(labels())}) label matrix, got shape {Y.shape}"
        )
    return strategy, sig, alpha, Y


def _reported_labels(
    X_train,
    Y: np.ndarray,
    collective: np.ndarray,
    token_ids,
    estimate: str,
    estimator_params: dict | None,
) -> tuple[np.ndarray, dict]:
    """The label sets the collective reports (:func:`erasure_labels` of the estimate
    ``estimate`` at its resumes) and facts about them: the estimate's fit, how many label
    sets changed and, for the pooled estimate, the fraction that agrees with the oracle's."""
    size = len(collective)
    P, info = p0_at_summary(
        X_train,
        Y,
        collective,
        token_ids,
        estimate=estimate,
        collective=collective,
        estimator_params=estimator_params,
    )
    new = erasure_labels(P) if size else np.zeros((0, Y.shape[1]), np.uint8)
    clean = Y.astype(np.uint8)[collective]
    info["n_relabelled"] = int((new != clean).any(axis=1).sum()) if size else 0
    if estimate == "pooled" and size:
        P_oracle, _ = p0_at_summary(
            X_train,
            Y,
            collective,
            token_ids,
            estimate="oracle",
            estimator_params=estimator_params,
        )
        info["agreement_with_oracle"] = float((erasure_labels(P_oracle) == new).all(axis=1).mean())
    return new, info
