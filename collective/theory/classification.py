"""Section 3 of the paper: success bounds for planting and erasing a signal."""

__all__: list[str] = []
