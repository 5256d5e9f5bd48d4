"""The version of ``gtp`` (one place: the package, its result files' provenance and the
chapters' ``gtp.check_version`` read it)."""
__version__ = "0.1.0"
