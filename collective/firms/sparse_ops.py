"""The name of :mod:`collective.firms.linear.sparse_ops` before the split.

The firms' modules moved into ``linear/`` and ``transformer/``. Importing this name gives
that module object itself (an alias in ``sys.modules``), so a name patched here is patched
there.
"""

import sys
from typing import TYPE_CHECKING

from collective.firms.linear import sparse_ops as _module

if TYPE_CHECKING:
    from collective.firms.linear.sparse_ops import *  # noqa: F403

sys.modules[__name__] = _module
