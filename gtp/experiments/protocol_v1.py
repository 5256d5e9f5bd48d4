"""Reproduction of Tables 1-3 of the paper: the 16 rows, GTP and a backprop baseline.

Command line (``gtp/__main__.py``; see ``python -m gtp --help``)::

    python -m gtp run v1 --table 1 2 3
    python -m gtp summary

Every run of protocol v1 writes ``results/v1/table<k>/<run-id>.json`` (``DEFAULT_ROOT``;
atomically, after every epoch, with ``status`` "running" until it ends) and checkpoints its weights after every epoch into
``<checkpoint-root>/<run-id>/`` (default ``results/v1/.checkpoints``, ignored by git).  A run
whose JSON says "finished" or "diverged" is skipped; an unfinished one resumes from its
checkpoint.  ``run_jobs`` runs the jobs on Dask (``gtp.experiments.dask_runner``: an embedded local cluster,
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
import time

from ..engine import records as R
from ..engine.records import V1_ROOT
from ..engine.rules import baseline, studied
from ..engine.training import TrainConfig, load_splits, train
from ..maths.paper import ROWS, Row, rows_of
from .dask_runner import is_done
from .plan_base import Plan, Progress

__all__ = ["Row", "ROWS", "EPOCHS", "BP_ETAS", "VARIANTS", "SEARCH", "Job", "rows_of",
           "run_id", "make_config", "STUDIED", "BASELINE", "search_grid", "search_records", "search_score", "chosen",
           "build_jobs", "run_job", "run_jobs", "DEFAULT_ROOT", "V1Plan", "V1_TABLES", "V1_E20", "plan"]

#: the results folder of protocol v1 (``gtp.maths.paper.V1_ROOT``, ``results/v1``)
DEFAULT_ROOT = V1_ROOT
#: the rule the paper proposes and the registry's baseline it is compared with
STUDIED, BASELINE = studied().name, baseline().name

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


def _fmt(x):
    return f"{x:g}"


def run_id(row, rule, seed, variant="printed", extra=None):
    """File-name id, e.g. ``mnist-784-100-10-gtp-s0``, ``mnist-784-100-10-gtp-sigmoid-s0``,
    ``mnist-784-100-10-backprop-s0``; search runs add their settings (``extra``)."""
    parts = [row.dataset, row.net, rule]
    if rule != BASELINE and variant != "printed":
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
        return [(f"eta{_fmt(e)}", {"rule": BASELINE, "eta": e}) for e in BP_ETAS[row.dataset]]
    if kind == "gtp-search":
        out = []
        for acts in GTP_GRID["acts"]:
            for tf in GTP_GRID["tau_factor"]:
                for ef in GTP_GRID["eta_factor"]:
                    out.append((f"{acts}-tau{_fmt(row.tau * tf)}-eta{_fmt(row.eta * ef)}",
                                {"rule": STUDIED, "acts": acts, "tau": row.tau * tf,
                                 "eta": row.eta * ef}))
        return out
    raise ValueError(f"kind: expected 'bp-lr' or 'gtp-search', got {kind!r}")


def search_score(rec):
    """Validation accuracy at the selected epoch of a finished search run (-1 if none,
    ``None`` if the run is missing or unfinished)."""
    if rec is None or rec.get("status") not in ("finished", "diverged"):
        return None
    sel = rec.get("selection")
    return sel["val_acc_at_best"] if sel else -1.0


def search_records(kind, row, root=DEFAULT_ROOT):
    """``[(label, record or None), ...]`` of a search's grid for ``row``, in grid order."""
    out = []
    for label, changes in search_grid(kind, row):
        path = _result_path(root, "search", run_id(row, changes["rule"], SEARCH["seed"],
                                                   kind, label))
        out.append((label, R.read_result(path)))
    return out


def chosen(kind, row, root=DEFAULT_ROOT):
    """The settings (changes dict) a finished search chose for ``row``, or ``None`` if
    some of its runs are missing.  Best validation accuracy; ties go to the earlier grid
    entry (so the printed settings win a tie)."""
    best = None
    changes_of = dict(search_grid(kind, row))
    for label, rec in search_records(kind, row, root):
        changes = changes_of[label]
        s = search_score(rec)
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
        if self.rule == BASELINE:
            ch = chosen("bp-lr", self.row, root)
            if ch is None:
                return None
            return make_config(self.row, self.rule, self.seed, self.epochs, eta=ch["eta"])
        if self.variant == "tuned":
            ch = chosen("gtp-search", self.row, root)
            if ch is None:
                return None
            ch = {k: v for k, v in ch.items() if k not in ("search_label", "search_val_acc")}
            return make_config(self.row, seed=self.seed, epochs=self.epochs, **ch)
        return make_config(self.row, self.rule, self.seed, self.epochs, **VARIANTS[self.variant])


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
                jobs.append(Job(folder, run_id(row, STUDIED, seed, v, tag), row, STUDIED,
                                seed, v, epochs=epochs))
            if backprop:
                jobs.append(Job(folder, run_id(row, BASELINE, seed, extra=tag), row,
                                BASELINE, seed, epochs=epochs))
    return jobs


