"""Command line: ``python -m gtp reproduce | summary | search | protocol | relatives | relatives-angles``.

    python -m gtp reproduce --table 1 2 3 --seeds 3 --seeds-cifar 1
    python -m gtp reproduce --table 1 --seeds 1 --variants sigmoid --no-backprop --search
    python -m gtp search --kind bp-lr --table 1
    python -m gtp summary            # paper | GTP and backprop (equal budget, v2) | GTP (v1)
    python -m gtp summary --write results/SUMMARY.md
    python -m gtp protocol           # protocol v2 (equal budget) on Dask, results/v2/
    python -m gtp relatives --budget # the same protocol for FA, DFA, DTP, TP: results/relatives/
    python -m gtp relatives-angles   # the book's short runs (angles to backprop), results/relatives/angles/
    python -m gtp protocol --rules fa dfa --nets 784-500-500-10 --table 1 --root results/relatives
    python -m gtp diagnostics        # the Hebbian pull of v2's GTP choices, results/v2/
    python -m gtp twins-precompute   # the training panel's runs for its static twin

Protocol v1 (``reproduce``, ``search``) reads and writes ``results/v1/`` (``paper.V1_ROOT``);
``summary``, ``protocol`` and ``diagnostics`` take the results folder itself (``results/``).
"""
import argparse
import sys
import time

from .engine.records import RESULTS_ROOT, atomic_write
from .experiments.protocol_v1 import DEFAULT_ROOT, VARIANTS, build_jobs, run_jobs
from .reports import protocol_report as report


def _log(message):
    print(time.strftime("%H:%M:%S"), message, flush=True)


def main_reproduce(args):
    jobs = build_jobs(args.table, args.seeds, args.seeds_cifar, tuple(args.variants),
                      not args.no_backprop, tuple(args.search), args.epochs, args.nets, args.tag)
    n = run_jobs(jobs, args.root, args.checkpoint_root, log=_log, dry_run=args.dry_run,
                 progress=args.progress, scheduler=args.scheduler, n_workers=args.workers)
    _log(f"done: {n} run(s) in this process")
    return 0


def main_summary(args):
    if args.write:
        text = report.summary_markdown(args.root, tuple(args.table))
        with atomic_write(args.write, "w", ".md") as f:
            f.write(text)
        print(f"wrote {args.write}")
        return 0
    rows = report.comparison_data(args.root, tuple(args.table))
    print(report.comparison_markdown(rows, last=args.last))
    return 0


def main_search(args):
    jobs = build_jobs(args.table, 0, None, (), False, (args.kind,))
    if not args.show:
        run_jobs(jobs, args.root, args.checkpoint_root, log=_log, dry_run=args.dry_run,
                 scheduler=args.scheduler, n_workers=args.workers)
    print(report.search_table(args.root, args.kind, tuple(args.table)))
    return 0


