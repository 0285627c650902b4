"""What the docs build relies on, checked without running Sphinx.

CI builds the site itself (``.ci/run``: warnings as errors, gallery executed); these
fast checks say earlier, and more precisely, which name, model, example folder or
docstring the build would miss or fail on.
"""

import ast
import importlib
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "doc"
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="module")
def api_pages():
    spec = importlib.util.spec_from_file_location("api_pages", DOC / "sphinxext" / "api_pages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_api_page_lists_every_public_name(api_pages):
    text = api_pages.api_rst()
    modules = api_pages.public_modules()
    assert "sklearn_eegfm.models" in modules and "sklearn_eegfm.cli" not in modules
    for module_name in modules:
        module = importlib.import_module(module_name)
        for name in api_pages.public_names(module_name):
            obj = getattr(module, name)
            listed = (
                re.search(rf"^   {re.escape(name)}$", text, flags=re.M)  # autosummary row
                or f"``{name}``:" in text  # constants
                or f":obj:`~sklearn_eegfm.{name}`" in text  # re-exported at the top
            )
            assert listed, f"{module_name}.{name} ({type(obj).__name__}) missing from api.rst"


def test_top_level_names_are_documented_once(api_pages):
    objects = api_pages.api_objects()
    top = set(objects["sklearn_eegfm"][0])
    assert {"FMEmbedder", "LinearProbe", "EpochsData"} <= top
    models_callables, _, models_elsewhere = objects["sklearn_eegfm.models"]
    assert "FMEmbedder" in models_elsewhere and "FMEmbedder" not in models_callables


def test_contract_table_has_every_model(api_pages):
    from sklearn_eegfm.models import CONTRACTS

    table = api_pages.contracts_rst()
    rows = re.findall(r"^   \* - ``(\w+)``$", table, flags=re.M)
    assert rows == list(CONTRACTS)
    # a cell with |...| would be read as a substitution and break the build
    assert not re.search(r"(?<!\\)\|", table)


def test_cli_help_covers_every_subcommand(api_pages):
    helps = dict(api_pages.cli_help())
    assert "sklearn-eegfm compare" in helps
    assert "--pipelines" in helps["sklearn-eegfm compare"]


def test_guide_toctree_lists_every_page_in_order(api_pages, tmp_path):
    for name in ("zeta", "weights", "index", "tokenizers", "input_contracts"):
        (tmp_path / f"{name}.rst").write_text(f"{name}\n====\n")
    entries = api_pages.guide_toctree(tmp_path).split("\n\n", 1)[1].split()
    assert entries == ["input_contracts", "weights", "tokenizers", "zeta"]
    real = {p.stem for p in (DOC / "guide").glob("*.rst")} - {"index"}
    assert real <= set(api_pages.guide_toctree(DOC / "guide").split())


def test_getting_started_uses_the_readme_commands(api_pages):
    cpu, install, test = api_pages.setup_commands(ROOT / "README.md")
    assert install == 'python -m pip install -e ".[test,doc]"' and test == "python -m pytest"
    assert "download.pytorch.org/whl/cpu" in cpu
    page = (DOC / "getting_started.rst").read_text()
    for name in ("install_cpu.sh", "install.sh", "test.sh", "quickstart.py"):
        assert f"_generated/{name}" in page, name


def test_index_shows_a_figure_and_gallery_thumbnails():
    """Issue 25: not a bare table of contents; the figure ships with the docs."""
    page = (DOC / "index.rst").read_text()
    (figure,) = re.findall(r"^\.\. figure:: (\S+)", page, flags=re.M)
    assert (DOC / figure).is_file()
    examples = re.findall(r"^   \.\./examples/(\S+\.py)$", page.split(".. minigallery::")[1], re.M)
    assert len(examples) >= 4 and all((EXAMPLES / e).is_file() for e in examples)


def test_gallery_code_hides_the_ci_boilerplate():
    """matplotlib.use("Agg"), the output folder variable and savefig are CI's business."""
    for path in sorted(EXAMPLES.rglob("plot_*.py")):
        shown, hidden = [], False
        for line in path.read_text().splitlines():
            if line.strip() == "# sphinx_gallery_start_ignore":
                hidden = True
            elif line.strip() == "# sphinx_gallery_end_ignore":
                hidden = False
            elif not hidden:
                shown.append(line)
        text = "\n".join(shown)
        assert 'matplotlib.use("Agg")' not in text, path.name
        if path.name != "plot_compare_report.py":  # there, the folder is the point
            assert "SKLEARN_EEGFM_EXAMPLES_OUT" not in text, path.name
            assert ".savefig(out" not in text, path.name


def test_every_example_folder_is_in_the_gallery():
    # sphinx-gallery silently skips a folder without a README.txt: its examples would
    # run in tests but never appear in the docs.
    folders = {p.parent for p in EXAMPLES.rglob("*.py")}
    missing = sorted(str(f.relative_to(ROOT)) for f in folders if not (f / "README.txt").is_file())
    assert not missing, f"add a README.txt (a title and a sentence) to {missing}"


@pytest.mark.parametrize(
    "path", sorted(EXAMPLES.rglob("*plot_*.py")), ids=lambda p: str(p.relative_to(EXAMPLES))
)
def test_example_has_a_gallery_title(path):
    doc = ast.get_docstring(ast.parse(path.read_text()), clean=False)
    assert doc, f"{path.name}: sphinx-gallery needs a module docstring"
    lines = doc.strip("\n").splitlines()
    assert len(lines) >= 2 and set(lines[1]) == {"="}, f"{path.name}: title not underlined"
    assert len(lines[1]) >= len(lines[0]), f"{path.name}: title underline too short"


@pytest.mark.parametrize(
    "path", sorted(EXAMPLES.rglob("plot_*.py")), ids=lambda p: str(p.relative_to(EXAMPLES))
)
def test_example_does_not_use_dunder_file(path):
    # sphinx-gallery runs examples without __file__ (and with the example's folder as
    # the working directory): an example that works in tests would fail in the docs.
    names = {n.id for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Name)}
    assert "__file__" not in names, f"{path.name}: locate data without __file__"


