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
* :mod:`~collective.report.economics`: Figure 6.
"""
