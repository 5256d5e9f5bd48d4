"""``python -m gtp``: the command line (``gtp.cli``)."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
