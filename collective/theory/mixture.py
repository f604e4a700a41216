"""The paper's model of Section 2 in sympy: the mixture the firm sees and when a point flips.

The firm learns from :math:`\\mathcal{P} = \\alpha\\mathcal{P}^* + (1-\\alpha)\\mathcal{P}_0`
(Section 2): a fraction :math:`\\alpha` of the population follows the collective's strategy
:math:`h` (so its data is distributed as :math:`\\mathcal{P}^*`, the law of :math:`h(z)`,
:math:`z\\sim\\mathcal{P}_0`) and the rest is untouched.
"""

from __future__ import annotations

import sympy as sp

# Symbols carry explicit LaTeX names (braced, so sympy's printer does not read the ``^`` and
# ``_`` inside them as its own super- and subscripts).
alpha = sp.Symbol("alpha", positive=True)
#: Probability masses at one point: P0(x), P*(x), and P0(y|x) for the target and a rival label.
P0_x = sp.Symbol(r"{\mathcal{P}_0(x)}", positive=True)
Pstar_x = sp.Symbol(r"{\mathcal{P}^{*}(x)}", positive=True)
P0_ystar_given_x = sp.Symbol(r"{\mathcal{P}_0(y^{*} \mid x)}", nonnegative=True)
P0_y_given_x = sp.Symbol(r"{\mathcal{P}_0(y \mid x)}", nonnegative=True)
Delta_x = sp.Symbol(r"{\Delta_x}", nonnegative=True)
r = sp.Symbol("r", positive=True)  # the likelihood ratio P0(x) / P*(x)


def mixture(p_star: sp.Expr, p_0: sp.Expr, a: sp.Expr = alpha) -> sp.Expr:
    """The firm's distribution at one event: :math:`\\alpha P^* + (1-\\alpha) P_0` (Section 2)."""
    return a * p_star + (1 - a) * p_0


def feature_label_joint() -> tuple[sp.Expr, sp.Expr]:
    """:math:`\\mathcal{P}(x, y^*)` and :math:`\\mathcal{P}(x, y)`, :math:`y\\ne y^*`, under
    the feature-label strategy (1), as in the proof of Claim B.2.

    Every example of the collective carries the label :math:`y^*`, so :math:`\\mathcal{P}^*`
    puts all of its mass at :math:`x` on :math:`y^*` and none on any other label.
    """
    joint_target = mixture(Pstar_x, P0_ystar_given_x * P0_x)
    joint_other = mixture(0, P0_y_given_x * P0_x)
    return sp.expand(joint_target), sp.expand(joint_other)


def claim_b2_threshold() -> sp.Expr:
    """The smallest :math:`\\alpha` for which Claim B.2 guarantees :math:`f(x) = y^*`.

    Claim B.2: :math:`f(x)=y^*` if :math:`\\alpha > (1-\\alpha)\\Delta_x P_0(x)/P^*(x)`.
    Solving the boundary for :math:`\\alpha` (with :math:`r = P_0(x)/P^*(x)`) gives
    :math:`\\alpha = \\Delta_x r / (1 + \\Delta_x r)`.
    """
    (solution,) = sp.solve(sp.Eq(alpha, (1 - alpha) * Delta_x * r), alpha)
    return sp.simplify(solution)


def claim_b2_margin() -> sp.Expr:
    """:math:`\\mathcal{P}(x,y^*) - \\mathcal{P}(x,y)` divided by :math:`P^*(x)`, in terms of
    :math:`\\Delta_x = P_0(y|x) - P_0(y^*|x)` and :math:`r`; positive exactly when Claim B.2's
    condition holds."""
    joint_target, joint_other = feature_label_joint()
    margin = (joint_target - joint_other) / Pstar_x
    margin = margin.subs(P0_y_given_x, P0_ystar_given_x + Delta_x).subs(P0_x, r * Pstar_x)
    return sp.simplify(sp.expand(margin))
