"""Packaging beyond pyproject.toml: the committed results ship inside the package.

The tables and sensitivity chapters read ``results/`` (one JSON file per training run or
grid).  A notebook copy on Colab has no checkout beside it, so a built ``gtp`` carries a copy
of those files as ``gtp/_results`` (``gtp.results_root`` finds it); the results then always
match the code they were installed with, offline too.  An editable install (``make setup``)
reads the checkout's ``results/`` directly and copies nothing.
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

RESULTS = Path(__file__).resolve().parent / "results"
SHIPPED = ("*.json", "*.md")          # run records, grids and their READMEs; no checkpoints


class build_py_with_results(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        dest = Path(self.build_lib) / "gtp" / "_results"
        for pattern in SHIPPED:
            for src in RESULTS.rglob(pattern):
                rel = src.relative_to(RESULTS)
                if "checkpoints" in rel.parts or ".checkpoints" in rel.parts:
                    continue
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dest / rel)


setup(cmdclass={"build_py": build_py_with_results})
