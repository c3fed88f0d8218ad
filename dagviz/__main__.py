"""`python -m dagviz MODEL -o out.svg` (see `dagviz.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
