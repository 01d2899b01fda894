"""docs/architecture.rst names every module of skbpnet/, and no module that is gone."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.rst"


def documented_modules(text):
    """The paths (``skbpnet/io/archive.py``) of "The tree" block of the document."""
    block = text.split("The tree\n--------\n", 1)[1].split("\n\n", 2)[1]
    folders, found = [], set()
    for line in block.splitlines():
        match = re.match(r"( *)(\S+)", line)
        if not match or not match.group(2).endswith((".py", "/")):
            continue  # a description continued on the next line
        depth = (len(match.group(1)) - 4) // 2
        del folders[depth:]
        if match.group(2).endswith("/"):
            folders.append(match.group(2))
        else:
            found.add("".join(folders) + match.group(2))
    return found


def test_every_module_is_in_the_tree_of_the_architecture_document():
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "skbpnet").rglob("*.py")}
    documented = documented_modules(DOC.read_text(encoding="utf-8"))
    assert "skbpnet/io/__init__.py" in documented and "skbpnet/_version.py" in documented
    assert sorted(modules - documented) == [], "modules the tree does not name"
    assert sorted(documented - modules) == [], "modules the tree names that do not exist"


def test_the_tree_is_read_by_depth():
    text = "The tree\n--------\n\n::\n\n    pkg/\n      a.py        one\n" \
           "                  two.py, a continued description\n      sub/        a folder\n" \
           "        b.py      in sub\n      c.py        back at the top\n\nAfter.\n"
    assert documented_modules(text) == {"pkg/a.py", "pkg/sub/b.py", "pkg/c.py"}
