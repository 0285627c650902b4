"""Sphinx configuration of the sklearn-eegfm documentation.

Build (from the repository root), warnings as errors and the gallery executed::

    python -m sphinx -W --keep-going -b html doc doc/_build/html

Add ``-D plot_gallery=0`` to skip running the examples while editing prose.
"""

import os
import shutil
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parent
ROOT = DOC.parent
# Document the checkout being built, not whatever copy happens to be installed.
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(DOC / "sphinxext"))

import api_pages  # noqa: E402

import sklearn_eegfm  # noqa: E402

api_pages.write_all(DOC)
# Examples keep a copy of their figures; during the build, in the build folder rather
# than next to the sources (sphinx-gallery runs each example in its own folder).
os.environ.setdefault("SKLEARN_EEGFM_EXAMPLES_OUT", str(DOC / "_build" / "example_figures"))
Path(os.environ["SKLEARN_EEGFM_EXAMPLES_OUT"]).parent.mkdir(parents=True, exist_ok=True)

# -- Project -----------------------------------------------------------------------
project = "sklearn-eegfm"
author = "sklearn-eegfm developers"
copyright = "sklearn-eegfm developers, BSD-3-Clause"  # noqa: A001
release = sklearn_eegfm.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
templates_path = ["_templates"]
exclude_patterns = ["_build", "_generated", "auto_examples/*/*.ipynb", "sg_execution_times.rst"]
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
nitpicky = False  # links to MNE/sklearn objects stay plain text (no intersphinx offline)

# -- API reference ------------------------------------------------------------------
autosummary_generate = True
autodoc_typehints = "none"  # numpydoc docstrings carry the types
autodoc_default_options = {"inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False
# The checks every public docstring passes (see api_pages.NUMPYDOC_CHECKS); each
# failure is an error in the build (-W), and tests/test_docs.py runs them without Sphinx.
numpydoc_validation_checks = api_pages.NUMPYDOC_CHECKS
# scikit-learn's per-class metadata-routing setters, and dataclasses whose fields are
# documented as Attributes (their __init__ is the field list).
numpydoc_validation_exclude = api_pages.validation_exclude()


def _skip_generated_members(app, what, name, obj, skip, options):
    """Leave scikit-learn's per-class metadata-routing setters out of the pages."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    """Connect the member filter and the docstring clean-up."""
    app.connect("autodoc-skip-member", _skip_generated_members)
    # after numpydoc (priority 500) has turned sections into reST
    app.connect("autodoc-process-docstring", api_pages.process_docstring, priority=600)


# -- Gallery ------------------------------------------------------------------------
# Every examples/ subfolder with a README.txt becomes a section (sphinx-gallery skips
# folders without one); plot_*.py scripts run, noplot_*.py are shown only.
# A gallery section or example whose source is gone (another branch, a rename) would
# stay in auto_examples/ as a page in no toctree, a warning; it is generated output.
for _stale in (DOC / "auto_examples").glob("*/index.rst"):
    if not (ROOT / "examples" / _stale.parent.name / "README.txt").is_file():
        shutil.rmtree(_stale.parent)
for _stale in (DOC / "auto_examples").glob("*/*.rst"):
    _source = ROOT / "examples" / _stale.parent.name / f"{_stale.stem}.py"
    if _stale.stem not in ("index", "sg_execution_times") and not _source.is_file():
        _stale.unlink()

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("sklearn_eegfm",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"sklearn_eegfm": None},
    "image_scrapers": ("matplotlib",),
    # Each example starts as if run alone: matplotlib state and the embedding cache.
    "reset_modules": ("matplotlib", "api_pages.reset_embedding_cache"),
    "plot_gallery": "True",
    "download_all_examples": False,
    "remove_config_comments": True,
    "min_reported_time": 1,
    "write_computation_times": True,
    "show_memory": False,
}

# -- HTML ---------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-eegfm {release}"
html_theme_options = {
    "github_url": "https://github.com/sklearn-eegfm/sklearn-eegfm",
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
}
html_static_path = ["_static"]
# Wide tables and printed DataFrames scroll sideways instead of being cut off.
html_css_files = ["sklearn_eegfm.css"]
html_show_sourcelink = False
