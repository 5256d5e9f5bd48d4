"""Command line: ``python -m gtp list | run NAME | status [NAME ...] | summary [NAME]``.

    python -m gtp list                         # the experiments, what each runs, where it writes
    python -m gtp run v3                       # run what is left of protocol v3 (resumes)
    python -m gtp run v3 --table 1 --nets 784-500-500-10 --scheduler tcp://host:8786
    python -m gtp run v3 --dry-run             # the runs ready now, without running them
    python -m gtp status                       # every experiment: finished, left, hours left
    python -m gtp summary                      # paper | GTP, backprop (v2) | GTP (v1)
    python -m gtp summary v3                   # one experiment's table
    python -m gtp summary --write results/SUMMARY.md

Every experiment is a description in ``gtp.experiments.catalogue`` run by one runner on Dask
(an embedded local cluster with one single-threaded worker per core, or ``--scheduler``).
Finished runs are never run again; an interrupted run resumes from its last epoch.
"""
import argparse
import os
import re
import sys
import time
import warnings

__all__ = ["main", "parser"]

#: the verbs of earlier versions, and what replaced them
RENAMED = {"reproduce": "run v1", "search": "run v1", "protocol": "run v2", "relatives": "run relatives",
           "diagnostics": "run diagnostics", "twins-precompute": "run twins",
           "relatives-angles": "run relatives-angles"}


def _log(message):
    print(time.strftime("%H:%M:%S"), message, flush=True)


def parser():
    from .experiments.catalogue import names
    p = argparse.ArgumentParser(prog="python -m gtp", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    sub = p.add_subparsers(dest="command", required=True, metavar="{list,run,status,summary}")

    def root(q):
        q.add_argument("--root", default=None, help="the results folder (default: the repository's results/)")

    sub.add_parser("list", help="the experiments: rows, rules, search, seeds, epochs, folder")
    r = sub.add_parser("run", help="run what is left of an experiment on Dask (finished runs are skipped)")
    r.add_argument("name", choices=names(), metavar="NAME", help=f"the experiment: {', '.join(names())}")
    r.add_argument("--table", type=int, nargs="+", choices=(1, 2, 3), default=None,
                   help="only the rows of these tables (1 MNIST, 2 Fashion-MNIST, 3 CIFAR-10)")
    r.add_argument("--nets", nargs="+", default=None, metavar="NET",
                   help="only these networks, e.g. 784-500-500-10 (an unknown one is an error)")
    root(r)
    r.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="an existing Dask scheduler, e.g. tcp://host:8786 (default: an embedded local cluster)")
    r.add_argument("--workers", type=int, default=None, help="workers of the embedded cluster (default: one per core)")
    r.add_argument("--connect-timeout", type=float, default=10.0,
                   help="seconds to wait for --scheduler (default %(default)s)")
    r.add_argument("--checkpoints", default=None, metavar="DIR",
                   help="checkpoint folder (default: <results>/.checkpoints/<experiment>)")
    r.add_argument("--dry-run", action="store_true", help="list the runs ready now and exit")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    s = sub.add_parser("status", help="what is finished and what is left, with the hours left")
    s.add_argument("names", nargs="*", metavar="NAME", help="experiments (default: all)")
    root(s)
    s.add_argument("--workers", type=int, default=2, help="workers the estimate assumes (default 2)")
    m = sub.add_parser("summary", help="the results as tables (default: paper | v2 | v1)")
    m.add_argument("name", nargs="?", default=None, metavar="NAME",
                   help="one experiment's table: v1, v2, v3, relatives, relatives-v3")
    root(m)
    m.add_argument("--table", type=int, nargs="+", choices=(1, 2, 3), default=[1, 2, 3],
                   help="only these tables (1 MNIST, 2 Fashion-MNIST, 3 CIFAR-10)")
    m.add_argument("--last", action="store_true", help="test accuracy at the last epoch")
    m.add_argument("--write", default=None, metavar="PATH",
                   help="write the whole comparison as one Markdown page (results/SUMMARY.md)")
    return p


def _positive(value, what, minimum=1):
    if value is not None and value < minimum:
        raise ValueError(f"{what}: expected a number >= {minimum}, got {value}")


#: a Dask address: tcp://host:port, tls://host:port, inproc://..., or host:port
_ADDRESS = re.compile(r"^((tcp|tls|ucx|ws|wss)://)?(\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+):\d{1,5}$|^inproc://\S+$")


def _check_scheduler(address):
    if address is not None and not _ADDRESS.match(address):
        raise ValueError(f"--scheduler: {address!r} is not a Dask scheduler address; expected "
                         f"tcp://HOST:PORT, e.g. tcp://127.0.0.1:8786")


