"""Pages generated at build time from the package itself.

The API reference, the contract table and the command-line help are written from
``__all__``, :data:`sklearn_eegfm.models.CONTRACTS` and the argument parser each time
the docs build, so that a new public name, model or option appears without editing
the docs. ``tests/test_docs.py`` imports this module too.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

PACKAGE = "sklearn_eegfm"
# Documented elsewhere: the CLI as a command (its parser's help), utils is internal.
NOT_IN_API = {"sklearn_eegfm.cli", "sklearn_eegfm.utils"}
# numpydoc checks the build enforces (-W makes each an error), shared with
# tests/test_docs.py. Kept to what readers need: parameters documented and real (PR01,
# PR02), types given (PR10: a space before the colon), a Returns section (RT01), a
# summary (SS01), no undocumented public object (GL08); not style.
NUMPYDOC_CHECKS = {"GL08", "PR01", "PR02", "PR10", "RT01", "SS01"}
# Preferred order of the user guide; pages not listed follow alphabetically.
GUIDE_ORDER = (
    "input_contracts",
    "contracts",
    "own_data",
    "weights",
    "protocols",
    "adaptation",
    "finetuning",
    "tokenizers",
    "scaling",
    "performance",
)


def public_modules():
    """Return the names of the package and of its public (non-underscore) submodules."""
    package = importlib.import_module(PACKAGE)
    subs = sorted(
        f"{PACKAGE}.{info.name}"
        for info in pkgutil.iter_modules(package.__path__)
        if not info.name.startswith("_")
    )
    return [PACKAGE] + [name for name in subs if name not in NOT_IN_API]


def public_names(module_name):
    """Return the public names of a module: its ``__all__``, else what it defines."""
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    if names is None:
        names = [
            name
            for name, obj in vars(module).items()
            if not name.startswith("_")
            and (inspect.isclass(obj) or inspect.isfunction(obj))
            and obj.__module__ == module_name
        ]
    return [name for name in names if name != "__version__"]


def api_objects():
    """Return ``{module: (callables, data, elsewhere)}``, each object documented once.

    A name re-exported at the top level (``sklearn_eegfm.FMEmbedder``) is documented
    there once; its subpackage section links to it.
    """
    top = importlib.import_module(PACKAGE)
    out = {}
    for module_name in public_modules():
        module = importlib.import_module(module_name)
        callables, data, elsewhere = [], [], []
        for name in public_names(module_name):
            obj = getattr(module, name)
            if module_name != PACKAGE and getattr(top, name, None) is obj:
                elsewhere.append(name)
            elif inspect.isclass(obj) or callable(obj):
                callables.append(name)
            else:
                data.append(name)
        out[module_name] = (callables, data, elsewhere)
    return out


def documented_objects():
    """Return the import paths of every object and method the API pages document.

    Classes contribute their own public methods and properties (what ``autoclass``
    with ``:members:`` shows), not inherited ones.
    """
    paths = []
    for module_name, (callables, _, _) in api_objects().items():
        module = importlib.import_module(module_name)
        for name in callables:
            obj = getattr(module, name)
            paths.append(f"{module_name}.{name}")
            if not inspect.isclass(obj):
                continue
            for attr, value in vars(obj).items():
                if attr.startswith("_") or (attr.startswith("set_") and attr.endswith("_request")):
                    continue
                # autodoc leaves out members without a docstring (no :undoc-members:)
                documented = inspect.getdoc(getattr(obj, attr, None)) is not None
                if documented and (
                    inspect.isfunction(value) or isinstance(value, property | classmethod)
                ):
                    paths.append(f"{module_name}.{name}.{attr}")
    return paths


def dataclasses_with_attribute_docs():
    """Return the public dataclasses that document their fields under Attributes.

    numpydoc's PR01 compares a class docstring's Parameters with ``__init__``; a
    dataclass's ``__init__`` is its fields, which these document as Attributes (the
    reader's view). The build leaves them out of numpydoc validation.

    Returns
    -------
    names : set of str
        Full dotted names, as documented.
    """
    import dataclasses

    names = set()
    for module_name, (callables, _, _) in api_objects().items():
        module = importlib.import_module(module_name)
        for name in callables:
            obj = getattr(module, name)
            doc = inspect.getdoc(obj) or ""
            if (
                inspect.isclass(obj)
                and dataclasses.is_dataclass(obj)
                and re.search(r"^Attributes\n-+$", doc, flags=re.M)
                and not re.search(r"^Parameters\n-+$", doc, flags=re.M)
            ):
                names.add(f"{module_name}.{name}")
    return names


def validation_exclude():
    """Return ``numpydoc_validation_exclude``: regexes of names numpydoc does not check.

    Returns
    -------
    patterns : set of str
        scikit-learn's generated metadata-routing setters, and
        :func:`dataclasses_with_attribute_docs`.
    """
    patterns = {r"\.set_\w+_request$"}
    patterns |= {rf"^{re.escape(name)}$" for name in dataclasses_with_attribute_docs()}
    return patterns


def _describe_data(value):
    if isinstance(value, dict):
        keys = ", ".join(f"``{k}``" for k in value)
        return f"dict with keys {keys}" if keys else "empty dict"
    if isinstance(value, tuple | list | frozenset | set):
        items = ", ".join(f"``{v}``" for v in value)
        return f"{type(value).__name__} of {items}"
    text = " ".join(str(value).split())
    return f"``{text[:120]}``"


def api_rst():
    """Return the text of ``api.rst``: one autosummary table per public module."""
    lines = [
        ".. This page is generated by doc/sphinxext/api_pages.py at build time.",
        "",
        ".. _api:",
        "",
        "API reference",
        "=============",
        "",
        "Every public name of the package, taken from the ``__all__`` of",
        f"``{PACKAGE}`` and of its subpackages when the docs are built. Names re-exported",
        f"at the top level are documented there once: ``from {PACKAGE} import FMEmbedder``.",
        "The command line is described under :ref:`cli`.",
        "",
    ]
    for module_name, (callables, data, elsewhere) in api_objects().items():
        if not (callables or data or elsewhere):
            continue
        title = f"``{module_name}``"
        # automodule shows the module's docstring and is the target of :mod: links.
        lines += [title, "-" * len(title), "", f".. automodule:: {module_name}"]
        lines += ["   :no-members:", "", f".. currentmodule:: {module_name}", ""]
        if callables:
            lines += [".. autosummary::", "   :toctree: generated/", "   :nosignatures:", ""]
            lines += [f"   {name}" for name in callables] + [""]
        if elsewhere:
            links = ", ".join(f":obj:`~{PACKAGE}.{name}`" for name in elsewhere)
            lines += [f"Also importable from here: {links}.", ""]
        if data:
            module = importlib.import_module(module_name)
            lines += ["Tables and constants:", ""]
            for name in data:
                lines += [f"- ``{name}``: {_describe_data(getattr(module, name))}"]
            lines += [""]
    lines += _cli_rst()
    return "\n".join(lines) + "\n"


def cli_help():
    """Return the ``--help`` of the command and of each subcommand, in order."""
    import argparse

    from sklearn_eegfm.cli import build_parser

    parser = build_parser()
    out = [("sklearn-eegfm", parser.format_help())]
    for action in parser._actions:  # argparse has no public accessor for subparsers
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out.append((f"sklearn-eegfm {name}", sub.format_help()))
    return out


def _cli_rst():
    lines = [".. _cli:", "", "Command line", "------------", ""]
    lines += ["``sklearn-eegfm`` (or ``python -m sklearn_eegfm.cli``) mirrors the Python API.", ""]
    for command, text in cli_help():
        lines += [f"``{command} --help``:", "", ".. code-block:: text", ""]
        lines += [f"   {line}".rstrip() for line in text.splitlines()] + [""]
    return lines


def contracts_rst():
    """Return a list-table of :func:`sklearn_eegfm.list_models`, one row per contract."""
    from sklearn_eegfm import list_models

    table = list_models()
    wanted = ["name", "braindecode_class", "sfreq", "window_multiple_s", "channels", "units"]
    wanted += ["embed_dim", "default_pooling", "licence", "pretraining"]
    columns = [c for c in wanted if c in table.columns]
    lines = [".. list-table::", "   :header-rows: 1", "   :class: contract-table", ""]
    lines += ["   * - " + "\n     - ".join(c.replace("_", " ") for c in columns)]
    for _, row in table[columns].iterrows():
        cells = [_cell(row[c]) for c in columns]
        cells[0] = f"``{cells[0]}``"
        lines += ["   * - " + "\n     - ".join(cells)]
    return "\n".join(lines) + "\n"


def _cell(value):
    text = " ".join(str(value).split()) or "-"
    # "|x|" would be a substitution, "*" and "`" markup; a leading "-" a nested list.
    text = re.sub(r"([|*`\\])", r"\\\1", text)
    return re.sub(r"^([+-])", r"\\\1", text)


def guide_toctree(guide_dir):
    """Return a toctree of the pages in ``guide/`` (but its index), in :data:`GUIDE_ORDER`."""
    pages = sorted(p.stem for p in Path(guide_dir).glob("*.rst") if p.stem != "index")
    rank = {name: i for i, name in enumerate(GUIDE_ORDER)}
    pages.sort(key=lambda name: (rank.get(name, len(rank)), name))
    lines = [".. toctree::", "   :maxdepth: 2", ""] + [f"   {name}" for name in pages]
    return "\n".join(lines) + "\n"


def readme_blocks(readme, lang):
    """Return the fenced ``lang`` code blocks of the README, in order."""
    return re.findall(rf"```{lang}\n(.*?)```", Path(readme).read_text(), flags=re.S)


def setup_commands(readme):
    """Return the README's set-up commands: the CPU-only torch line, install, tests."""
    cpu, install, test = (b.strip() for b in readme_blocks(readme, "bash")[:3])
    return cpu, install, test


