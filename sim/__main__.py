"""``python -m sim`` is the same as the ``jambi-sim`` command."""

import sys

try:
    from sim.ui.cli import main
except KeyboardInterrupt:  # Ctrl-C while starting: one line, no traceback
    sys.stderr.write("jambi-sim: interrupted (Ctrl-C) while starting; nothing was written.\n")
    raise SystemExit(130) from None

raise SystemExit(main())
