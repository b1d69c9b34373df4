"""Where things are: the checkout, the optional shared samples, the console script."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
SAMPLES = SHARED / "samples"
POSAUDIT = Path(sys.executable).parent / "posaudit"
