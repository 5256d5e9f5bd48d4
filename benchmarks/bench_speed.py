"""Speed of the training engine: GTP (gtp.engine.kernels) against PyTorch backprop, same machine, same run.

    python benchmarks/bench_speed.py [--threads 1] [--quick] [--out results.json]

Measures, on random inputs in [0, 1] (speed does not depend on the data):

1. batch 1: GTP (steps=1, zero start, float32, ReLU first layer + sigmoids) with
   ``gtp.engine.kernels.FastNet``; our numpy backprop on the same path; PyTorch backprop SGD
   (``nn.Linear(bias=False)`` layers, quadratic cost, ``loss.backward(); opt.step()``);
   the plain reference ``gtp.gtp_step`` (float32) for scale.  Networks 784-100-10,
   784-500-500-10, 3072-500-500-500-10.
2. batch 128: ``FastNet.step_batch`` against PyTorch mini-batch backprop.
3. GTP batch-1 time per example against the number of Euler steps (784-500-500-10) and
   against the hidden width (784-w-10).
4. Why ``FastNet`` keeps two sets of layer operations: one example through BLAS level 2
   (``step``: gemv, ger) against the same example as a mini-batch of one through level 3
   (``step_batch``: gemm).

Every timing is the fastest of ``--repeats`` passes over the same examples, after a warm-up
pass (the minimum is the least disturbed by other processes on a shared machine); ratios
are computed from timings taken in the same process, one network at a time.  The thread count is set
for OpenBLAS/OpenMP (environment, before numpy is imported) and for PyTorch
(``torch.set_num_threads``).  Without PyTorch the numpy numbers are printed alone.

The memory model printed beside the numbers: per example, layer l's matrix is read by the
forward gemv, read again by the gemv W_l^T delta (layers l >= 1, both for GTP's first Euler
step and for backprop), and read and written by the rank-one update; so about
4 * 4 bytes * (number of weights) move per example (3 passes for the first layer), and
every extra Euler step adds two more reads of W_l for l >= 1.
"""
import argparse
import json
import os
import sys
import time


def parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="fewer examples (a smoke run)")
    p.add_argument("--out", default=None, help="write the numbers as JSON here")
    p.add_argument("--readme", default=None, metavar="PATH",
                   help="rewrite the tables between this thread count's markers in PATH "
                        "(benchmarks/README.md): the published ratios come from this run")
    return p.parse_args()


ARGS = parse()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)

import numpy as np  # noqa: E402  (after the thread settings)

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import gtp  # noqa: E402
from gtp.engine.kernels import FastNet  # noqa: E402
from gtp.engine.records import cpu_model  # noqa: E402

try:
    import torch  # noqa: E402
    torch.set_num_threads(ARGS.threads)
except ImportError:  # optional benchmark-only dependency
    torch = None

NETS = [(784, 100, 10), (784, 500, 500, 10), (3072, 500, 500, 500, 10)]
TAU, ETA = 50.0, 0.001


def n_examples(sizes, batch=1):
    n = 600 if n_weights(sizes) > 500_000 else 2000
    if batch > 1:
        n = 128 * 40
    return max(n // 5, 256) if ARGS.quick else n


def data(sizes, n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, sizes[0]), dtype=np.float32), rng.integers(0, sizes[-1], n)


def timed(fn, n):
    """Fastest seconds per example over the repeats of ``fn()`` (which processes n examples)."""
    fn()                                            # warm-up
    ts = []
    for _ in range(ARGS.repeats):
        t = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t) / n)
    return min(ts)


def n_weights(sizes):
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def bytes_per_example(sizes, steps=1):
    """Weight bytes moved per example by the memory model of the module docstring."""
    tot = 0
    for l, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        passes = 3 if l == 0 else 4 + 2 * (steps - 1)
        tot += passes * 4 * a * b
    return tot


