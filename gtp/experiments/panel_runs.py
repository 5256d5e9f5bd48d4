"""Precomputed runs of the training panel: the tau x eta grid its static twin shows.

The rendered book has no kernel, so the training panel's twin (``gtp.twins.training_grid_spec``)
shows runs computed beforehand: the panel's default setting (``gtp.widgets.training.DEFAULTS``:
MNIST 784-100-10, GTP from the zero start, sigmoids, one Euler step, 50,000 examples, the
panel's default number of epochs, seed 0) at every tau of ``TAUS`` and eta of ``ETAS``.  Each
cell is trained exactly as the panel trains it (``make_config`` of the panel's settings, then
``run_training``, i.e. ``gtp.train.train`` with the panel's per-epoch callback), so its entries
hold the learning curves, the per-layer cosines with backprop and the accuracies the live
panel draws.  Every value of the grid is a value of the panel's log sliders, and the grid holds
the paper's tau and eta for this network (Table 1), which are also the panel's defaults.

One JSON file per cell, ``results/twins/<cell>.json`` (the training record without weights,
with provenance: git commit, command, date, machine, versions, data source), written
atomically (``gtp.results.save_record``).  The command resumes: a cell whose file holds a
finished run of the same configuration is not trained again::

    python -m gtp twins-precompute            # about 5 min of one core

Used in: book/training/train-yourself.md (through ``gtp.twins.training_grid_spec``).
"""
import json
import os
import sys
import time

from . import results as R
from .paper import RESULTS_ROOT

__all__ = ["TAUS", "ETAS", "FOLDER", "settings", "cell_name", "cell_path", "load_cell",
           "missing_cells", "precompute"]

#: tau values of the grid (values of the panel's tau slider; 400 is the paper's and the default)
TAUS = (1.0, 10.0, 100.0, 400.0, 1000.0)
#: eta values of the grid (values of the panel's eta slider; 0.01 is the paper's and the default)
ETAS = (0.001, 0.00316, 0.01, 0.0316, 0.1)
#: the folder of the runs under the results root
FOLDER = "twins"


def settings(tau, eta):
    """The panel's settings (keys of ``DEFAULTS``) of the cell (``tau``, ``eta``)."""
    from .widgets.training import DEFAULTS
    return dict(DEFAULTS, tau=float(tau), eta=float(eta))


def cell_name(tau, eta):
    """File stem of a cell, e.g. ``mnist-784-100-10-sigmoid-gtp-tau400-eta0.01-s0``."""
    s = settings(tau, eta)
    return (f"{s['dataset']}-{s['network']}-{s['acts']}-{s['rule']}-tau{float(tau):g}"
            f"-eta{float(eta):g}-s{s['seed']}")


def cell_path(tau, eta, root=None):
    """``<root>/twins/<cell>.json`` (``root``: the results folder, ``gtp.results_root()``)."""
    return os.path.join(root or RESULTS_ROOT, FOLDER, cell_name(tau, eta) + ".json")


def load_cell(tau, eta, root=None):
    """The stored record of the cell (``tau``, ``eta``); ``FileNotFoundError`` naming the
    command that writes it."""
    path = cell_path(tau, eta, root)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no precomputed panel run for tau={tau:g}, "
                                f"eta={eta:g}; run `python -m gtp twins-precompute`")
    return R.load_record(path)


def _is_done(path, cfg):
    """A finished or diverged run of ``cfg`` is stored at ``path``."""
    if not os.path.exists(path):
        return False
    rec = R.load_record(path)
    return rec.get("status") in ("finished", "diverged") and \
        rec.get("config") == json.loads(json.dumps(cfg.to_dict()))


def missing_cells(taus=TAUS, etas=ETAS, root=None):
    """The ``(tau, eta)`` cells of the grid without a finished run of the panel's setting."""
    from .widgets.training import make_config
    return [(t, e) for t in taus for e in etas
            if not _is_done(cell_path(t, e, root), make_config(settings(t, e)))]


def precompute(taus=TAUS, etas=ETAS, root=None, data=None, log=print, command=None):
    """Train every missing cell of ``taus`` x ``etas`` as the panel would and write its file.

    data: the splits (default: the panel's ``load_data``); command: recorded in the files'
    provenance (default: this process's command line).  Returns the list of file paths.
    """
    from .reproduce import _data_source
    from .widgets.training import load_data, make_config, run_training
    if command is None:
        command = " ".join(["python -m gtp"] + sys.argv[1:]) \
            if os.path.basename(sys.argv[0]) == "__main__.py" else " ".join(sys.argv)
    paths = []
    for tau in taus:
        for eta in etas:
            path = cell_path(tau, eta, root)
            paths.append(path)
            s = settings(tau, eta)
            cfg = make_config(s)
            if _is_done(path, cfg):
                log(f"{os.path.basename(path)}: done already")
                continue
            t0 = time.perf_counter()
            rec = run_training(cfg, data or load_data(cfg.dataset))
            rec["provenance"]["command"] = command
            R.save_record(path, rec, panel_settings=s, data_source=_data_source(cfg.dataset)
                          if data is None else None)
            last = rec["epochs"][-1]
            log(f"{os.path.basename(path)}: {rec['status']}, test accuracy "
                f"{100 * last.get('test_acc', float('nan')):.2f}% "
                f"({time.perf_counter() - t0:.1f} s)")
    return paths
