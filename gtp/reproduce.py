"""Reproduction of Tables 1-3 of the paper: the 16 rows, GTP and a backprop baseline.

Command line (see ``python -m gtp --help``)::

    python -m gtp reproduce --table 1 2 3 --seeds 3 --seeds-cifar 1
    python -m gtp summary

Every run writes ``results/table<k>/<run-id>.json`` (atomically, after every epoch, with
``status`` "running" until it ends) and checkpoints its weights after every epoch into
``<checkpoint-root>/<run-id>/`` (default ``results/.checkpoints``, ignored by git).  A run
whose JSON says "finished" or "diverged" is skipped; an unfinished one resumes from its
checkpoint.  ``run_jobs`` runs the jobs on Dask (``gtp.runner``: an embedded local cluster,
or ``--scheduler ADDRESS``); the client writes each result file when its run ends
(``run_job`` runs one job in this process and writes the file after every epoch).

Settings per row (``ROWS``): the paper's network, tau and eta; the first hidden layer
ReLU and the others sigmoid ("paper" activations, section 4); zero start (Appendix D and
the authors' code); one Euler step; batch size 1; initialisation of section 3.2 (eq. 9-10
with the squared mean, ``init="paper"``); inputs divided by 255.  The number of epochs is
not printed in the paper: ``EPOCHS`` holds the budget used here, one per data set.

Variants of GTP (``VARIANTS``): "printed" (as above), "sigmoid" (sigmoid in every layer,
as in the authors' published code, same tau and eta) and "tuned" (the settings chosen for
that row by the validation search ``gtp-search``, see ``search_grid``).

Backprop baseline: SGD with batch size 1 on the same network, activations, initialisation,
cost (1/2 ||onehot - y_L||^2), data order and epochs; its learning rate is chosen per row
from ``BP_ETAS`` by the validation search ``bp-lr`` (``search_grid``).

Protocol: the epoch with the best validation accuracy is selected; test accuracy is
reported at that epoch and at the last; mean ± std over seeds.  Nothing is chosen on test.
"""
import dataclasses
import functools
import os
import sys
import time


from . import results as R
from .train import TrainConfig, load_splits, train

__all__ = ["Row", "ROWS", "EPOCHS", "BP_ETAS", "VARIANTS", "SEARCH", "Job", "rows_of",
           "run_id", "make_config", "search_grid", "chosen", "build_jobs", "run_jobs",
           "summary_data", "summary_table", "summary_markdown", "search_table",
           "DEFAULT_ROOT"]

DEFAULT_ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                            "results")


@dataclasses.dataclass(frozen=True)
class Row:
    table: int
    dataset: str
    sizes: tuple
    paper: float      # test accuracy printed in the paper, percent
    tau: float
    eta: float

    @property
    def net(self):
        return "-".join(map(str, self.sizes))


ROWS = [
    Row(1, "mnist", (784, 100, 10), 97.21, 400, 0.01),
    Row(1, "mnist", (784, 200, 10), 97.5, 400, 0.01),
    Row(1, "mnist", (784, 500, 10), 97.81, 400, 0.01),
    Row(1, "mnist", (784, 100, 100, 10), 97.31, 50, 0.001),
    Row(1, "mnist", (784, 500, 500, 10), 98.23, 50, 0.001),
    Row(1, "mnist", (784, 500, 500, 500, 10), 98.23, 25, 0.0005),
    Row(2, "fashion-mnist", (784, 100, 10), 87.03, 100, 0.01),
    Row(2, "fashion-mnist", (784, 500, 10), 87.29, 100, 0.01),
    Row(2, "fashion-mnist", (784, 100, 100, 10), 87.71, 25, 0.0005),
    Row(2, "fashion-mnist", (784, 500, 500, 10), 87.77, 25, 0.0005),
    Row(2, "fashion-mnist", (784, 100, 100, 100, 10), 87.92, 25, 0.000025),
    Row(3, "cifar-10", (3072, 100, 10), 42.30, 50, 0.001),
    Row(3, "cifar-10", (3072, 500, 10), 44.74, 50, 0.001),
    Row(3, "cifar-10", (3072, 100, 100, 10), 44.89, 50, 0.0001),
    Row(3, "cifar-10", (3072, 500, 500, 10), 47.06, 50, 0.0001),
    Row(3, "cifar-10", (3072, 500, 500, 500, 10), 47.11, 50, 0.000005),
]

