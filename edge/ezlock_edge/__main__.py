"""``python -m ezlock_edge`` is ``ezlock-edge``."""

import sys

from .cli import main

sys.exit(main())
