"""Interactive panels of the book (ipywidgets), one module per part.

Every panel is a ``base.Panel``: display it (``panel`` as a cell's last line, or
``display(panel)``), and its redraws are serialised, the last value set winning, whatever
thread a widget message arrives on.  Each panel's callbacks are plain functions, so tests
can drive a panel the way a reader does (set ``.value``, call ``.click()``) and check what
it shows.
"""