def fast_gtp(sizes, X, y, rule="gtp", steps=1, batch=1):
    W = gtp.init_weights(sizes, rng=1, dtype=np.float32)
    net = FastNet(W, "paper", rule, TAU, ETA, steps, "zero", batch_size=batch)
    order = np.arange(len(X))
    return lambda: net.run(X, y, order, batch_size=batch)


def reference_gtp(sizes, X, y):
    W = gtp.init_weights(sizes, rng=1, dtype=np.float32)

    def run():
        for i in range(len(X)):
            gtp.gtp_step(W, X[i], y[i], TAU, ETA, 1, "zero", "paper")
    return run


def torch_backprop(sizes, X, y, batch=1):
    layers = []
    for l, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [torch.nn.Linear(a, b, bias=False),
                   torch.nn.ReLU() if l == 0 and len(sizes) > 2 else torch.nn.Sigmoid()]
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    Xt = torch.from_numpy(X)
    T = torch.nn.functional.one_hot(torch.from_numpy(y), sizes[-1]).float()

    def run():
        for s in range(0, len(Xt), batch):
            out = model(Xt[s:s + batch])
            loss = 0.5 * ((out - T[s:s + batch]) ** 2).sum() / out.shape[0]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return run


def torch_manual(sizes, X, y, batch=1):
    """Backprop written by hand in PyTorch, without autograd (the stronger baseline of issue
    #28): the same float32 matrix products a hand-written numpy or C kernel would make."""
    gen = torch.Generator().manual_seed(1)
    W = [torch.randn(b, a, generator=gen) / a ** 0.5 for a, b in zip(sizes[:-1], sizes[1:])]
    relu0 = len(sizes) > 2
    Xt = torch.from_numpy(X)
    T = torch.nn.functional.one_hot(torch.from_numpy(y), sizes[-1]).float()

    def run():
        with torch.no_grad():
            for s in range(0, len(Xt), batch):
                ys, x = [], Xt[s:s + batch]
                for l, w in enumerate(W):
                    ys.append(x)
                    z = x @ w.T
                    x = torch.relu(z) if (l == 0 and relu0) else torch.sigmoid(z)
                fp = x * (1 - x)
                d = (T[s:s + batch] - x) * fp                    # -dC/dz of the output layer
                for l in range(len(W) - 1, -1, -1):
                    back = d @ W[l] if l else None
                    W[l].add_(d.T @ ys[l], alpha=0.1 / d.shape[0])
                    if l:
                        yl = ys[l]
                        back *= (yl > 0).float() if (l == 1 and relu0) else yl * (1 - yl)
                        d = back
    return run


