"""The book's side of the library: panels, figures, static twins, exercises and glue.

``figures_<part>`` draw what the library computed (they compute nothing themselves),
``panels_<part>`` are the interactive ipywidgets panels built on ``panel_base``, ``twins``
and ``twin_specs`` the kernel-free static copies of the panels, ``exercises`` the checkers
of the exercises, and ``glue``/``put`` put computed numbers into the prose.

May import anything in ``gtp``; nothing in ``gtp`` imports it.
"""
from .glue_helpers import glue, put

__all__ = ["glue", "put"]