@functools.lru_cache(maxsize=2)
def _data(dataset):
    return load_splits(dataset)


_DATA = _data        # run_jobs lets the workers load the data themselves unless replaced


def _is_done(path, cfg=None):
    """A finished (with ``cfg.epochs`` epochs) or diverged run at ``path``."""
    return is_done(path, None if cfg is None else cfg.epochs)


def _data_source(dataset):
    """Where the data set's files came from (``gtp.data.cache_info``), if known."""
    try:
        from ..data import cache_info
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
    printed = make_config(job.row, job.rule, job.seed, job.epochs)
    if cfg.to_dict() != printed.to_dict():
        return False
    src = _result_path(root, job.table, run_id(job.row, job.rule, job.seed))
    if not _is_done(src, cfg):
        return False
    rec = R.read_result(src)
    if rec is None:
        return False
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
    elif job.rule == BASELINE:
        extra["eta_choice"] = chosen("bp-lr", job.row, root)
    elif job.variant == "tuned":
        extra["gtp_choice"] = chosen("gtp-search", job.row, root)
    return extra


class V1Plan(Plan):
    """Protocol v1's jobs as a plan for the runner: each job is ready once the search it
    depends on has finished; a "tuned" job whose chosen settings are the printed ones is
    copied from the printed run instead of trained (:func:`_reuse_printed`)."""

    def __init__(self, jobs, root=DEFAULT_ROOT, checkpoint_root=None, data_fn=None, log=print):
        self.jobs, self.root, self.data_fn, self.log = list(jobs), root, data_fn, log
        self.checkpoints = checkpoint_root or os.path.join(root, ".checkpoints")
        self.copied = []
        self._data = data_fn or (None if _data is _DATA else _data)

    def _done(self, job):
        return _is_done(_result_path(self.root, job.table, job.id), job.config(self.root))

    def ready(self):
        from .dask_runner import Task
        out = []
        for job in self.jobs:
            path, cfg = _result_path(self.root, job.table, job.id), job.config(self.root)
            if cfg is None or _is_done(path, cfg):
                continue
            if _reuse_printed(job, cfg, self.root, self.log):
                self.copied.append(job.id)
                continue
            out.append(Task(job.id, path, cfg.to_dict(), _extra(job, self.root, self.data_fn),
                            data=self._data, priority=-len(out)))
        return out

    def pending(self):
        return [job.id + ("" if job.config(self.root) else " (after its search)")
                for job in self.jobs if not self._done(job)]

    def progress(self):
        return Progress(len(self.jobs), sum(self._done(j) for j in self.jobs))

    def finish(self):
        left = [j.id for j in self.jobs if not self._done(j)]
        if left:
            return f"{len(left)} job(s) left: " + ", ".join(left[:5]) + (" ..." if len(left) > 5 else "")
        return None


def run_jobs(jobs, root=DEFAULT_ROOT, checkpoint_root=None, log=print, dry_run=False,
             progress=False, data_fn=None, scheduler=None, n_workers=None, client=None):
    """Run every job not yet done on Dask (``dask_runner.run``, through :class:`V1Plan`):
    finished jobs are skipped, unfinished ones resume from their checkpoint in
    ``<checkpoint_root>/<run id>/``, jobs waiting for a search start when it has finished.
    ``scheduler`` / ``n_workers`` / ``client``: the cluster (default: an embedded local one).
    ``data_fn(dataset)``: a picklable function returning the splits (default
    ``load_splits``).  Returns the number of runs done (trained or copied)."""
    from .dask_runner import run
    plan = V1Plan(jobs, root, checkpoint_root, data_fn, log)
    if dry_run:
        for line in plan.pending():
            log(f"would run {line}")
        return 0
    if not plan.ready():
        return len(plan.copied)
    stats = run(plan.ready, plan.checkpoints, scheduler=scheduler, n_workers=n_workers, client=client,
                log=log, progress=progress)
    line = plan.finish()
    if line:
        log(line)
    return stats["ran"] + len(plan.copied)


#: the experiments of protocol v1 (``catalogue``): the tables, and the 20-epoch budget check
V1_TABLES = dict(tables=(1, 2, 3), seeds=3, seeds_cifar=3, variants=("printed", "tuned"), backprop=True,
                 searches=("bp-lr", "gtp-search"))
V1_E20 = dict(tables=(1, 2, 3), seeds=1, variants=("printed", "tuned"), backprop=True, searches=(),
              epochs=20, nets=("784-500-500-10", "3072-500-500-10"), tag="e20")


def plan(root=None, rows=None, design=None, **options):
    """The plan of a v1 experiment (``design``: ``V1_TABLES`` or ``V1_E20``) on ``rows``
    (default: the design's) under the results folder ``root``."""
    d = dict(design or V1_TABLES)
    jobs = build_jobs(**d)
    if rows is not None:
        keep = {(r.dataset, r.net) for r in rows}
        jobs = [j for j in jobs if (j.row.dataset, j.row.net) in keep]
    return V1Plan(jobs, R.v1_root(root), **options)
