"""The package layout (CONTRIBUTING, "Where things go"): five wings whose imports point one
way, book -> reports -> experiments -> engine -> maths and data, with no import cycle and no
two modules sharing a stem.  Read from the code's own imports (``ast``), including imports
inside functions, so that the layout cannot decay silently."""
import ast
import os
from collections import defaultdict

import pytest

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "gtp")
#: rank of each wing: a module may import its own wing and the wings of lower rank, except
#: that maths and data (both rank 0) know nothing of each other
RANK = {"maths": 0, "data": 0, "engine": 1, "experiments": 2, "reports": 3, "book": 4}
#: the package's front doors: gtp/__init__ exposes the maths eagerly (and the engine lazily);
#: the command line may call any wing
TOP = {"gtp._version": -1, "gtp": 5, "gtp.__main__": 6, "gtp.cli": 6}
MAX_LINES = 500


def modules(root=ROOT):
    """``{module name: path}`` of every module of the package."""
    out = {}
    for folder, _, files in os.walk(root):
        for f in files:
            if f.endswith(".py"):
                path = os.path.join(folder, f)
                rel = os.path.relpath(path, os.path.dirname(root))[:-3].replace(os.sep, ".")
                out[rel[:-9] if rel.endswith(".__init__") else rel] = path
    return out


def imports(name, path, known):
    """The package modules ``name`` imports anywhere in its code (functions included)."""
    tree = ast.parse(open(path).read(), path)
    pkg = name if path.endswith("__init__.py") else name.rsplit(".", 1)[0]
    found = set()

    def add(target):
        while target and target not in known:
            target = target.rsplit(".", 1)[0] if "." in target else None
        if target and target != name:
            found.add(target)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "gtp":
                    add(a.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")[:len(pkg.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.split(".")[0] == "gtp":
                target = node.module
            else:
                continue
            for a in node.names:          # "from pkg import module" imports the module
                full = f"{target}.{a.name}"
                add(full if full in known else target)
    return found


def wing(name):
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in RANK else None


def rank(name):
    w = wing(name)
    return RANK[w] if w else TOP.get(name, 5)


def graph(root=ROOT):
    known = modules(root)
    return {m: imports(m, p, known) for m, p in known.items()}


def test_every_module_is_in_a_wing():
    stray = [m for m in modules() if wing(m) is None and m not in TOP]
    assert not stray, f"modules outside the five wings and data: {stray}"


def test_imports_point_one_way():
    bad = []
    for m, deps in graph().items():
        for d in deps:
            if m == "gtp" and wing(d) == "maths":
                continue
            up = rank(d) > rank(m)
            sideways = rank(d) == rank(m) == 0 and wing(d) != wing(m)
            if up or sideways or (d == "gtp" and m != "gtp"):
                bad.append(f"{m} imports {d}")
    assert not bad, "imports against the layout:\n" + "\n".join(sorted(bad))


def test_no_import_cycle():
    g = graph()
    state, stack, cycles = {}, [], []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for d in sorted(g.get(m, ())):
            if state.get(d) == 1:
                cycles.append(stack[stack.index(d):] + [d])
            elif d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(g):
        if m not in state:
            visit(m)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_no_two_modules_share_a_stem():
    stems = defaultdict(list)
    for m in modules():
        leaf = m.rsplit(".", 1)[-1]
        if m.count(".") >= 2 or leaf not in RANK:          # packages are named by their folder
            stems[leaf].append(m)
    shared = {s: ms for s, ms in stems.items() if len(ms) > 1 and s != "gtp"}
    assert not shared, f"modules sharing a stem: {shared}"


def test_no_module_over_500_lines():
    long = {m: n for m, p in modules().items() if (n := len(open(p).read().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines (split them by concern): {long}"


@pytest.mark.parametrize("case", ["up", "cycle", "sideways"])
def test_the_checks_catch_a_bad_layout(tmp_path, case):
    """The checks above fail on a package that breaks the rule they guard."""
    pkg = tmp_path / "gtp"
    for w in ("maths", "engine", "data"):
        (pkg / w).mkdir(parents=True)
        (pkg / w / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "engine" / "loop.py").write_text("from ..maths import algebra\n")
    body = {"up": "def f():\n    from ..engine import loop\n",
            "cycle": "from . import other\n", "sideways": "from ..data import registry\n"}[case]
    (pkg / "maths" / "algebra.py").write_text(body)
    (pkg / "maths" / "other.py").write_text("from . import algebra\n" if case == "cycle" else "")
    (pkg / "data" / "registry.py").write_text("")
    g = graph(str(pkg))
    if case == "cycle":
        assert {"gtp.maths.algebra", "gtp.maths.other"} <= set(g["gtp.maths.other"]) | {"gtp.maths.other"}
        assert "gtp.maths.other" in g["gtp.maths.algebra"]
    else:
        target = {"up": "gtp.engine.loop", "sideways": "gtp.data.registry"}[case]
        assert target in g["gtp.maths.algebra"]
        assert rank(target) > rank("gtp.maths.algebra") or wing(target) != "maths"