def _write_if_changed(path, text):
    # Rewriting an unchanged file would make Sphinx re-read every page that uses it.
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def write_all(doc_dir):
    """Write every generated page and include file under ``doc_dir``."""
    doc_dir = Path(doc_dir)
    gen = doc_dir / "_generated"
    _write_if_changed(doc_dir / "api.rst", api_rst())
    _write_if_changed(gen / "contracts_table.inc", contracts_rst())
    _write_if_changed(gen / "guide_toctree.inc", guide_toctree(doc_dir / "guide"))
    readme = doc_dir.parent / "README.md"
    cpu, install, test = setup_commands(readme)
    _write_if_changed(gen / "install_cpu.sh", cpu + "\n")
    _write_if_changed(gen / "install.sh", install + "\n")
    _write_if_changed(gen / "test.sh", test + "\n")
    (quickstart,) = readme_blocks(readme, "python")
    _write_if_changed(gen / "quickstart.py", quickstart)


def reset_embedding_cache(gallery_conf, fname):
    """Empty the in-memory embedding cache and set pandas' display before each example.

    sphinx-gallery runs every example in one process; without this, an example would
    reuse embeddings computed by the previous one and print other cache counts and
    times than when run on its own.

    Parameters
    ----------
    gallery_conf : dict
        The sphinx-gallery configuration (unused).
    fname : str | None
        The example about to run (unused).
    """
    import pandas as pd

    from sklearn_eegfm.models._cache import EmbeddingCache

    EmbeddingCache.clear_memory()
    # Printed DataFrames keep all their columns on one line (the page scrolls sideways)
    # instead of pandas' 80-character width, which folds or elides wide tables.
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 40)