def main():
    out = {"threads": ARGS.threads, "numpy": np.__version__,
           "torch": None if torch is None else torch.__version__, "cpu": cpu_model(),
           "batch1": [], "batch128": [], "steps": [], "width": []}
    print(f"threads={ARGS.threads} numpy={np.__version__} torch={out['torch']} cpu={out['cpu']}")

    print("\n## Batch 1 (microseconds per example; ratio = PyTorch time / GTP time)\n")
    print("| network | GTP fast | backprop fast (numpy) | PyTorch backprop | ratio | PyTorch by hand | ratio | "
          "GTP reference | weight MB/example | GB/s (GTP) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for sizes in NETS:
        n = n_examples(sizes)
        X, y = data(sizes, n)
        r = {"net": "-".join(map(str, sizes)), "n": n}
        r["gtp_fast_us"] = 1e6 * timed(fast_gtp(sizes, X, y), n)
        r["bp_fast_us"] = 1e6 * timed(fast_gtp(sizes, X, y, "backprop"), n)
        nref = min(n, 100 if n_weights(sizes) > 500_000 else 300)
        r["gtp_reference_us"] = 1e6 * timed(reference_gtp(sizes, X[:nref], y[:nref]), nref)
        r["torch_us"] = 1e6 * timed(torch_backprop(sizes, X, y), n) if torch else None
        r["ratio"] = r["torch_us"] / r["gtp_fast_us"] if torch else None
        r["torch_manual_us"] = 1e6 * timed(torch_manual(sizes, X, y), n) if torch else None
        r["ratio_manual"] = r["torch_manual_us"] / r["gtp_fast_us"] if torch else None
        r["mb_per_example"] = bytes_per_example(sizes) / 1e6
        r["gb_per_s"] = bytes_per_example(sizes) / (r["gtp_fast_us"] * 1e-6) / 1e9
        out["batch1"].append(r)
        print(f"| {r['net']} | {r['gtp_fast_us']:.1f} | {r['bp_fast_us']:.1f} | "
              f"{r['torch_us'] or float('nan'):.1f} | {r['ratio'] or float('nan'):.2f} | "
              f"{r['torch_manual_us'] or float('nan'):.1f} | {r['ratio_manual'] or float('nan'):.2f} | "
              f"{r['gtp_reference_us']:.1f} | {r['mb_per_example']:.2f} | {r['gb_per_s']:.1f} |",
              flush=True)

    print("\n## Batch 128 (microseconds per example; ratio = PyTorch time / GTP time)\n")
    print("| network | GTP fast | backprop fast (numpy) | PyTorch backprop | ratio | PyTorch by hand | ratio |")
    print("|---|---|---|---|---|---|---|")
    for sizes in NETS:
        n = n_examples(sizes, 128)
        X, y = data(sizes, n)
        r = {"net": "-".join(map(str, sizes)), "n": n}
        r["gtp_fast_us"] = 1e6 * timed(fast_gtp(sizes, X, y, batch=128), n)
        r["bp_fast_us"] = 1e6 * timed(fast_gtp(sizes, X, y, "backprop", batch=128), n)
        r["torch_us"] = 1e6 * timed(torch_backprop(sizes, X, y, 128), n) if torch else None
        r["ratio"] = r["torch_us"] / r["gtp_fast_us"] if torch else None
        r["torch_manual_us"] = 1e6 * timed(torch_manual(sizes, X, y, 128), n) if torch else None
        r["ratio_manual"] = r["torch_manual_us"] / r["gtp_fast_us"] if torch else None
        out["batch128"].append(r)
        print(f"| {r['net']} | {r['gtp_fast_us']:.2f} | {r['bp_fast_us']:.2f} | "
              f"{r['torch_us'] or float('nan'):.2f} | {r['ratio'] or float('nan'):.2f} | "
              f"{r['torch_manual_us'] or float('nan'):.2f} | {r['ratio_manual'] or float('nan'):.2f} |",
              flush=True)

    print("\n## GTP batch 1 against the number of Euler steps (784-500-500-10)\n")
    print("| steps | us/example | model MB/example | GB/s |")
    print("|---|---|---|---|")
    sizes = (784, 500, 500, 10)
    n = n_examples(sizes)
    X, y = data(sizes, n)
    for steps in (1, 2, 4, 8):
        t = 1e6 * timed(fast_gtp(sizes, X, y, steps=steps), n)
        mb = bytes_per_example(sizes, steps) / 1e6
        out["steps"].append({"steps": steps, "us": t, "mb_per_example": mb})
        print(f"| {steps} | {t:.1f} | {mb:.2f} | {mb * 1e6 / (t * 1e-6) / 1e9:.1f} |", flush=True)

    print("\n## GTP batch 1 against the hidden width (784-w-10)\n")
    print("| w | weights | us/example | model MB/example | GB/s |")
    print("|---|---|---|---|---|")
    for w in (50, 100, 200, 500, 1000, 2000):
        sizes = (784, w, 10)
        n = n_examples(sizes)
        X, y = data(sizes, n)
        t = 1e6 * timed(fast_gtp(sizes, X, y), n)
        mb = bytes_per_example(sizes) / 1e6
        out["width"].append({"width": w, "weights": n_weights(sizes), "us": t, "mb_per_example": mb})
        print(f"| {w} | {n_weights(sizes)} | {t:.1f} | {mb:.2f} | "
              f"{mb * 1e6 / (t * 1e-6) / 1e9:.1f} |", flush=True)

    print("\n## One example: BLAS level 2 (step) against level 3 (step_batch with b = 1)\n")
    print("| network | step (gemv/ger) us | step_batch b=1 (gemm) us | ratio |")
    print("|---|---|---|---|")
    out["level2_vs_level3"] = []
    for sizes in NETS[:2]:
        n = n_examples(sizes) // 2
        X, y = data(sizes, n)
        W = gtp.init_weights(sizes, rng=1, dtype=np.float32)
        net = FastNet(W, "paper", "gtp", TAU, ETA, 1, "zero")
        labels = y.tolist()

        def level2():
            for i in range(n):
                net.step(X[i], labels[i])

        def level3():
            for i in range(n):
                net.step_batch(X[i:i + 1], y[i:i + 1])
        r = {"net": "-".join(map(str, sizes)), "step_us": 1e6 * timed(level2, n),
             "step_batch_us": 1e6 * timed(level3, n)}
        out["level2_vs_level3"].append(r)
        print(f"| {r['net']} | {r['step_us']:.1f} | {r['step_batch_us']:.1f} | "
              f"{r['step_batch_us'] / r['step_us']:.2f} |", flush=True)

    if ARGS.out:
        with open(ARGS.out, "w") as f:
            json.dump(out, f, indent=1)
    if ARGS.readme:
        write_readme(ARGS.readme, out)


def readme_block(out):
    """The batch-1 and batch-128 tables of one run, with what they were measured with."""
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load = os.getloadavg()[0]
    lines = [f"### {out['threads']} thread(s): batch 1 and batch 128", "",
             f"Measured {when} by `python benchmarks/bench_speed.py --threads {out['threads']} --readme "
             f"benchmarks/README.md`: {out['threads']} thread(s), torch {out['torch']}, numpy {out['numpy']}, "
             f"{out['cpu']}, load average {load:.1f} when it ended. Ratios: PyTorch's time / GTP's "
             "(above 1: GTP's engine is faster).", "",
             "| network | batch | GTP fast | backprop fast (numpy) | PyTorch backprop (autograd, SGD) | ratio "
             "| PyTorch backprop by hand | ratio |", "|---|---|---|---|---|---|---|---|"]
    for batch, rows in (("1", out["batch1"]), ("128", out["batch128"])):
        for r in rows:
            lines.append(f"| {r['net']} | {batch} | {r['gtp_fast_us']:.2f} | {r['bp_fast_us']:.2f} | "
                         f"{r['torch_us']:.2f} | {r['ratio']:.2f} | {r['torch_manual_us']:.2f} | "
                         f"{r['ratio_manual']:.2f} |")
    summary = []
    for batch, rows in (("1", out["batch1"]), ("128", out["batch128"])):
        a = [r["ratio"] for r in rows]
        m = [r["ratio_manual"] for r in rows]
        summary.append(f"at batch {batch}, {min(a):.2f}x to {max(a):.2f}x PyTorch with autograd and "
                       f"{min(m):.2f}x to {max(m):.2f}x PyTorch by hand")
    lines += ["", "(µs per example, fastest of the repeats.) GTP's engine runs " + "; ".join(summary) + "."]
    return "\n".join(lines)


def write_readme(path, out):
    """Replace the text between ``<!-- bench_speed threads=N begin -->`` and its ``end`` marker."""
    if out["torch"] is None:
        sys.exit("--readme needs PyTorch (pip install torch): the published table compares against it")
    begin, end = f"<!-- bench_speed threads={out['threads']} begin -->", f"<!-- bench_speed threads={out['threads']} end -->"
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if begin not in text or end not in text:
        sys.exit(f"{path}: no '{begin}' ... '{end}' markers; add them where the tables go")
    head, rest = text.split(begin, 1)
    tail = rest.split(end, 1)[1]
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(f"{head}{begin}\n{readme_block(out)}\n{end}{tail}")
    os.replace(tmp, path)                            # atomic: a failed run leaves the old tables
    print(f"wrote the {out['threads']}-thread tables into {path}")


if __name__ == "__main__":
    main()