def test_docstrings_pass_the_checks_the_build_enforces(api_pages):
    from numpydoc.validate import validate

    exclude = [re.compile(p) for p in api_pages.validation_exclude()]
    failures = []
    for path in api_pages.documented_objects():
        if any(p.search(path) for p in exclude):
            continue
        for code, message in validate(path)["errors"]:
            if code in api_pages.NUMPYDOC_CHECKS:
                failures.append(f"{path}: {code} {message}")
    assert not failures, "\n".join(failures)


def test_dataclasses_documenting_fields_as_attributes_are_not_checked_for_pr01(api_pages):
    names = api_pages.dataclasses_with_attribute_docs()
    assert {"sklearn_eegfm.EpochsData", "sklearn_eegfm.models.FMContract"} <= names
    assert "sklearn_eegfm.FMEmbedder" not in names


def test_bare_trailing_underscores_are_escaped_outside_literals(api_pages):
    lines = [
        "    **X_new** : ndarray, shape (n_epochs, n_features_out_)",
        "Read ``classes_``, :attr:`classes_`, `pyRiemann`_ and [1]_; then classes_.",
        "Example::",
        "",
        "    y_ = 1",
        ">>> est.classes_",
        "**classes_** : ndarray",
    ]
    api_pages.escape_trailing_underscores(lines)
    assert lines == [
        "    **X_new** : ndarray, shape (n_epochs, n_features_out\\_)",
        "Read ``classes_``, :attr:`classes_`, `pyRiemann`_ and [1]_; then classes\\_.",
        "Example::",
        "",
        "    y_ = 1",
        ">>> est.classes_",
        "**classes\\_** : ndarray",
    ]
