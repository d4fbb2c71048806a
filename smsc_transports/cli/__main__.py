"""``python -m smsc_transports.cli``: the ``smsc`` command without its console script."""

import sys

from smsc_transports.cli.app import main

sys.exit(main())
