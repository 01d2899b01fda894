"""The import structure: no cycles (not even behind function-level imports), and no
private name taken from another package.

Every module of ``skbpnet/`` is parsed, never imported: the graph has an edge for
every import statement, at module level or inside a function, to the module
imported and to each package on its path that the importer is not already inside
(importing ``skbpnet._solvers.threads`` runs ``skbpnet/_solvers/__init__.py``).
The packages are ``skbpnet.nn``, ``skbpnet.io``, ``skbpnet.cli``,
``skbpnet._solvers`` and the top level.
"""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent / "skbpnet"
PACKAGES = ("skbpnet.nn", "skbpnet.io", "skbpnet.cli", "skbpnet._solvers")


def _modules(root=ROOT):
    """``{dotted name: (path, is_package)}`` of every module under ``root``."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = ["skbpnet", *path.relative_to(root).with_suffix("").parts]
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def _imports(name, path, is_package, modules):
    """``(lineno, target module, imported name or None)`` of every skbpnet import in a module."""
    here = name.split(".") if is_package else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "skbpnet":
                    yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            if target.split(".")[0] != "skbpnet":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                yield (node.lineno, sub, None) if sub in modules else (node.lineno, target,
                                                                        alias.name)


def _package(module, modules):
    """The package of ``module`` (one of PACKAGES, or the top level ``skbpnet``)."""
    return next((p for p in PACKAGES if module == p or module.startswith(p + ".")), "skbpnet")


def import_graph(modules=None):
    """``{module: {imported module: first line}}``, function-level imports included."""
    modules = _modules() if modules is None else modules
    graph = {}
    for name, (path, is_package) in modules.items():
        inside = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 2)}
        edges = graph.setdefault(name, {})
        for line, target, attribute in _imports(name, path, is_package, modules):
            parts = target.split(".")
            runs = [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
            for module in runs:
                # the importer's own packages are already running, unless a name is read off one
                if module in modules and module != name and (
                        module not in inside or (module == target and attribute)):
                    edges.setdefault(module, line)
    return graph


def find_cycle(graph):
    """One cycle of ``graph`` as a list of modules, or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in graph.get(node, ()):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def private_imports(modules=None):
    """``'module:line imports what'`` for each private name taken from another package.

    A name starting with one underscore (dunders are public) imported from a module
    of another package, or any import from another package's private module
    (``skbpnet.nn._namespace``). The top level's own modules (``skbpnet._base``,
    ``skbpnet._version``) are what the packages above it build on: importing them
    is allowed, their private names are not.
    """
    modules = _modules() if modules is None else modules
    found = []
    for name, (path, is_package) in modules.items():
        mine = _package(name, modules)
        for line, target, attribute in _imports(name, path, is_package, modules):
            theirs = _package(target, modules)
            if theirs == mine:
                continue
            inner = target[len(theirs) + 1:].split(".") if target != theirs else []
            private_module = theirs != "skbpnet" and any(p.startswith("_") for p in inner)
            private_name = (attribute or "").startswith("_") and not attribute.startswith("__")
            if private_module or private_name:
                what = f"{target}.{attribute}" if attribute else target
                found.append(f"{name}:{line} imports {what}")
    return found


def test_the_module_import_graph_is_acyclic():
    graph = import_graph()
    assert len(graph) > 50  # every module was read
    assert "skbpnet.cli._mnist" in graph["skbpnet.cli"]  # function-level imports count too
    cycle = find_cycle(graph)
    assert cycle is None, "an import cycle: " + " -> ".join(cycle)


def test_no_private_name_is_imported_from_another_package():
    assert private_imports() == []


def _tree(tmp_path, files):
    for rel, text in files.items():
        path = tmp_path / "skbpnet" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return _modules(tmp_path / "skbpnet")


@pytest.mark.parametrize("files", [
    # a cycle behind a function-level import
    {"__init__.py": "", "a.py": "def f():\n    from .b import g\n", "b.py": "from .a import f\n"},
    # a cycle through a package's __init__ (the one _network and _solvers had)
    {"__init__.py": "", "a.py": "def f():\n    from .p.t import T\n",
     "p/__init__.py": "from .s import S\n", "p/s.py": "from ..a import f\n", "p/t.py": ""},
])
def test_the_checks_find_a_cycle(tmp_path, files):
    assert find_cycle(import_graph(_tree(tmp_path, files))) is not None


def test_the_checks_find_a_private_name_from_another_package(tmp_path):
    modules = _tree(tmp_path, {
        "__init__.py": "", "_base.py": "from .nn import relu\n",
        "nn/__init__.py": "from ._namespace import to_numpy\n", "nn/_namespace.py": "",
        "cli/__init__.py": "", "cli/_a.py": ("from ..nn._namespace import to_numpy\n"
                                             "from .._base import _helper, __doc__\n"
                                             "from ._b import _same_package\n")})
    assert find_cycle(import_graph(modules)) is None
    assert private_imports(modules) == [
        "skbpnet.cli._a:1 imports skbpnet.nn._namespace.to_numpy",
        "skbpnet.cli._a:2 imports skbpnet._base._helper",
    ]
