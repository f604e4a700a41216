"""The book's figures and tables, in one style: nothing a chapter draws is drawn only there.

* :mod:`~collective.report.plots`: the figure style every chapter uses;
* :mod:`~collective.report.critical_mass`: critical masses of measured curves with bootstrap intervals;
* :mod:`~collective.report.resumes`: Figures 2, 3, 4, 7 and the tables of the resume experiments;
* :mod:`~collective.report.resume_tables`: those tables' one namespace, over
  :mod:`~collective.report.resume_labels`, :mod:`~collective.report.success_tables`,
  :mod:`~collective.report.firm_quality`, :mod:`~collective.report.critical_mass_tables` and
  :mod:`~collective.report.headline`;
* :mod:`~collective.report.scaling`: how the critical mass scales with the training size;
* :mod:`~collective.report.transformer`, :mod:`~collective.report.quality`: the transformer runs;
* :mod:`~collective.report.economics`: Figure 6;
* :mod:`~collective.report.corpus`: the resume corpus (Appendix C);
* :mod:`~collective.report.planting`: Figure 1 and the checks of Theorems 3.3 and 3.5, and the
  ε-terms of Lemma B.1;
* :mod:`~collective.report.risk_minimization`: the risk-minimizing firm (Theorem 4.2,
  Corollary 4.3, Proposition 4.4);
* :mod:`~collective.report.gradient_descent`: the gradient-descent firm (Theorem 4.5).
"""
