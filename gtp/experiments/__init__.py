"""The experiments: what is run, on which rows, with which search, seeds and epochs.

Every experiment is a description (``catalogue``: its rows, rules, search, seeds, epochs and
output folder) executed by one runner on Dask (``dask_runner``): the paper's rows with its
printed settings (``protocol_v1``), the equal-budget protocols (``protocol_v2``,
``protocol_v3``, with ``search_design`` and ``budget``), the relatives' runs
(``relatives_angles``), the sensitivity grids, the panels' precomputed runs
(``panel_runs``) and the diagnostics.

May import: ``gtp.engine``, ``gtp.maths``, ``gtp.data`` and other ``gtp.experiments`` modules
(never the reports or the book).
"""
