"""Interactive panels of the book (ipywidgets), one module per part.

Each panel's callbacks are plain functions, so tests can drive a panel the way a
reader does (set ``.value``, call ``.click()``) and check what it shows.
"""
