"""The reports: result files to numbers, tables and verdicts.

They read what the experiments wrote under ``results/`` and return numbers and Markdown
tables (the chapters write the sentences): protocol v1's tables, the equal-budget
protocols' comparisons and verdicts, the relatives' comparison and ``results/SUMMARY.md``.

May import: ``gtp.experiments`` (for a plan's file names), ``gtp.engine``, ``gtp.maths``,
``gtp.data`` and other ``gtp.reports`` modules (never the book).
"""
# The package is the chapters' front door for the protocols' reports (``from gtp import
# reports as report``); the relatives' report keeps its own names (``relatives_report``).
from .protocol_report import *  # noqa: F401,F403,E402
from .summary_page import *  # noqa: F401,F403,E402
from .tables_v1 import *  # noqa: F401,F403,E402
