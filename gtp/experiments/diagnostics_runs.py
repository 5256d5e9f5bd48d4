"""Protocol v2 diagnostics: the Hebbian pull of GTP's chosen settings, measured on data.

For every row whose GTP search has finished (``gtp.experiments.protocol_v2``), the zero-start one-step
GTP update of each weight matrix W_l splits exactly into a scaled backprop term and the
activity (Hebbian) terms (``gtp.maths.decomposition``, Theory: GTP = backprop + Hebbian).  At the
chosen tau and activations we measure, per weight layer and averaged over the first
``n_probe`` validation examples, the backprop term's share of the update's norm
(``decomposition.term_shares``), the *Hebbian pull* ``(1 - share) / share`` (the size of
the Hebbian terms relative to the backprop term; 0 for the output layer, which has none)
and the cosine between the whole update and backprop's.  The per-layer learning rates
multiply both terms of a layer alike, so they do not enter.

Two sets of weights: the initialisation of seed 0 (``init_weights(sizes, "paper")``, as
the final runs start), and the weights after ``train_examples`` examples of training with
the chosen setting (seed 0, batch size 1, fast engine), where the pull is what training
meets.  Only the training and validation splits are loaded.

Command line (one core, a few minutes for all 16 rows)::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 nice -n 10 python -m gtp run diagnostics

writes ``results/v2/diagnostics.json`` atomically, with provenance; rows already in the
file with the same choice are kept, so rerunning after more searches finish adds the
new rows.  ``gtp.reports`` reads it for the verdict.
"""
import os

import numpy as np

from ..engine import records as R
from ..maths.decomposition import term_shares
from .plan_base import Plan, Progress

__all__ = ["PROBE", "diagnostics_path", "hebbian_pull", "row_diagnostics", "run", "load", "diagnose", "DiagnosticsPlan", "plan"]

#: how the pull is measured: validation examples averaged over, and training examples
#: (seed 0, one pass) before the second measurement
PROBE = {"n_probe": 256, "train_examples": 5000, "seed": 0}


def diagnostics_path(root=None):
    """``<root>/v2/diagnostics.json`` (default root: ``R.RESULTS_ROOT``)."""
    from .protocol_v2 import VERSION
    return os.path.join(root or R.RESULTS_ROOT, VERSION, "diagnostics.json")


def hebbian_pull(W, X, labels, tau, acts):
    """Per weight layer: ``{"backprop_share", "hebbian_pull", "cosine"}`` lists of the
    zero-start one-step GTP update at ``tau`` (``decomposition.term_shares``)."""
    W = [np.asarray(w, dtype=np.float64) for w in W]
    shares, cosines = term_shares(W, np.asarray(X, dtype=np.float64), labels, [float(tau)], acts)
    share = shares[0]
    return {"backprop_share": share.tolist(),
            "hebbian_pull": ((1 - share) / share).tolist(),
            "cosine": cosines[0].tolist()}


def row_diagnostics(row, choice, data=None, probe=None):
    """The measurements of one row at its GTP search's ``choice`` (the ``choice`` dict of
    ``results/v2/search/<row>-gtp.json``).  ``data``: ``{"train": (X, y), "validation":
    (X, y)}`` (default: loaded with ``gtp.data``)."""
    from ..engine.training import train
    from ..maths.initialisation import init_weights
    from .protocol_v1 import make_config
    p = dict(PROBE, **(probe or {}))
    if data is None:
        from .. import data as gdata
        data = {s: gdata.load(row.dataset, s) for s in ("train", "validation")}
    Xv, yv = data["validation"]
    Xv, yv = Xv[:p["n_probe"]], yv[:p["n_probe"]]
    ch = choice["changes"]
    tau, acts = ch["tau"], ch["acts"]
    out = {"dataset": row.dataset, "net": row.net, "tau": tau, "acts": acts, "eta": ch["eta"],
           "params": choice["params"], "probe": p}
    W0 = init_weights(list(row.sizes), "paper", rng=np.random.default_rng(p["seed"]))
    out["init"] = hebbian_pull(W0, Xv, yv, tau, acts)
    n = p["train_examples"]
    cfg = make_config(row, seed=p["seed"], epochs=1, n_train=n, n_eval_train=0, n_probe=0, **ch)
    rec = train(cfg, data={"train": (data["train"][0][:n], data["train"][1][:n]),
                           "validation": data["validation"], "test": None}, progress=False)
    out["trained"] = hebbian_pull(rec["weights"], Xv, yv, tau, acts)
    out["trained"]["status"] = rec["status"]
    return out


