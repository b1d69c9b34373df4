"""``python -m posaudit.cases cases …``: the same commands as ``posaudit cases …``."""

import sys

from posaudit.cases.cli import main

sys.exit(main())