#: epoch budget per data set (not given in the paper; see results/README.md)
EPOCHS = {"mnist": 6, "fashion-mnist": 6, "cifar-10": 6}

#: learning-rate grid of the backprop baseline per data set (validation search "bp-lr");
#: 0.003 was added for CIFAR-10 after 0.01, the smallest value, won on its first row
BP_ETAS = {"mnist": (0.01, 0.03, 0.1, 0.3, 1.0), "fashion-mnist": (0.01, 0.03, 0.1, 0.3, 1.0),
           "cifar-10": (0.003, 0.01, 0.03, 0.1, 0.3, 1.0)}

#: GTP variants: changes to the printed settings
VARIANTS = {"printed": {}, "sigmoid": {"acts": "sigmoid"}, "tuned": None}

#: validation searches: short runs on a training subset, seed 0, select on validation
SEARCH = {"n_train": 10000, "epochs": 3, "seed": 0}

#: GTP search grid ("gtp-search"): activations x tau factor x eta factor
GTP_GRID = {"acts": ("paper", "sigmoid"), "tau_factor": (1.0,), "eta_factor": (1.0, 0.25, 4.0)}


def rows_of(tables):
    """The rows of the given tables (1, 2, 3), in the paper's order."""
    return [r for r in ROWS if r.table in set(tables)]


def _fmt(x):
    return f"{x:g}"


def run_id(row, rule, seed, variant="printed", extra=None):
    """File-name id, e.g. ``mnist-784-100-10-gtp-s0``, ``mnist-784-100-10-gtp-sigmoid-s0``,
    ``mnist-784-100-10-backprop-s0``; search runs add their settings (``extra``)."""
    parts = [row.dataset, row.net, rule]
    if rule == "gtp" and variant != "printed":
        parts.append(variant)
    if extra:
        parts.append(extra)
    parts.append(f"s{seed}")
    return "-".join(parts)


def make_config(row, rule, seed, epochs=None, **changes):
    """TrainConfig of a row with the paper's settings, updated with ``changes``."""
    cfg = dict(dataset=row.dataset, sizes=row.sizes, acts="paper", rule=rule, start="zero",
               tau=row.tau, eta=row.eta, steps=1, epochs=epochs or EPOCHS[row.dataset],
               batch_size=1, seed=seed, init="paper", dtype="float32", engine="fast")
    cfg.update(changes)
    return TrainConfig(**cfg)


# --------------------------------------------------------------------------- searches
def search_grid(kind, row):
    """The ``(label, changes)`` pairs tried by a validation search for one row.

    ``bp-lr``: backprop with eta in ``BP_ETAS[row.dataset]``.  ``gtp-search``: GTP with
    ``GTP_GRID`` (activations, tau and eta multiplied by the factors).
    """
    if kind == "bp-lr":
        return [(f"eta{_fmt(e)}", {"rule": "backprop", "eta": e}) for e in BP_ETAS[row.dataset]]
    if kind == "gtp-search":
        out = []
        for acts in GTP_GRID["acts"]:
            for tf in GTP_GRID["tau_factor"]:
                for ef in GTP_GRID["eta_factor"]:
                    out.append((f"{acts}-tau{_fmt(row.tau * tf)}-eta{_fmt(row.eta * ef)}",
                                {"rule": "gtp", "acts": acts, "tau": row.tau * tf,
                                 "eta": row.eta * ef}))
        return out
    raise ValueError(f"kind: expected 'bp-lr' or 'gtp-search', got {kind!r}")


def _score(rec):
    """Validation accuracy at the selected epoch of a finished search run (-1 if none)."""
    if rec is None or rec.get("status") not in ("finished", "diverged"):
        return None
    sel = rec.get("selection")
    return sel["val_acc_at_best"] if sel else -1.0


