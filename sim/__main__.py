"""``python -m sim`` is the same as the ``jambi-sim`` command."""

from sim.cli import main

raise SystemExit(main())
