"""Instructions per training example of ``gtp.engine.kernels.FastNet`` against an earlier commit's.

    python benchmarks/bench_instructions.py [--base e9aebbb] [--n 1000] [--nets 784-100-10 ...]

Wall-clock timings on a shared virtual machine move by 20-30 % between two passes a minute
apart (benchmarks/README.md), which hides a 5 % change.  ``valgrind --tool=callgrind``
counts executed instructions instead: the same binary, inputs and hash seed give the same
count whatever else the machine does.  For each network, rule and batch size this runs the
old and the new ``FastNet`` on the same random examples under callgrind, once without the
training loop and once with it, and reports the difference per example and the ratio
new/old.  The old ``FastNet`` is ``gtp/engine/kernels.py`` at ``--base``, imported beside the current
package (its relative imports made absolute).  Needs valgrind (Debian package ``valgrind``).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

CONFIGS = [(1, "gtp"), (1, "backprop"), (128, "gtp"), (128, "backprop")]


def worker(which, sizes, rule, batch, n, old_dir):
    """Build the network and, if CG_RUN=1, train one pass (the part that is counted)."""
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    sys.path.insert(0, old_dir)
    import numpy as np

    import gtp
    if which == "old":
        from old_fast import FastNet
    else:
        from gtp.engine.kernels import FastNet
    rng = np.random.default_rng(0)
    X = rng.random((n, sizes[0]), dtype=np.float32)
    y = rng.integers(0, sizes[-1], n)
    W = gtp.init_weights(list(sizes), rng=1, dtype=np.float32)
    net = FastNet(W, "paper", rule, 50.0, 0.001, 1, "zero", batch_size=batch)
    if os.environ.get("CG_RUN") == "1":
        net.run(X, y, np.arange(n), batch_size=batch)


def count(args):
    """Instructions of one worker process under callgrind."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                          sys.executable, __file__, "--worker", *map(str, args)],
                         env=env, capture_output=True, text=True, check=True)
    line = next(x for x in out.stderr.splitlines() if "Collected" in x)
    return int(line.split()[-1])


#: where the flat modules that gtp/fast.py imported live since the package has wings
FLAT = {"_checks": "maths.validation", "activations": "maths.activations", "targets": "maths.targets",
        "network": "maths.network", "rules": "maths.updates", "learning_rules": "engine.rules",
        "init": "maths.initialisation"}


def old_fastnet(root, base):
    """The source of ``FastNet`` at commit ``base`` with absolute imports of this checkout:
    ``gtp/engine/kernels.py`` (or ``gtp/fast.py`` before the package had wings)."""
    def show(path):
        return subprocess.run(["git", "-C", root, "show", f"{base}:{path}"], capture_output=True, text=True)
    new = show("gtp/engine/kernels.py")
    if new.returncode == 0:
        return new.stdout.replace("from ..", "from gtp.").replace("from .", "from gtp.engine.")
    old = show("gtp/fast.py")
    if old.returncode != 0:
        raise SystemExit(f"--base {base}: neither gtp/engine/kernels.py nor gtp/fast.py exists there")
    return re.sub(r"from \.(\w+)", lambda m: f"from gtp.{FLAT.get(m.group(1), m.group(1))}", old.stdout)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base", default="e9aebbb", help="commit whose FastNet is the reference")
    p.add_argument("--n", type=int, default=1000, help="examples per batch-1 run (x4 for batch 128)")
    p.add_argument("--nets", nargs="+", default=["784-100-10", "784-500-500-10"])
    p.add_argument("--worker", nargs=6, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:
        which, net, rule, batch, n, old_dir = a.worker
        return worker(which, tuple(map(int, net.split("-"))), rule, int(batch), int(n), old_dir)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "old_fast.py"), "w") as f:
            f.write(old_fastnet(root, a.base))
        print(f"instructions per example, FastNet at {a.base} (old) and in this checkout (new)")
        for net in a.nets:
            big = sum(int(s) for s in net.split("-")) > 1000
            for batch, rule in CONFIGS:
                n = (a.n // 5 if big else a.n) * (4 if batch > 1 else 1)
                per = {}
                for which in ("old", "new"):
                    args = (which, net, rule, batch, n, d)
                    os.environ["CG_RUN"] = "0"
                    base = count(args)
                    os.environ["CG_RUN"] = "1"
                    per[which] = (count(args) - base) / n
                print(f"{net:>16} {rule:>8} batch {batch:>3}: old {per['old'] / 1e3:8.1f}k  "
                      f"new {per['new'] / 1e3:8.1f}k  new/old {per['new'] / per['old']:.3f}",
                      flush=True)


if __name__ == "__main__":
    main()
