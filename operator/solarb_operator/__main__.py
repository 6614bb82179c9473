"""`python -m solarb_operator`: the same as `solarb operator`."""

from __future__ import annotations

import sys

from solarb_operator.app import main

if __name__ == "__main__":
    sys.exit(main())
