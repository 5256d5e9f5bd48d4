"""The chapters' helpers for numbers in prose: ``glue`` and ``put``.

In the book build (myst-nb) a chapter computes a number, glues it under a key, and the
prose shows it with ``{glue:text}`key```.  ``myst_nb`` is a build tool, not a dependency
of ``gtp``: in a plain Jupyter, on Colab or on Binder without myst-nb, both helpers do
nothing, so that a chapter's notebook copy still runs top to bottom.
"""

__all__ = ["glue", "put"]


def glue(name, value, display=True):
    """``myst_nb.glue(name, value, display)`` when myst-nb is installed; without it the
    value is only displayed (``display=True``) or nothing happens."""
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        if display:
            from IPython.display import display as show
            show(value)
        return None
    return myst_glue(name, value, display=display)


def put(key, value):
    """Glue a plain Python number or string under ``key``, without displaying it.

    NumPy scalars are converted with ``.item()``: ``{glue:text}`` cannot format them.
    """
    glue(key, value.item() if hasattr(value, "item") else value, display=False)
