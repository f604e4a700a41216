"""Section 4 of the paper: risk minimization and gradient-based learning."""

__all__: list[str] = []
