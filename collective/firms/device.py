"""The name of :mod:`collective.firms.transformer.device` before the split.

The firms' modules moved into ``linear/`` and ``transformer/``. Importing this name gives
that module object itself (an alias in ``sys.modules``), so a name patched here is patched
there.
"""

import sys
from typing import TYPE_CHECKING

from collective.firms.transformer import device as _module

if TYPE_CHECKING:
    from collective.firms.transformer.device import *  # noqa: F403

sys.modules[__name__] = _module
