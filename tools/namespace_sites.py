"""Count the places outside ``skbpnet/nn/`` that choose between NumPy and the array API.

The measurement behind issue 20's "one namespace test": every test of the
kinds below found in a module of ``skbpnet/`` outside ``nn/`` is one site.

- ``is np``: ``xp is np`` / ``xp is not np`` (any name compared with ``np``);
- ``[0] is np``: ``model_namespace(...)[0] is np``, ``where[0] is not np``;
- ``isinstance ndarray``: ``isinstance(..., np.ndarray)``;
- ``is_numpy``: a call of ``is_numpy(...)`` (the one public test);
- ``hasattr tocsr``: ``hasattr(..., "tocsr")``.

The model format (``io/``), the hyperparameters (``_params.py``) and the data
sets (``datasets.py``) only ever hold host values: an ``isinstance(...,
np.ndarray)`` there checks a value's type (a stored array must be a NumPy
array), it does not choose a path. Those are counted apart, as type checks.

Run ``python tools/namespace_sites.py`` from the repository root; ``-v`` lists
each site.
"""
import ast
import collections
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent / "skbpnet"
HOST_ONLY = ("io/", "_params.py", "datasets.py")  # modules that never see a device array


def _is_np(node):
    return isinstance(node, ast.Name) and node.id == "np"


def _kind(node):
    """The kind of namespace test ``node`` is, or None."""
    if isinstance(node, ast.Compare) and len(node.ops) == 1 \
            and isinstance(node.ops[0], (ast.Is, ast.IsNot)) and _is_np(node.comparators[0]):
        return "[0] is np" if isinstance(node.left, ast.Subscript) else "is np"
    if isinstance(node, ast.Call):
        f = node.func
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
        if name == "isinstance" and len(node.args) == 2:
            kinds = node.args[1].elts if isinstance(node.args[1], ast.Tuple) else [node.args[1]]
            if any(isinstance(k, ast.Attribute) and k.attr == "ndarray" and _is_np(k.value)
                   for k in kinds):
                return "isinstance ndarray"
        if name == "is_numpy":
            return "is_numpy"
        if name == "hasattr" and len(node.args) == 2 \
                and isinstance(node.args[1], ast.Constant) and node.args[1].value == "tocsr":
            return "hasattr tocsr"
    return None


def sites(root=ROOT):
    """Yield ``(module, line, kind)`` for every site outside ``nn/``."""
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if rel.parts[0] == "nn":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            kind = _kind(node)
            if kind:
                yield str(rel), node.lineno, kind


def main(argv=()):
    found = sorted(sites())
    checks = [s for s in found if s[0].startswith(HOST_ONLY) and s[2] == "isinstance ndarray"]
    choices = [s for s in found if s not in checks]
    for title, group in [("path choices", choices), ("type checks in host-only modules", checks)]:
        by_kind = collections.Counter(kind for _, _, kind in group)
        modules = {module for module, _, _ in group}
        print(f"{len(group)} {title} in {len(modules)} modules outside nn/, by kind:")
        for kind, n in by_kind.most_common():
            print(f"    {n:3d}  {kind}")
        if "-v" in argv:
            for module, line, kind in group:
                print(f"        {module}:{line}  {kind}")


if __name__ == "__main__":
    main(sys.argv[1:])
