"""Sphinx configuration of the skbpnet documentation.

Build it (warnings are errors) from the repository root with::

    SCIKIT_LEARN_DATA=... sphinx-build -W --keep-going -b html docs docs/_build/html

The gallery runs every ``examples/plot_*.py``; the MNIST examples need the
data (see docs/building_docs.rst).
"""

import argparse
import importlib.util
import os
import sys

import matplotlib

matplotlib.use("Agg")  # the gallery renders figures without a display

import skbpnet  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # for _sg_order

# -- Project -------------------------------------------------------------------------------
project = "skbpnet"
author = "skbpnet developers"
copyright = "skbpnet developers"  # noqa: A001
release = skbpnet.__version__
version = release

# -- General -------------------------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
templates_path = ["_templates"]
exclude_patterns = ["_build", "gen_modules/backreferences/*.examples.new"]
root_doc = "index"
default_role = "literal"  # `text` in single backquotes is code, never a broken reference
pygments_style = "sphinx"

autosummary_generate = True
autodoc_default_options = {}
autodoc_typehints = "none"

# numpydoc: the class templates list the members themselves; numpydoc's own
# member tables would duplicate them and need a toctree of their own.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_show_inherited_class_members = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- HTML ----------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skbpnet {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
}
html_sidebars = {"index": [], "getting_started": []}
html_show_sourcelink = True

# -- sphinx-gallery ------------------------------------------------------------------------
# Every plot_*.py runs during the build. An example that needs Dask runs only
# when dask and distributed are installed (`pip install -e ".[dask]"`);
# without them it is shown without its output instead of failing the build.
_have_dask = all(importlib.util.find_spec(m) is not None for m in ("dask", "distributed"))
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_" if _have_dask else r"/plot_(?!.*dask)",
    "within_subsection_order": "_sg_order.ExampleOrder",
    "doc_module": ("skbpnet",),
    "backreferences_dir": "gen_modules/backreferences",
    "reference_url": {"skbpnet": None},
    "image_scrapers": ("matplotlib",),
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 0,
    "abort_on_example_error": False,
}


# -- The command-line help, generated so that it cannot drift ------------------------------
def _write_cli_help(app):
    from skbpnet.__main__ import build_parser

    out_dir = os.path.join(app.srcdir, "gen_modules")
    os.makedirs(out_dir, exist_ok=True)
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "88"  # argparse wraps to the terminal width
    try:
        parser = build_parser()
        texts = {"main": parser.format_help()}
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        for name, p in sub.choices.items():
            texts[name] = p.format_help()
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old
    for name, text in texts.items():
        path = os.path.join(out_dir, f"cli_{name}.txt")
        old_text = None
        if os.path.exists(path):
            with open(path, encoding="utf-8") as fh:
                old_text = fh.read()
        if text != old_text:  # rewrite only on change, so Sphinx need not rebuild
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)


def setup(app):
    app.connect("builder-inited", _write_cli_help)