# A word ending in "_" (``classes_``, ``n_features_out_``) is a hyperlink reference in
# reST; written bare in a docstring ("shape (n_epochs, n_features_out_)") it fails the
# build with "Unknown target name". Docstrings are written for help() first, so the
# build escapes such words instead of asking every docstring to.
_LITERAL = re.compile(r"(``.*?``|:\w+(?::\w+)?:`[^`]*`|`[^`]*`_{0,2})")
_TRAILING_UNDERSCORE = re.compile(r"\b([A-Za-z]\w*?)_(?![\w`])")


def escape_trailing_underscores(lines):
    """Escape words ending in ``_`` outside literals, roles and code blocks, in place.

    Parameters
    ----------
    lines : list of str
        Docstring lines (as numpydoc leaves them for autodoc).
    """
    code_indent = None
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if code_indent is not None:
            if not stripped or indent > code_indent:
                continue  # inside a literal block
            code_indent = None
        if stripped.startswith((">>>", "...")):
            continue
        if stripped.endswith("::") or stripped.startswith(".. code-block::"):
            code_indent = indent
        parts = _LITERAL.split(line)
        parts[::2] = [_TRAILING_UNDERSCORE.sub(r"\1\\_", part) for part in parts[::2]]
        lines[i] = "".join(parts)


def process_docstring(app, what, name, obj, options, lines):
    """Sphinx ``autodoc-process-docstring`` handler for :func:`escape_trailing_underscores`.

    Parameters
    ----------
    app, what, name, obj, options :
        As Sphinx passes them (unused).
    lines : list of str
        The docstring, modified in place.
    """
    escape_trailing_underscores(lines)
