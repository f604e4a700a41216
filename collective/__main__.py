"""``python -m collective`` is the ``collective`` command."""

from collective.cli import main

raise SystemExit(main())
