"""``python -m smsc_transports``: the ``smsc`` command without its console script.

An entry point, not part of the core: it only hands the command line to ``cli``.
"""

import sys

from smsc_transports.cli import main

sys.exit(main())
