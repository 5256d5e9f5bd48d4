"""Figures of the book: one module per part, each function returns a matplotlib Figure.

All figures use the colour-blind-safe palette and font sizes of ``style``.
"""
