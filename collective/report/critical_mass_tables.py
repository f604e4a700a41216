"""Critical masses of the resume experiments against the theory's (Corollaries 3.4 and 3.6).

The observed critical mass of each measured curve comes with a bootstrap interval over seeds
(:mod:`collective.report.critical_mass`); the predicted one from the estimated ξ, Δ and p
(:func:`positivity_constant` for p under random labels); :func:`implied_eps` turns a gap
between the two into the smallest suboptimality ε of the firm it is consistent with.
"""

from __future__ import annotations

import pandas as pd

__all__ = [
    "critical_mass_comparison",
    "crossing_table",
    "implied_eps",
    "positivity_constant",
]


def crossing_table(df: pd.DataFrame, metric: str, s_star: float = 0.9) -> pd.DataFrame:
    """Empirical critical mass per (strategy, target) with bootstrap intervals over seeds."""
    from collective.report.critical_mass import critical_mass_bootstrap

    rows = []
    for (strategy, target), sub in df.groupby(["strategy", "target"]):
        out = critical_mass_bootstrap(sub, metric, s_star)
        rows.append({"strategy": strategy, "target": target, **out})
    return pd.DataFrame(rows)


def positivity_constant(random_labels: float, p_clean: float) -> float:
    r"""$p$ of Theorem 3.5 (in-set reading) when a fraction $r$ of labels is uniformly random:
    each label is on with probability 1/2 in a random label set, so
    $\mathcal{P}(y^* \in Y \mid x) \ge r/2 + (1 - r)\,p_{\text{clean}}$."""
    return float(random_labels) / 2 + (1 - float(random_labels)) * float(p_clean)


def critical_mass_comparison(
    df: pd.DataFrame, estimates: dict, metric: str = "success_in_set", s_star: float = 0.9
) -> pd.DataFrame:
    r"""Predicted (Corollaries 3.4 / 3.6, $\epsilon = 0$) against observed critical mass for
    success ``s_star``, with bootstrap intervals over seeds, the number of seeds, and the
    smallest suboptimality $\epsilon$ the observed critical mass is consistent with
    (:func:`implied_eps`, the corrected ε-terms)."""
    from collective.report.critical_mass import critical_mass_bootstrap
    from collective.theory import critical_mass_feature_label, critical_mass_feature_only

    xi = estimates["xi"]["xi_upper"]
    rows = []
    keys = ["strategy", "target", "random_labels"]
    data = df[df["spacing"] == 20]
    for (strategy, target, level), sub in data.groupby(keys):
        est = estimates["classes"].get(target)
        if est is None:
            continue
        by_delta = _bounded_by_delta(strategy)
        if by_delta:
            if level != 0:
                continue
            delta = est[
                "delta_in_set_max" if metric.startswith("success_in_set") else "delta_top1_max"
            ]
            predicted = float(critical_mass_feature_label(s_star, xi, delta))
            theory = f"Cor. 3.4, Δ = {delta:.3f}"
        else:
            p = positivity_constant(level, est["p_in_set_min"])
            predicted = float(critical_mass_feature_only(s_star, xi, p)) if p > 0 else float("inf")
            theory = f"Cor. 3.6, p = {p:.2g}"
        obs = critical_mass_bootstrap(sub, metric, s_star)
        a_obs = obs["alpha_star"]
        rows.append(
            {
                "strategy": strategy,
                "target": target,
                "random labels": level,
                "theory": theory,
                "predicted α* ≤": predicted,
                "observed α*": obs["alpha_star"],
                "95% CI": (obs["ci_low"], obs["ci_high"]),
                "share of bootstrap curves reaching S*": obs["reached"],
                "seeds": obs["n_seeds"],
                "ε ≥ (consistent with)": implied_eps(
                    strategy, a_obs, s_star, xi, delta if by_delta else p
                ),
            }
        )
    return pd.DataFrame(rows)


def _bounded_by_delta(strategy: str) -> bool:
    """Whether the bound of ``strategy`` reads $\\Delta$ (Theorem 3.3) rather than $p$."""
    from collective.strategies import strategy_class

    return strategy_class(strategy).bound_parameter == "delta"


def implied_eps(
    strategy: str, alpha_obs: float, s_star: float, xi: float, delta_or_p: float
) -> float:
    r"""The smallest $\epsilon$ (TV, Definition 3.1) with which an observed critical mass
    ``alpha_obs`` for success ``s_star`` is consistent under the corrected bounds
    (:func:`collective.theory.corrected_feature_label_bound`, ``..._feature_only_bound``,
    $b = 2\epsilon$): Theorem 3.3 gives
    $\epsilon \ge \alpha(1 - S^* - (1-\alpha)\Delta\xi/\alpha)/2$, Theorem 3.5 gives
    $\epsilon \ge (p\alpha(1 - S^*) - (1-p)\xi)/2$; 0 when the $\epsilon = 0$ bound
    already lies below $S^*$ there; NaN when $S^*$ is not reached."""
    a = float(alpha_obs)
    if not a > 0:
        return float("nan")
    if _bounded_by_delta(strategy):
        eps = (a * (1 - s_star) - (1 - a) * delta_or_p * xi) / 2
    else:
        eps = (delta_or_p * a * (1 - s_star) - (1 - delta_or_p) * xi) / 2
    return max(0.0, float(eps))