def chosen(kind, row, root=DEFAULT_ROOT):
    """The settings (changes dict) a finished search chose for ``row``, or ``None`` if
    some of its runs are missing.  Best validation accuracy; ties go to the earlier grid
    entry (so the printed settings win a tie)."""
    best = None
    for label, changes in search_grid(kind, row):
        path = _result_path(root, "search", run_id(row, changes["rule"], SEARCH["seed"],
                                                   kind, label))
        rec = R.load_record(path) if os.path.exists(path) else None
        s = _score(rec)
        if s is None:
            return None
        if best is None or s > best[0]:
            best = (s, label, changes)
    return dict(best[2], search_label=best[1], search_val_acc=best[0])


# --------------------------------------------------------------------------- jobs
@dataclasses.dataclass
class Job:
    """One training run: its id, result path, config factory and dependencies."""
    table: str
    id: str
    row: Row
    rule: str
    seed: int
    variant: str = "printed"
    search: tuple = None          # (kind, label, changes) for a search run
    epochs: int = None

    def config(self, root):
        """TrainConfig, or ``None`` while the settings depend on an unfinished search."""
        if self.search is not None:
            _, _, changes = self.search
            return make_config(self.row, seed=self.seed, epochs=SEARCH["epochs"],
                               n_train=SEARCH["n_train"], **changes)
        if self.rule == "backprop":
            ch = chosen("bp-lr", self.row, root)
            if ch is None:
                return None
            return make_config(self.row, "backprop", self.seed, self.epochs, eta=ch["eta"])
        if self.variant == "tuned":
            ch = chosen("gtp-search", self.row, root)
            if ch is None:
                return None
            ch = {k: v for k, v in ch.items() if k not in ("search_label", "search_val_acc")}
            return make_config(self.row, seed=self.seed, epochs=self.epochs, **ch)
        return make_config(self.row, "gtp", self.seed, self.epochs, **VARIANTS[self.variant])


def _result_path(root, table, rid):
    return os.path.join(root, table, rid + ".json")


def build_jobs(tables, seeds, seeds_cifar=None, variants=("printed",), backprop=True,
               searches=("bp-lr",), epochs=None, nets=None, tag=None):
    """Job list: searches first (row by row), then the runs seed-major (every row's seed 0
    before any seed 1), each row's GTP variants then backprop.

    ``nets``: only the rows whose network (e.g. "784-500-500-10") is listed.  ``tag``: a
    separate set of runs (e.g. a longer budget with ``epochs``): results go to
    ``results/<tag>/`` and run ids end in ``-<tag>-s<seed>``; without a tag, ``epochs``
    larger than the budget *extends* the table runs from their checkpoints."""
    jobs = []
    rows = [r for r in rows_of(tables) if nets is None or r.net in set(nets)]
    for kind in searches:
        for row in rows:
            for label, changes in search_grid(kind, row):
                jobs.append(Job("search", run_id(row, changes["rule"], SEARCH["seed"], kind, label),
                                row, changes["rule"], SEARCH["seed"], search=(kind, label, changes)))
    n_max = max(seeds, seeds_cifar if seeds_cifar is not None else seeds)
    for seed in range(n_max):
        for row in rows:
            n = seeds_cifar if (row.dataset == "cifar-10" and seeds_cifar is not None) else seeds
            if seed >= n:
                continue
            folder = tag or f"table{row.table}"
            for v in variants:
                jobs.append(Job(folder, run_id(row, "gtp", seed, v, tag), row, "gtp",
                                seed, v, epochs=epochs))
            if backprop:
                jobs.append(Job(folder, run_id(row, "backprop", seed, extra=tag), row,
                                "backprop", seed, epochs=epochs))
    return jobs


@functools.lru_cache(maxsize=2)
def _data(dataset):
    return load_splits(dataset)


_DATA = _data        # run_jobs lets the workers load the data themselves unless replaced


def _is_done(path, cfg=None):
    if not os.path.exists(path):
        return False
    rec = R.load_record(path)
    if rec.get("status") == "diverged":
        return True
    if rec.get("status") != "finished":
        return False
    return cfg is None or rec["config"]["epochs"] >= cfg.epochs


def _data_source(dataset):
    """Where the data set's files came from (``gtp.data.cache_info``), if known."""
    try:
        from .data import cache_info
        return cache_info(dataset)
    except Exception:  # noqa: BLE001 - provenance only, never fatal
        return None


