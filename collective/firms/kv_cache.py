"""The name of :mod:`collective.firms.transformer.kv_cache` before the split.

The firms' modules moved into ``linear/`` and ``transformer/``. Importing this name gives
that module object itself (an alias in ``sys.modules``), so a name patched here is patched
there.
"""

import sys
from typing import TYPE_CHECKING

from collective.firms.transformer import kv_cache as _module

if TYPE_CHECKING:
    from collective.firms.transformer.kv_cache import *  # noqa: F403

if __name__ == "__main__":  # `python -m collective.firms.kv_cache` runs the moved module
    raise SystemExit(_module.main())

sys.modules[__name__] = _module
