"""Chapters executed in parallel, into myst-nb's execution cache.

Jupyter Book 1 executes one notebook at a time while Sphinx reads the pages.
``execute_chapters`` first runs every chapter that myst-nb would run, one per core
(``gtp_execution_jobs``), into the same jupyter-cache, read, keyed and executed as myst-nb's
cache mode does; the pages are then read from the cache.
``tests/test_parallel_execution.py`` checks that reading executes nothing, that the pages
equal a serial build's and that a failing chapter is reported as before.
"""
import math
import os
import re
from pathlib import Path, PurePosixPath
from time import perf_counter

from sphinx.util import logging

LOGGER = logging.getLogger(__name__)


def _execute(nb, cwd, timeout, allow_errors):
    """Worker process: run ``nb`` exactly as myst-nb's cache mode does (jupyter-cache's
    ``single_nb_execution`` in folder ``cwd``, a temporary one when ``None``, notebook
    metadata overriding timeout and allow_errors).
    Returns ``(executed notebook, seconds, error class name or None, traceback text)``."""
    from contextlib import nullcontext
    from tempfile import TemporaryDirectory

    from jupyter_cache.executors.utils import single_nb_execution
    with (TemporaryDirectory() if cwd is None else nullcontext(cwd)) as folder:
        result = single_nb_execution(nb, cwd=os.path.abspath(folder), timeout=timeout,
                                     allow_errors=allow_errors, meta_override=True)
    error = None if result.err is None else type(result.err).__name__
    return result.nb, result.time, error, result.exc_string


def execution_jobs(config):
    """How many chapters run at once: ``gtp_execution_jobs``, or one per available core."""
    if config.gtp_execution_jobs:
        return int(config.gtp_execution_jobs)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:                  # not on Linux
        return os.cpu_count() or 1


def uncached_chapter(env, docname, cache):
    """``(notebook, nb_config, read_fmt)`` of ``docname`` as myst-nb's parser reads it
    (``myst_nb.sphinx_.Parser.parse``: its reader, kernel alias and the notebook's own
    ``mystnb`` settings), when myst-nb's cache mode would execute it; else ``None`` (not a
    notebook, excluded from execution, or already in the cache)."""
    from myst_nb.core.nb_to_tokens import nb_node_to_dict
    from myst_nb.core.read import create_nb_reader
    path = Path(env.doc2path(docname))
    nb_config = env.mystnb_config
    if not path.is_file() or any(PurePosixPath(path.as_posix()).match(p)
                                 for p in nb_config.execution_excludepatterns):
        return None
    text = path.read_text(encoding=env.config.source_encoding)
    reader = create_nb_reader(str(path), env.myst_config, nb_config, text)
    if reader is None:
        return None
    notebook = reader.read(text)
    kernel = notebook.metadata.get("kernelspec", {}).get("name")
    if kernel is not None:
        for rgx, alias in (nb_config.kernel_rgx_aliases or {}).items():
            if re.fullmatch(rgx, kernel):
                notebook.metadata["kernelspec"]["name"] = alias
                break
    if nb_config.metadata_key in notebook.metadata:
        overrides = nb_node_to_dict(notebook.metadata[nb_config.metadata_key])
        overrides.pop("output_folder", None)
        try:
            nb_config = nb_config.copy(**overrides)
        except Exception:                   # myst-nb warns about it while reading
            return None
    try:
        cache.match_cache_notebook(notebook)
        return None                         # cached: myst-nb will not execute it
    except KeyError:
        return notebook, nb_config, reader.read_fmt


def execute_chapters(app, env, docnames):
    """env-before-read-docs: execute the chapters that myst-nb would execute while reading,
    several at a time, into the same jupyter-cache, so that reading finds them all cached.

    Jupyter Book 1 (myst-nb, ``execute_notebooks: cache``) runs one notebook at a time
    while Sphinx reads the pages.  Here every chapter that is not in the cache is read as
    myst-nb reads it (``uncached_chapter``), staged and run as myst-nb's
    ``NotebookClientCache`` does (cwd = the chapter's folder unless ``run_in_temp``, the
    book's ``timeout`` and ``allow_errors``, this process's environment, so ``GTP_TWINS=1``)
    in ``execution_jobs`` worker processes, and the executed notebook is cached under the
    same key.  A chapter that fails here is not cached: myst-nb runs it again while reading
    its page and reports the failure exactly as without this step (the chapter's name, the
    traceback; the build fails with ``allow_errors: false``).
    """
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from multiprocessing import get_context

    nb_config = env.mystnb_config
    jobs = execution_jobs(app.config)
    if nb_config.execution_mode != "cache" or jobs < 2:
        return
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn
    from jupyter_cache.cache.db import NbProjectRecord
    cache = get_cache(nb_config.execution_cache_path or ".jupyter_cache")
    todo = {}
    for docname in docnames:
        chapter = uncached_chapter(env, docname, cache)
        if chapter is not None:
            todo[docname] = chapter
    if len(todo) < 2:
        return                              # nothing to gain over myst-nb's own run
    # Longest first, from the durations of earlier versions still in the cache (a fresh
    # cache keeps Sphinx's order): no worker is left alone with a long chapter at the end.
    earlier = {}
    for rec in sorted(cache.list_cache_records(), key=lambda r: r.created):
        earlier[rec.uri] = (rec.data or {}).get("execution_seconds") or 0.0
    todo = dict(sorted(todo.items(), key=lambda item: -earlier.get(
        str(env.doc2path(item[0])), math.inf)))
    LOGGER.info(f"executing {len(todo)} chapters, {min(jobs, len(todo))} at a time")
    start, cpu = perf_counter(), _children_cpu()
    # spawn, not fork: this process holds Sphinx's state and possibly threads.
    with ProcessPoolExecutor(min(jobs, len(todo)), mp_context=get_context("spawn")) as pool:
        runs = {}
        for docname, (notebook, config, read_fmt) in todo.items():
            path = Path(env.doc2path(docname))
            record = cache.add_nb_to_project(str(path), **({"read_data": read_fmt}
                                                           if read_fmt else {}))
            NbProjectRecord.remove_tracebacks([record.pk], cache.db)
            cwd = None if config.execution_in_temp else str(path.parent)
            future = pool.submit(_execute, notebook, cwd, config.execution_timeout,
                                 config.execution_allow_errors)
            runs[future] = docname, record
        for future in as_completed(runs):
            docname, record = runs[future]
            try:
                nb, seconds, error, _ = future.result()
            except Exception as exc:          # e.g. the kernel died: myst-nb reports it
                nb, seconds, error = None, 0.0, f"{type(exc).__name__}: {exc}"
            if error is not None:
                LOGGER.info(f"{docname}: execution failed ({error}); it runs again while "
                            f"its page is read, which reports the error")
                continue
            cache.cache_notebook_bundle(
                CacheBundleIn(nb, record.uri, data={"execution_seconds": seconds}),
                check_validity=False, overwrite=True)
            LOGGER.info(f"{docname}: executed in {seconds:.1f} s")
    LOGGER.info(f"executed {len(todo)} chapters in {perf_counter() - start:.1f} s "
                f"({_children_cpu() - cpu:.1f} s of CPU)")


def _children_cpu():
    """CPU seconds (user + system) of this process's finished child processes."""
    import resource
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def setup(app):
    # Chapters run several at a time before Sphinx reads them (one at a time otherwise).
    app.add_config_value("gtp_execution_jobs", 0, "")
    app.connect("env-before-read-docs", execute_chapters)
