"""The architecture rule: no module of skbpnet over MAX_MODULE lines of code, no function over MAX_FUNCTION.

Lines of code are counted by ``tools/code_size.py`` (no blank lines, comments
or documentation).
"""

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _code_size():
    spec = importlib.util.spec_from_file_location("code_size", REPO / "tools" / "code_size.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


code_size = _code_size()


def test_limits_are_the_architecture_rule():
    assert code_size.MAX_MODULE == 350
    assert code_size.MAX_FUNCTION == 60


def test_measure_counts_code_not_documentation(tmp_path):
    (tmp_path / "m.py").write_text(
        '"""Doc."""\n\n# comment\n\ndef f():\n    """Doc\n    more.\n    """\n'
        "    x = 1\n\n    return x\n"
    )
    modules, functions = code_size.measure(str(tmp_path))
    assert modules == [(3, str(tmp_path / "m.py"))]
    assert functions == [(3, f"{tmp_path / 'm.py'}:5 f")]


def test_an_init_signature_does_not_count_but_its_body_does(tmp_path):
    # scikit-learn requires every hyperparameter in __init__'s signature: that
    # list is the API, not logic, so only the body of an __init__ counts.
    params = "".join(f"        p{i}=None,\n" for i in range(80))
    (tmp_path / "m.py").write_text(
        "class E:\n    def __init__(\n        self,\n" + params + "    ):\n"
        "        self.p0 = p0\n        self.p1 = p1\n\n"
        "    def fit(\n        self,\n" + params + "    ):\n        return self\n"
    )
    _, functions = code_size.measure(str(tmp_path))
    assert sorted(functions) == [(2, f"{tmp_path / 'm.py'}:2 __init__"),
                                 (84, f"{tmp_path / 'm.py'}:88 fit")]


def test_no_module_or_function_of_skbpnet_is_too_long():
    modules, functions = code_size.measure(str(REPO / "skbpnet"))
    assert modules and functions
    largest, longest = max(modules), max(functions)
    too_big = [m for m in modules if m[0] > code_size.MAX_MODULE]
    too_long = [f for f in functions if f[0] > code_size.MAX_FUNCTION]
    assert not too_big and not too_long, (
        f"over {code_size.MAX_MODULE} lines of code: {too_big}; over "
        f"{code_size.MAX_FUNCTION}: {too_long}. Largest module: {largest[1]} "
        f"({largest[0]} lines of code); longest function: {longest[1]} ({longest[0]})."
    )
