"""A small mutation check: apply one textual mutant at a time to the library, run the tests that
should catch it, and say which mutants survived (no test failed).  Each mutant is one line of
code changed the way a slip would change it; a surviving mutant is a line no test guards.

    .venv/bin/python scripts/mutate.py                 # every mutant below
    .venv/bin/python scripts/mutate.py --only is_done  # the mutants whose name holds "is_done"
    .venv/bin/python scripts/mutate.py --list          # the mutants, without running anything

Why not mutmut or cosmic-ray: both mutate whole modules and run the whole suite (or need it
mapped) for every mutant; on a 2-core machine shared with long runs we run the few tests that
guard each line, seconds per mutant.  The file is always restored (also on Ctrl-C).
Exit status: 0 when every mutant was killed, 1 otherwise.
"""
import argparse
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: (name, file, original text, mutated text, test files that must catch it)
MUTANTS = [
    # the eight survivors of the probe of issue #28
    ("atomic_write writes in place", "gtp/engine/records.py",
     'fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=d)',
     'tmp = os.path.abspath(path); fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)',
     ["tests/test_failsafe.py"]),
    ("is_done ignores the epoch budget", "gtp/experiments/dask_runner.py",
     'return epochs is None or rec.get("config", {}).get("epochs", 0) >= epochs', "return True",
     ["tests/test_mutants.py"]),
    ("still_rising with slope >= 0", "gtp/experiments/search_design.py",
     "np.asarray(v, float), 1)[0] > 1e-12)", "np.asarray(v, float), 1)[0] >= 0)", ["tests/test_mutants.py"]),
    ("channel_norms doubled", "gtp/maths/decomposition.py", "    return norms / len(X)",
     "    return 2 * norms / len(X)", ["tests/test_mutants.py"]),
    ("DFA feedback variance from W_0", "gtp/engine/rules/dfa.py", "layer_variances(sizes, cfg.init)[-1]",
     "layer_variances(sizes, cfg.init)[0]", ["tests/test_mutants.py"]),
    ("DTP/TP kernel ignores sigma", "gtp/engine/rules/dtp.py", 'r *= p["sigma"]', "r *= 1.0",
     ["tests/test_mutants.py"]),
    ("DTP/TP reference ignores sigma", "gtp/maths/relatives_maths.py", "r = y + sigma * eps", "r = y + eps",
     ["tests/test_mutants.py"]),
    ("per-layer grid trains (tau2, tau1)", "gtp/experiments/sensitivity_grids.py",
     "TrainConfig(**dict(base, tau=t, eta=e))",
     "TrainConfig(**dict(base, tau=tuple(t)[::-1] if isinstance(t, tuple) else t, eta=e))",
     ["tests/test_mutants.py"]),
    ("GTP angle deltas ignore cfg.steps", "gtp/engine/rules/gtp.py",
     "targets(W, zs, ys, label, cfg.tau, cfg.steps, cfg.start, cfg.acts)",
     "targets(W, zs, ys, label, cfg.tau, 1, cfg.start, cfg.acts)", ["tests/test_mutants.py"]),
    # the fail-safe lines of issue #28
    ("an empty {} result counts as a record", "gtp/engine/records.py",
     "if not isinstance(rec, dict) or not rec:", "if not isinstance(rec, dict):", ["tests/test_failsafe.py"]),
    ("a corrupt result file is read, not skipped", "gtp/engine/records.py",
     "        rec = read_result(p)\n", "        rec = load_record(p)\n", ["tests/test_failsafe.py"]),
    ("no previous checkpoint kept", "gtp/engine/checkpoints.py",
     "os.replace(path, os.path.join(checkpoint_dir, PREVIOUS_NAME))", "os.remove(path)",
     ["tests/test_failsafe.py"]),
    ("NaN checkpoints accepted", "gtp/engine/checkpoints.py", 'if bad and rec.get("status") != "diverged":',
     "if False:", ["tests/test_failsafe.py"]),
    ("unknown config keys dropped", "gtp/engine/train_config.py", "        if unknown:\n",
     "        if False:\n", ["tests/test_failsafe.py"]),
    ("integer images accepted", "gtp/engine/train_config.py", "        if np.issubdtype(X.dtype, np.integer):\n",
     "        if False:\n", ["tests/test_failsafe.py"]),
    ("sizes rounded", "gtp/engine/train_config.py", "(isinstance(v, (float, np.floating)) and float(v).is_integer())",
     "isinstance(v, (float, np.floating))", ["tests/test_failsafe.py"]),
    ("NaN weights reported as divergence", "gtp/maths/updates.py",
     "    check_finite_weights(W)              # bad input", "    pass              # bad input",
     ["tests/test_failsafe.py"]),
    ("integer weights accepted", "gtp/maths/validation.py", "        if not np.issubdtype(w.dtype, np.floating):\n",
     "        if False:\n", ["tests/test_failsafe.py"]),
    ("FastNet.step unchecked", "gtp/engine/kernels.py", "        self._check(x, label, 1)\n", "",
     ["tests/test_failsafe.py"]),
    ("panel start without the lock", "gtp/book/panel_base.py",
     "        with self._run_lock:\n            if self._running:",
     "        if True:\n            if self._running:", ["tests/test_failsafe.py"]),
    ("--root not checked", "gtp/cli.py", "if root is not None and not os.path.isdir(root):", "if False:",
     ["tests/test_failsafe.py"]),
    ("a malformed --scheduler passes", "gtp/cli.py", "if address is not None and not _ADDRESS.match(address):",
     "if False:", ["tests/test_failsafe.py"]),
    ("worker losing its scheduler goes on", "gtp/experiments/dask_runner.py",
     'self.lost = status not in ("running", "paused", "closing_gracefully", "init", "undefined")', "self.lost = False",
     ["tests/test_failsafe.py"]),
    ("a killed checkpointed job is not retried", "gtp/experiments/dask_runner.py",
     "                if retry(task, err):\n", "                if False:\n", ["tests/test_failsafe_cluster.py"]),
    # tau's cap and the gains (validation.check_tau)
    ("tau cap not enforced", "gtp/maths/validation.py", "        if t > TAU_MAX:\n", "        if False:\n",
     ["tests/test_failsafe.py", "tests/test_core.py"]),
    ("tau cap exclusive", "gtp/maths/validation.py", "        if t > TAU_MAX:\n", "        if t >= TAU_MAX:\n",
     ["tests/test_failsafe.py"]),
    ("tau product unchecked", "gtp/maths/validation.py", "    if prod > GAIN_MAX:\n", "    if False:\n",
     ["tests/test_failsafe.py"]),
    ("tau gain without eta", "gtp/maths/validation.py", "gain = etas[l] * math.prod(taus[l:L - 1])",
     "gain = math.prod(taus[l:L - 1])", ["tests/test_failsafe.py"]),
    ("tau gain one tau short", "gtp/maths/validation.py", "gain = etas[l] * math.prod(taus[l:L - 1])",
     "gain = etas[l] * math.prod(taus[l + 1:L - 1])", ["tests/test_failsafe.py"]),
    ("tau unchecked in euler_target", "gtp/maths/targets.py", "    tau = check_tau(tau, 1)[0]\n", "",
     ["tests/test_failsafe.py"]),
    ("tau gains unchecked in gtp_updates", "gtp/maths/updates.py", "check_tau(tau, len(W), etas)",
     "check_tau(tau, len(W))", ["tests/test_core.py"]),
    ("tau unchecked in FastNet", "gtp/engine/kernels.py",
     'self.taus = (check_tau(tau, self.L, self.etas) if self.rule_entry.uses("tau")',
     'self.taus = (per_layer(tau, max(self.L - 1, 1), "tau") if self.rule_entry.uses("tau")',
     ["tests/test_failsafe.py"]),
    ("tau unchecked in TrainConfig", "gtp/engine/train_config.py", "        if self.tau is not None:            #",
     "        if False:            #", ["tests/test_failsafe.py"]),
    ("backprop's eta held to tau's gains", "gtp/engine/train_config.py",
     'check_tau(self.tau, L, self.eta if get_rule(self.rule).uses("tau") else None)',
     "check_tau(self.tau, L, self.eta)", ["tests/test_failsafe.py"]),
    ("tau unchecked in term_shares", "gtp/maths/decomposition.py",
     "taus = np.asarray([check_tau(t, L)[0] for t in np.ravel(taus)])", "taus = np.asarray(taus, dtype=float)",
     ["tests/test_failsafe.py"]),
    # Ctrl-C on a Dask run (gtp.experiments.interrupts)
    ("interrupt: close not held", "gtp/experiments/dask_runner.py", "with interrupts_held(), quiet(interrupted):",
     "with quiet(interrupted):", ["tests/test_interrupt.py"]),
    ("interrupt: no worker preload", "gtp/experiments/dask_runner.py",
     '                               preload=["gtp.experiments.interrupts"],      # workers ignore SIGINT\n', "",
     ["tests/test_failsafe_cluster.py::test_the_embedded_clusters_workers_never_see_sigint"]),
    ("interrupt: workers born with SIGINT", "gtp/experiments/dask_runner.py", "    with sigint_blocked():\n",
     "    if True:\n", ["tests/test_failsafe_cluster.py::test_the_embedded_clusters_workers_never_see_sigint"]),
    ("interrupt: resource tracker started late", "gtp/experiments/interrupts.py",
     "    resource_tracker.ensure_running()\n", "",
     ["tests/test_failsafe_cluster.py::test_the_embedded_clusters_workers_never_see_sigint"]),
    ("interrupt: workers keep SIGINT", "gtp/experiments/interrupts.py",
     "        signal.signal(signal.SIGINT, signal.SIG_IGN)\n", "        pass\n",
     ["tests/test_failsafe_cluster.py::test_the_embedded_clusters_workers_never_see_sigint"]),
    ("interrupt: held SIGINT dropped", "gtp/experiments/interrupts.py", "\n    if caught:\n        raise KeyboardInterrupt\n",
     "\n    pass\n", ["tests/test_interrupt.py::test_interrupts_held_raise_once_the_block_is_done"]),
    ("interrupt: cut-short start raised as itself", "gtp/experiments/interrupts.py",
     "            raise KeyboardInterrupt from None\n", "            raise\n",
     ["tests/test_interrupt.py::test_interrupts_held_raise_once_the_block_is_done"]),
    ("interrupt: close-cancel warning shown", "gtp/experiments/interrupts.py",
     '    logging.getLogger("distributed.worker.state_machine").addFilter(_not_a_close_cancel)\n', "",
     ["tests/test_interrupt.py"]),
    # figures and panels: the plotted values
    ("figure: cosines drawn as shares", "gtp/book/figures_theory.py", "a2.semilogx(taus, cosines[:, l], **kw)",
     "a2.semilogx(taus, shares[:, l], **kw)", ["tests/test_theory_figures.py"]),
    ("figure: tau grid against time", "gtp/book/figures_theory.py", 'scale = r["tau"] if per_step else 1.0',
     "scale = 1.0", ["tests/test_theory_figures.py"]),
    ("figure: cosine grid one layer", "gtp/book/figures_theory.py", "grids[start][s, :, l]", "grids[start][s, :, 0]",
     ["tests/test_theory_figures.py"]),
    ("figure: eq. 36 average is neuron 1", "gtp/book/figures_theory.py",
     'marks["their average (eq. 36)"] = (per.mean(),', 'marks["their average (eq. 36)"] = (per[0],',
     ["tests/test_theory_figures.py"]),
    ("figure: minimiser at the last target", "gtp/book/figures_theory.py",
     'self.minimiser.set_ydata([r["y_star"], r["y_star"]])', 'self.minimiser.set_ydata([r["path"][-1]] * 2)',
     ["tests/test_theory_figures.py"]),
    ("figure: cost drawn in %", "gtp/book/figures_training.py", 'scale = 100 if metric == "acc" else 1',
     "scale = 100", ["tests/test_training_figures.py"]),
    ("figure: ridge takes the worst eta", "gtp/book/figures_training.py", "cols[int(np.nanargmax(acc[i]))]",
     "cols[int(np.nanargmin(acc[i]))]", ["tests/test_training_figures.py"]),
    ("figure: cell curve as a fraction", "gtp/book/figures_training.py", "100 * np.asarray(acc, dtype=float)",
     "np.asarray(acc, dtype=float)", ["tests/test_training_figures.py"]),
    ("figure: gap mean is the first seed", "gtp/book/figures_training.py", 'ax.plot([cell["mean"]], [y0 + off], "o"',
     'ax.plot([cell["values"][0]], [y0 + off], "o"', ["tests/test_training_figures.py"]),
    ("panel: readout shows tau, not tau / limit", "gtp/book/panels_theory.py", 'ratio = r["tau"] / r["tau_limit"]',
     'ratio = r["tau"]', ["tests/test_theory_widgets.py"]),
    ("panel: cosines at one step", "gtp/book/panels_theory.py", "[self.tau.value],\n                                        [self.steps.value]",
     "[self.tau.value],\n                                        [1]", ["tests/test_theory_widgets.py"]),
    ("panel: training note shows eta as tau", "gtp/book/panels_training.py", "τ={cfg.tau:g}", "τ={cfg.eta:g}",
     ["tests/test_training_widgets.py::test_extreme_slider_values_never_raise"]),
]


def run_one(name, path, old, new, tests, python):
    full = os.path.join(ROOT, path)
    with open(full, encoding="utf-8") as f:
        text = f.read()
    if text.count(old) != 1:
        return "stale"                     # the line moved: update the mutant
    try:
        with open(full, "w", encoding="utf-8") as f:
            f.write(text.replace(old, new))
        p = subprocess.run([python, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests], cwd=ROOT,
                           capture_output=True, text=True)
        return "killed" if p.returncode != 0 else "SURVIVED"
    finally:
        with open(full, "w", encoding="utf-8") as f:
            f.write(text)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default="", help="run the mutants whose name holds this text")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = ap.parse_args(argv)
    chosen = [m for m in MUTANTS if args.only in m[0]]
    if args.list:
        for m in chosen:
            print(f"{m[0]:<45} {m[1]}")
        return 0
    results = []
    for name, path, old, new, tests in chosen:
        t0 = time.time()
        verdict = run_one(name, path, old, new, tests, sys.executable)
        results.append(verdict)
        print(f"{verdict:<9} {name}  ({path}, {time.time() - t0:.0f} s)", flush=True)
    killed = results.count("killed")
    print(f"{killed} of {len(results)} mutants killed")
    return 0 if killed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
