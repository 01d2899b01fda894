"""Print the largest modules and the longest functions of skbpnet, in lines of code.

Lines of code exclude blank lines, comments and documentation: docstrings,
``__doc__ = ...`` assignments and multi-line string constants at module or
class level (shared docstring sections). The architecture rule is: no module over 350 lines of
code, no function over 60. ``tests/test_code_size.py`` enforces it.

One exemption: the signature of an ``__init__`` does not count towards its
function (it still counts towards its module). scikit-learn requires an
estimator to list every hyperparameter explicitly in ``__init__`` (no
``**kwargs``), so that signature grows by a line per hyperparameter: it is the
public API, not logic to split up. The body still counts.

Usage::

    python tools/code_size.py [PACKAGE_DIR] [--top N]
"""

import argparse
import ast
import io
import os
import sys
import tokenize

MAX_MODULE = 350
MAX_FUNCTION = 60


def _docstring_lines(tree):
    """Line numbers covered by docstrings anywhere in the tree."""
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(
                getattr(body[0], "value", None), ast.Constant
            ) and isinstance(body[0].value.value, str):
                lines.update(range(body[0].lineno, body[0].end_lineno + 1))
        # Documentation text kept in strings: ``__doc__ = ...`` assignments and
        # module- or class-level string constants (shared docstring sections).
        if isinstance(node, (ast.Module, ast.ClassDef)):
            for stmt in node.body:
                if isinstance(stmt, ast.Assign) and (
                    any(isinstance(t, ast.Name) and t.id == "__doc__" for t in stmt.targets)
                    or (isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)
                        and stmt.end_lineno > stmt.lineno)
                ):
                    lines.update(range(stmt.lineno, stmt.end_lineno + 1))
    return lines


def code_lines(source):
    """The set of line numbers that hold code (no comment-only, blank or docstring lines)."""
    tree = ast.parse(source)
    docs = _docstring_lines(tree)
    code = set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                        tokenize.DEDENT, tokenize.ENDMARKER):
            continue
        for line in range(tok.start[0], tok.end[0] + 1):
            if line not in docs:
                code.add(line)
    return tree, code


def _counted_start(node):
    """The first line of a function that counts: its body's for ``__init__`` (see above)."""
    return node.body[0].lineno if node.name == "__init__" else node.lineno


def measure(package_dir):
    """Return ([(loc, module path)], [(loc, 'path:function')]) for every .py file."""
    modules, functions = [], []
    for root, _, files in os.walk(package_dir):
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            path = os.path.join(root, name)
            with open(path, encoding="utf-8") as fh:
                source = fh.read()
            tree, code = code_lines(source)
            modules.append((len(code), path))
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    span = range(_counted_start(node), node.end_lineno + 1)
                    loc = sum(1 for line in span if line in code)
                    functions.append((loc, f"{path}:{node.lineno} {node.name}"))
    return sorted(modules, reverse=True), sorted(functions, reverse=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("package", nargs="?", default=os.path.join(here, "skbpnet"))
    parser.add_argument("--top", type=int, default=5)
    args = parser.parse_args(argv)
    modules, functions = measure(args.package)
    print(f"largest modules (limit {MAX_MODULE} lines of code):")
    for loc, path in modules[: args.top]:
        print(f"  {loc:5d}  {os.path.relpath(path, args.package)}")
    print(f"longest functions (limit {MAX_FUNCTION} lines of code):")
    for loc, where in functions[: args.top]:
        print(f"  {loc:5d}  {os.path.relpath(where, args.package)}")
    ok = modules[0][0] <= MAX_MODULE and functions[0][0] <= MAX_FUNCTION
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