def load(root=None):
    """The stored diagnostics (``{"rows": {"<dataset> <net>": ...}, ...}``) or ``None``."""
    path = diagnostics_path(root)
    return R.read_result(path)


def run(root=None, rows=None, log=print, data_fn=None):
    """Measure every row (of ``rows``, default all 16) whose GTP search has finished and
    write ``results/v2/diagnostics.json``; rows stored with the same choice are kept.
    Returns the path."""
    from .protocol_v2 import Protocol
    plan = Protocol(rows, root=root or R.RESULTS_ROOT)
    old = load(root) or {}
    done = dict(old.get("rows", {}))
    for row in plan.rows:
        path = plan.search_path(row, "gtp")
        search = R.read_result(path)
        if search is None or "choice" not in search:
            continue
        choice = search["choice"]
        key = f"{row.dataset} {row.net}"
        if key in done and done[key]["params"] == choice["params"] and \
                done[key]["probe"] == PROBE:
            continue
        log(f"{key}: tau {choice['changes']['tau']:.4g}, acts {choice['changes']['acts']}")
        done[key] = row_diagnostics(row, choice, data=data_fn(row) if data_fn else None)
        # written after every row, atomically: an interrupted run keeps what it measured
        R.write_json(diagnostics_path(root), {"rows": done, "probe": PROBE,
                                               "provenance": R.provenance()})
    if not os.path.exists(diagnostics_path(root)):
        R.write_json(diagnostics_path(root), {"rows": done, "probe": PROBE,
                                               "provenance": R.provenance()})
    return diagnostics_path(root)


def diagnose(config, checkpoint_dir=None, data=None, splits=None):
    """A runner task's work (``dask_runner.Task.work``): :func:`row_diagnostics` of the row
    and choice in ``config`` (``{"row": {...}, "choice": {...}}``), run on a worker."""
    from ..maths.paper import find_row
    row = find_row(config["row"]["dataset"], config["row"]["sizes"])
    return {"key": f"{row.dataset} {row.net}",
            "diagnostics": row_diagnostics(row, config["choice"], data=data(row.dataset) if data else None)}


class DiagnosticsPlan(Plan):
    """Every row whose GTP search has finished and whose stored diagnostics are missing or of
    another choice, as runner tasks; each result is merged into ``diagnostics.json`` at once."""

    def __init__(self, root=None, rows=None):
        from .protocol_v2 import Protocol
        self.root = root or R.RESULTS_ROOT
        self.protocol = Protocol(rows, root=self.root)
        self.checkpoints = os.path.join(self.root, ".checkpoints", "diagnostics")
        self.rows = dict((load(self.root) or {}).get("rows", {}))

    def _wanted(self):
        """``[(row, choice, done)]`` of the rows whose search has finished."""
        out = []
        for row in self.protocol.rows:
            path = self.protocol.search_path(row, "gtp")
            search = R.read_result(path)
            if search is None or "choice" not in search:
                continue
            choice = search["choice"]
            old = self.rows.get(f"{row.dataset} {row.net}")
            out.append((row, choice, old is not None and old["params"] == choice["params"]
                        and old["probe"] == PROBE))
        return out

    def ready(self):
        import dataclasses

        from .dask_runner import Task
        return [Task(f"diagnostics-{row.dataset}-{row.net}", None,
                     {"row": dataclasses.asdict(row), "choice": choice}, work=diagnose,
                     splits=("train", "validation"))
                for row, choice, done in self._wanted() if not done]

    def progress(self):
        w = self._wanted()
        return Progress(len(self.protocol.rows), sum(done for _, _, done in w))

    def on_result(self, task, rec):
        self.rows[rec["key"]] = rec["diagnostics"]
        R.write_json(diagnostics_path(self.root), {"rows": self.rows, "probe": PROBE,
                                                   "provenance": R.provenance()})


def plan(root=None, rows=None, **options):
    """The Hebbian-pull diagnostics of v2's GTP choices (``results/v2/diagnostics.json``)."""
    return DiagnosticsPlan(root, rows, **options)