def _check_root(root):
    """``--root`` must name an existing folder (a typo must not read as "not started")."""
    if root is not None and not os.path.isdir(root):
        raise ValueError(f"--root: {root!r} is not a folder; give the results folder (e.g. results/) "
                         f"or leave --root out")


def _check_writable(folder, what):
    """Refuse to start a run that could not write its results: ``folder`` (or, if missing, the
    nearest folder above it, where it will be created) must be a writable folder.  Nothing
    is created here."""
    path = os.path.abspath(folder)
    while not os.path.exists(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    if not os.path.isdir(path):
        raise ValueError(f"{what}: cannot write to {folder} ({path} is a file, not a folder); move the "
                         f"file or choose another folder")
    if not os.access(path, os.W_OK | os.X_OK):
        raise ValueError(f"{what}: cannot write to {folder} (permission denied on {path}); make it "
                         f"writable or choose another folder")


def cmd_list(args):
    from .experiments.catalogue import EXPERIMENTS
    for e in EXPERIMENTS.values():
        rows = f"{len(e.rows)} rows" if e.rows else "a grid"
        print(f"{e.name}\n    {e.title}\n    results/{e.folder}/: {rows}; rules {', '.join(e.rules)}; "
              f"search: {e.search}; seeds {e.seeds}; epochs {e.epochs}")
    return 0


def cmd_run(args):
    from .experiments import catalogue as C
    _positive(args.workers, "--workers")
    if args.connect_timeout <= 0:
        raise ValueError(f"--connect-timeout: expected a positive number of seconds, got {args.connect_timeout}")
    _check_scheduler(args.scheduler)
    _check_root(args.root)
    exp = C.get(args.name)
    rows = C.select_rows(exp, args.table, args.nets)
    if not args.dry_run:
        from .engine.records import RESULTS_ROOT
        _check_writable(os.path.join(args.root or RESULTS_ROOT, exp.folder), "--root")
        if args.checkpoints:
            _check_writable(args.checkpoints, "--checkpoints")
    if args.dry_run:
        plan = C.make_plan(args.name, args.root, rows)
        plan.readonly = True
        pr, todo = plan.progress(), plan.pending()
        print(f"{args.name}: {pr.finished} of {pr.jobs} jobs finished; ready now: {len(todo)}")
        for t in todo:
            print("  ", t)
        return 0
    stats = C.run_experiment(args.name, args.root, rows, scheduler=args.scheduler, n_workers=args.workers,
                             connect_timeout=args.connect_timeout, checkpoints=args.checkpoints, log=_log,
                             progress=not args.no_progress)
    _log(f"done: {stats['ran']} run(s), {stats['skipped']} already done, {len(stats['failed'])} failed")
    return 1 if stats["failed"] else 0


def cmd_status(args):
    from .experiments import catalogue as C
    _positive(args.workers, "--workers")
    _check_root(args.root)
    for name in args.names or C.names():
        print(C.status_line(C.status(C.get(name).name, args.root, workers=args.workers)), flush=True)
    return 0


def cmd_summary(args):
    from . import reports
    from .engine.records import atomic_write
    _check_root(args.root)
    if args.write:
        _check_writable(os.path.dirname(os.path.abspath(args.write)), "--write")
        text = reports.summary_markdown(args.root, tuple(args.table))
        with atomic_write(args.write, "w", ".md") as f:
            f.write(text)
        print(f"wrote {args.write}")
        return 0
    print(reports.experiment_summary(args.name, args.root, last=args.last, tables=tuple(args.table)))
    return 0


COMMANDS = {"list": cmd_list, "run": cmd_run, "status": cmd_status, "summary": cmd_summary}


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Warnings of the library (a corrupt result file skipped, ...) as one line, no source."""
    print(f"warning: {message}", file=sys.stderr if file is None else file, flush=True)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in RENAMED:
        print(f"error: `python -m gtp {argv[0]}` is now `python -m gtp {RENAMED[argv[0]]}` "
              f"(see `python -m gtp list`)", file=sys.stderr)
        return 2
    try:
        args = parser().parse_args(argv)
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            code = COMMANDS[args.command](args)
        sys.stdout.flush()          # a closed pipe (| head) shows here, where it is handled
        return code
    except (ValueError, ConnectionError, OSError) as err:
        if isinstance(err, BrokenPipeError):
            return _broken_pipe()
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: finished runs are kept; run the same command again to resume", file=sys.stderr)
        return 130


def _broken_pipe():
    """``python -m gtp ... | head``: the reader left; stop quietly (no BrokenPipeError at exit)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 141