def run_job(job, root, checkpoint_root, log=print, progress=False, stop=None, data_fn=None):
    """Run (or resume) one job; writes its JSON after every epoch.  Returns the record.

    ``data_fn(dataset)`` returns the splits dict (default: ``gtp.data`` via a cache)."""
    cfg = job.config(root)
    path = _result_path(root, job.table, job.id)
    ckpt = os.path.join(checkpoint_root, job.id)
    extra = _extra(job, root, data_fn)
    t0 = time.time()

    def on_record(record):
        R.save_record(path, record, **extra)
        e = record["epochs"][-1]
        log(f"{job.id}: epoch {e['epoch']} val {e['val_acc']:.4f} "
            f"test {e.get('test_acc', float('nan')):.4f} "
            f"({e.get('examples_per_s') or 0:.0f} ex/s, {time.time() - t0:.0f} s)")

    rec = train(cfg, data=(data_fn or _data)(cfg.dataset), stop=stop, checkpoint_dir=ckpt,
                progress=progress, on_record=on_record)
    R.save_record(path, rec, **extra)
    log(f"{job.id}: {rec['status']}" + (f" ({rec['message']})" if rec["message"] else "") +
        (f"; selected epoch {rec['selection']['best_epoch']}, test "
         f"{rec['selection']['test_acc_at_best']:.4f}" if rec["selection"] else ""))
    return rec


def _reuse_printed(job, cfg, root, log):
    """A "tuned" run whose chosen settings are the printed ones is the printed run itself
    (same configuration and seed give bit-identical training): copy the finished printed
    result under the tuned id, marked ``same_as``, instead of training again."""
    if job.variant != "tuned" or job.search is not None:
        return False
    printed = make_config(job.row, "gtp", job.seed, job.epochs)
    if cfg.to_dict() != printed.to_dict():
        return False
    src = _result_path(root, job.table, run_id(job.row, "gtp", job.seed))
    if not _is_done(src, cfg):
        return False
    rec = R.load_record(src)
    rec.pop("_path", None)
    rec.update(run_id=job.id, variant="tuned", gtp_choice=chosen("gtp-search", job.row, root),
               same_as=os.path.basename(src)[:-5])
    R.write_json(_result_path(root, job.table, job.id), rec)
    log(f"{job.id}: the search chose the printed settings; copied {rec['same_as']}")
    return True


def _extra(job, root, data_fn):
    """Keys a job's result file gets besides the training record."""
    extra = {"run_id": job.id, "table": job.table, "variant": job.variant,
             "paper_row": dataclasses.asdict(job.row)}
    extra["data_source"] = _data_source(job.row.dataset) if data_fn is None else None
    if job.search is not None:
        extra["search"] = {"kind": job.search[0], "label": job.search[1]}
    elif job.rule == "backprop":
        extra["eta_choice"] = chosen("bp-lr", job.row, root)
    elif job.variant == "tuned":
        extra["gtp_choice"] = chosen("gtp-search", job.row, root)
    return extra


def run_jobs(jobs, root=DEFAULT_ROOT, checkpoint_root=None, log=print, dry_run=False,
             progress=False, data_fn=None, scheduler=None, n_workers=None, client=None):
    """Run every job not yet done on Dask (``gtp.runner.run``): finished jobs are skipped,
    unfinished ones resume from their checkpoint in ``<checkpoint_root>/<run id>/``, jobs
    waiting for a search start when it has finished.  ``scheduler`` / ``n_workers`` /
    ``client``: the cluster (default: an embedded local one).  ``data_fn(dataset)``: a
    picklable function returning the splits (default ``gtp.train.load_splits``).
    Returns the number of runs done (trained or copied)."""
    from .runner import Task, run
    checkpoint_root = checkpoint_root or os.path.join(root, ".checkpoints")
    if dry_run:
        for job in jobs:
            cfg = job.config(root)
            if not _is_done(_result_path(root, job.table, job.id), cfg):
                log(f"would run {job.id}" + ("" if cfg else " (after its search)"))
        return 0
    copied = []
    data = data_fn or (None if _data is _DATA else _data)

    def ready():
        out = []
        for job in jobs:
            path, cfg = _result_path(root, job.table, job.id), job.config(root)
            if cfg is None or _is_done(path, cfg):
                continue
            if _reuse_printed(job, cfg, root, log):
                copied.append(job.id)
                continue
            out.append(Task(job.id, path, cfg.to_dict(), _extra(job, root, data_fn), data=data,
                            priority=-len(out)))
        return out
    if not ready():
        return len(copied)
    stats = run(ready, checkpoint_root, scheduler=scheduler, n_workers=n_workers, client=client,
                log=log, progress=progress)
    left = [j.id for j in jobs if not _is_done(_result_path(root, j.table, j.id), j.config(root))]
    if left:
        log(f"{len(left)} job(s) left: " + ", ".join(left[:5]) + (" ..." if len(left) > 5 else ""))
    return stats["ran"] + len(copied)


