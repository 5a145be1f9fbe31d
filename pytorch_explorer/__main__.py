"""`python -m pytorch_explorer ...`: see pytorch_explorer.cli."""

from pytorch_explorer.cli import main

raise SystemExit(main())