def _parser():
    p = argparse.ArgumentParser(prog="python -m gtp", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    def common(q, root=DEFAULT_ROOT):
        q.add_argument("--table", type=int, nargs="+", choices=(1, 2, 3), default=[1, 2, 3],
                       help="paper tables to use (1 MNIST, 2 Fashion-MNIST, 3 CIFAR-10)")
        q.add_argument("--root", default=root, help="results folder (default: %(default)s)")
        q.add_argument("--checkpoint-root", default=None,
                       help="checkpoint folder (default: <root>/.checkpoints)")

    def dask_options(q):
        q.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="address of an existing Dask scheduler (default: an embedded local "
                            "cluster, one single-threaded worker per core)")
        q.add_argument("--workers", type=int, default=None,
                       help="workers of the embedded cluster (default: one per core)")

    r = sub.add_parser("reproduce", help="run the table rows (skip finished, resume unfinished)")
    common(r)
    r.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 per row (default 3)")
    r.add_argument("--seeds-cifar", type=int, default=None,
                   help="seeds for the CIFAR-10 rows (default: --seeds)")
    r.add_argument("--variants", nargs="+", default=["printed"], choices=list(VARIANTS),
                   help="GTP variants to run (default: printed)")
    r.add_argument("--no-backprop", action="store_true", help="skip the backprop baseline")
    r.add_argument("--search", nargs="*", default=["bp-lr"], choices=("bp-lr", "gtp-search"),
                   help="validation searches to run first (default: bp-lr)")
    r.add_argument("--epochs", type=int, default=None,
                   help="override the per-data-set epoch budget (default: reproduce.EPOCHS)")
    r.add_argument("--nets", nargs="+", default=None, metavar="NET",
                   help="only these networks, e.g. 784-500-500-10 (default: every row)")
    r.add_argument("--tag", default=None,
                   help="a separate set of runs in results/<tag>/ with ids ending in -<tag> "
                        "(e.g. a longer --epochs budget)")
    r.add_argument("--dry-run", action="store_true", help="list the runs still to do")
    r.add_argument("--progress", action="store_true", help="show a progress bar of the jobs")
    dask_options(r)
    r.set_defaults(func=main_reproduce)

    s = sub.add_parser("summary", help="print paper | GTP and backprop (equal budget, v2) | "
                                       "GTP (printed settings, v1)")
    common(s, RESULTS_ROOT)
    s.add_argument("--last", action="store_true", help="test accuracy at the last epoch")
    s.add_argument("--write", default=None, metavar="PATH",
                   help="write the whole comparison (v2 with its verdict, then v1 with its "
                        "searches) as one Markdown page to PATH (results/SUMMARY.md)")
    s.set_defaults(func=main_summary)

    q = sub.add_parser("search", help="run or show a validation search")
    common(q)
    q.add_argument("--kind", choices=("bp-lr", "gtp-search"), default="bp-lr")
    q.add_argument("--show", action="store_true", help="only print the search table")
    q.add_argument("--dry-run", action="store_true")
    dask_options(q)
    q.set_defaults(func=main_search)

    from .engine.rules import get_rule, rule_names
    searchable = [n for n in rule_names() if get_rule(n).search is not None]

    def protocol_options(v, rules_default, rules_help):
        v.add_argument("--nets", nargs="+", default=None, metavar="NET",
                       help="only these networks, e.g. 784-500-500-10 (default: every row)")
        v.add_argument("--rules", nargs="+", default=rules_default, choices=searchable,
                       metavar="RULE", help=rules_help)
        dask_options(v)
        v.add_argument("--checkpoints", default=None, metavar="DIR",
                       help="checkpoint folder (default: <root>/.checkpoints/v2)")
        v.add_argument("--connect-timeout", type=float, default=10.0,
                       help="seconds to wait for --scheduler (default %(default)s)")
        v.add_argument("--no-progress", action="store_true", help="no progress bar")
        v.add_argument("--dry-run", action="store_true", help="list the jobs ready now")
        v.add_argument("--summary", action="store_true",
                       help="print the equal-budget table from the finished runs and exit")
        v.add_argument("--budget", action="store_true",
                       help="print the estimated cost (from the v1 runs) and exit")
        v.set_defaults(func=_protocol)

    v = sub.add_parser("protocol", help="protocol v2: equal-budget searches and final runs "
                                        "of GTP and backprop on Dask (results/v2/)")
    common(v, RESULTS_ROOT)
    protocol_options(v, None, f"rules to run (default: GTP and backprop; any of {searchable})")

    from .experiments.protocol_v2 import RELATIVES
    w = sub.add_parser("relatives", help="the v2 protocol for GTP's relatives (FA, DFA, DTP, "
                                         "TP) on their rows, into results/relatives/")
    common(w, RESULTS_ROOT)
    w.set_defaults(root=RELATIVES["root"])
    protocol_options(w, list(RELATIVES["rules"]),
                     f"rules to run (default: {' '.join(RELATIVES['rules'])})")

    d = sub.add_parser("diagnostics", help="measure the Hebbian pull of protocol v2's GTP choices "
                                           "(results/v2/diagnostics.json)")
    d.add_argument("--root", default=RESULTS_ROOT, help="results folder (default: %(default)s)")
    d.set_defaults(func=_diagnostics)

    t = sub.add_parser("twins-precompute",
                       help="the training panel's tau x eta runs shown by its static twin "
                            "(results/twins/, resumable)")
    t.add_argument("--root", default=RESULTS_ROOT, help="results folder (default: %(default)s)")
    t.add_argument("--dry-run", action="store_true", help="list the cells still to run")
    t.set_defaults(func=main_twins_precompute)

    from .experiments.relatives_angles import DEFAULT_ROOT as ANGLES_ROOT
    a = sub.add_parser("relatives-angles", help="the book's short runs of every rule on MNIST "
                                                "784-100-100-10 (angles to backprop), into "
                                                "results/relatives/angles/")
    a.add_argument("--root", default=ANGLES_ROOT, help="results folder (default: %(default)s)")
    a.set_defaults(func=_relatives_angles)

    return p


def _diagnostics(args):
    from .experiments.diagnostics_runs import run
    path = run(args.root, log=_log)
    print(f"wrote {path}")
    return 0


def main_twins_precompute(args):
    from .experiments import panel_runs
    if args.dry_run:
        for tau, eta in panel_runs.missing_cells(root=args.root):
            print(panel_runs.cell_path(tau, eta, args.root))
        return 0
    t0 = time.perf_counter()
    paths = panel_runs.precompute(root=args.root, log=_log)
    _log(f"done: {len(paths)} cells in {args.root}, {time.perf_counter() - t0:.0f} s")
    return 0


def _relatives_angles(args):
    from .experiments.relatives_angles import main
    return main(["--root", args.root])


def _protocol(args):
    from .experiments.protocol_v2 import main_protocol  # imports Dask only for this command
    return main_protocol(args)


def main(argv=None):
    args = _parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