# --------------------------------------------------------------------------- summary
def _collect(root):
    by = {}
    for rec in R.load_results(root):
        if rec.get("table", "").startswith("table"):
            key = (tuple(rec["paper_row"]["sizes"]), rec["paper_row"]["dataset"],
                   rec["config"]["rule"], rec.get("variant", "printed"))
            by.setdefault(key, []).append(rec)
    for recs in by.values():
        recs.sort(key=lambda r: r["config"]["seed"])
    return by


def _cell(recs, which="test_acc_at_best"):
    if not recs:
        return "-"
    done = [r for r in recs if r["status"] in ("finished", "diverged") and r.get("selection")]
    div = sum(r["status"] == "diverged" for r in recs)
    running = sum(r["status"] not in ("finished", "diverged") for r in recs)
    vals = [r["selection"][which] for r in done]
    seeds = sorted(r["config"]["seed"] for r in done)
    s = R.fmt_mean_std(vals)
    if seeds:
        s += " s" + ",".join(map(str, seeds))
    notes = []
    if div:
        notes.append(f"{div} diverged")
    if running:
        notes.append(f"{running} running")
    return s + (f" [{'; '.join(notes)}]" if notes else "")


def summary_data(root=DEFAULT_ROOT, tables=(1, 2, 3)):
    """The reproduction as data (for the book's tables and figures): one dict per row with
    the paper's values and, per method ("gtp-printed", "gtp-sigmoid", "gtp-tuned",
    "backprop"), the finished seeds' test accuracies at the selected epoch and at the
    last epoch, their mean and std (fractions, not percent), the seeds, the number of
    diverged and still-running runs, and the settings used (tau, eta, acts)."""
    by = _collect(root)
    out = []
    for row in rows_of(tables):
        d = {"table": row.table, "dataset": row.dataset, "net": row.net, "sizes": row.sizes,
             "tau": row.tau, "eta": row.eta, "paper": row.paper / 100, "methods": {}}
        keys = [("gtp-" + v, (row.sizes, row.dataset, "gtp", v)) for v in VARIANTS] + \
            [("backprop", (row.sizes, row.dataset, "backprop", "printed"))]
        for name, key in keys:
            recs = by.get(key)
            if not recs:
                continue
            done = [r for r in recs if r["status"] in ("finished", "diverged")
                    and r.get("selection")]
            best = [r["selection"]["test_acc_at_best"] for r in done]
            last = [r["selection"]["test_acc_last"] for r in done]
            c = recs[0]["config"]
            d["methods"][name] = {
                "seeds": [r["config"]["seed"] for r in done], "test_at_best": best,
                "test_last": last, "mean": R.aggregate(best)[0], "std": R.aggregate(best)[1],
                "mean_last": R.aggregate(last)[0], "std_last": R.aggregate(last)[1],
                "diverged": sum(r["status"] == "diverged" for r in recs),
                "running": sum(r["status"] not in ("finished", "diverged") for r in recs),
                "tau": c["tau"], "eta": c["eta"], "acts": c["acts"], "epochs": c["epochs"]}
        out.append(d)
    return out


