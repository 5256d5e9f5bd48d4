"""Benchmark of gtp.data: first load and cached load of each data set (not a test).

    python benchmarks/bench_data.py [--datasets mnist fashion-mnist cifar-10] [--root DIR]

For each data set, in a fresh cache folder (a temporary one unless --root is given):

* first load: find the files (``$GTP_DATA_MIRROR``, else ``../shared/datasets`` beside the
  repository if it exists, else download), parse them and write the cache;
* cached load, new process: what a freshly started notebook pays (the time is measured inside
  the child process, so interpreter start-up and imports are excluded);
* cached load, same process: a repeated call in the same session.

Every timing loads all three splits as float32 arrays (``load(name, split)`` for train,
validation and test).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = """
import sys, time
from gtp import data
t = time.perf_counter()
for split in ("train", "validation", "test"):
    data.load(sys.argv[1], split, root=sys.argv[2])
print(time.perf_counter() - t)
"""


def load_all(name, root):
    from gtp import data
    t = time.perf_counter()
    for split in ("train", "validation", "test"):
        data.load(name, split, root=root)
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", nargs="+", default=["mnist", "fashion-mnist", "cifar-10"])
    ap.add_argument("--root", help="cache folder to fill (default: a temporary folder, removed afterwards)")
    args = ap.parse_args()
    shared = REPO.parent / "shared" / "datasets"
    if not os.environ.get("GTP_DATA_MIRROR") and shared.is_dir():
        os.environ["GTP_DATA_MIRROR"] = str(shared)
    print(f"GTP_DATA_MIRROR={os.environ.get('GTP_DATA_MIRROR', '(unset: downloading)')}")
    with tempfile.TemporaryDirectory(prefix="gtp-bench-data-") as tmp:
        root = args.root or tmp
        print(f"cache folder: {root}\n")
        print(f"{'data set':<15}{'first load':>12}{'cached, new process':>22}{'cached, same process':>23}{'cache size':>13}")
        for name in args.datasets:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                first = load_all(name, root)
            child = subprocess.run([sys.executable, "-W", "ignore", "-c", CHILD, name, root],
                                   capture_output=True, text=True, check=True)
            again = load_all(name, root)
            from gtp import data
            size = data.cache_path(name, root).stat().st_size / 2**20
            print(f"{name:<15}{first:>10.2f} s{float(child.stdout):>20.3f} s{again:>21.3f} s{size:>9.0f} MiB")


if __name__ == "__main__":
    main()