def summary_table(root=DEFAULT_ROOT, tables=(1, 2, 3), variants=("printed", "sigmoid", "tuned"),
                  last=False):
    """Markdown tables: paper | GTP (ours, per variant) | backprop (ours); test accuracy in
    percent at the epoch selected on validation (``last=True``: at the last epoch),
    mean ± std (number of seeds) and the seeds."""
    by = _collect(root)
    which = "test_acc_last" if last else "test_acc_at_best"
    names = {1: "MNIST", 2: "Fashion-MNIST", 3: "CIFAR-10"}
    shown = [v for v in variants if any(k[2] == "gtp" and k[3] == v for k in by)] or ["printed"]
    lines = []
    for t in tables:
        lines.append(f"\nTable {t}: {names[t]} (test accuracy %, "
                     f"{'last epoch' if last else 'epoch selected on validation'})\n")
        head = ["network", "tau", "eta", "paper"] + [f"GTP {v} (ours)" for v in shown] + \
            ["backprop (ours)"]
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "---|" * len(head))
        for row in rows_of([t]):
            cells = [row.net, _fmt(row.tau), _fmt(row.eta), f"{row.paper:.2f}"]
            cells += [_cell(by.get((row.sizes, row.dataset, "gtp", v)), which) for v in shown]
            cells.append(_cell(by.get((row.sizes, row.dataset, "backprop", "printed")), which))
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def search_table(root=DEFAULT_ROOT, kind="bp-lr", tables=(1, 2, 3)):
    """Markdown table of a validation search: validation accuracy per grid point and row."""
    lines = []
    for row in rows_of(tables):
        grid = search_grid(kind, row)
        vals = []
        for label, changes in grid:
            p = _result_path(root, "search", run_id(row, changes["rule"], SEARCH["seed"], kind,
                                                    label))
            rec = R.load_record(p) if os.path.exists(p) else None
            s = _score(rec)
            vals.append("-" if s is None else ("diverged" if rec["status"] == "diverged"
                                               else f"{100 * s:.2f}"))
        ch = chosen(kind, row, root)
        lines.append(f"| {row.dataset} {row.net} | " + " | ".join(
            f"{lab}: {v}" for (lab, _), v in zip(grid, vals)) +
            f" | {ch['search_label'] if ch else '-'} |")
    return "\n".join(lines)


def main_reproduce(args):
    jobs = build_jobs(args.table, args.seeds, args.seeds_cifar, tuple(args.variants),
                      not args.no_backprop, tuple(args.search), args.epochs, args.nets, args.tag)
    log = lambda m: print(time.strftime("%H:%M:%S"), m, flush=True)  # noqa: E731
    n = run_jobs(jobs, args.root, args.checkpoint_root, log=log, dry_run=args.dry_run,
                 progress=args.progress, scheduler=getattr(args, "scheduler", None),
                 n_workers=getattr(args, "workers", None))
    log(f"done: {n} run(s) in this process")
    return 0


def summary_markdown(root=DEFAULT_ROOT, tables=(1, 2, 3)):
    """The whole reproduction as one Markdown page: tables at the selected epoch and at the
    last epoch, then both validation searches."""
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    parts = [f"# Reproduction summary\n\nGenerated by `python -m gtp summary --write` on "
             f"{stamp} from the result files; cells: mean ± std (number of seeds) and the "
             f"seeds; runs still in progress or diverged are noted in brackets.\n",
             "## Test accuracy at the epoch selected on validation",
             summary_table(root, tables),
             "\n## Test accuracy at the last epoch", summary_table(root, tables, last=True)]
    for kind, what in (("bp-lr", "backprop learning rate"),
                       ("gtp-search", "GTP settings")):
        parts += [f"\n## Validation search: {what} (`{kind}`; validation accuracy %, "
                  f"last column: the choice)\n", search_table(root, kind, tables)]
    return "\n".join(parts) + "\n"


def main_summary(args):
    if args.write:
        text = summary_markdown(args.root, tuple(args.table))
        with R.atomic_write(args.write, "w", ".md") as f:
            f.write(text)
        print(f"wrote {args.write}")
        return 0
    print(summary_table(args.root, tuple(args.table), last=args.last))
    return 0


def main_search(args):
    jobs = build_jobs(args.table, 0, None, (), False, (args.kind,))
    log = lambda m: print(time.strftime("%H:%M:%S"), m, flush=True)  # noqa: E731
    if not args.show:
        run_jobs(jobs, args.root, args.checkpoint_root, log=log, dry_run=args.dry_run,
                 scheduler=getattr(args, "scheduler", None), n_workers=getattr(args, "workers", None))
    print(search_table(args.root, args.kind, tuple(args.table)))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use: python -m gtp reproduce|summary|search")
