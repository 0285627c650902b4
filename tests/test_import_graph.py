"""The package's import graph: no cycle, and no import against the layering.

The graph is built with ``ast`` from every ``import`` statement of every module,
function-level ones included (they hide cycles from the interpreter, not from this
test). The layers are those of CONTRIBUTING.md: the bottom helpers; ``models/``,
``baselines/``, ``adaptation/``, ``tokenizers/`` and ``datasets/`` side by side, never
importing each other; ``viz.py`` and ``_reference_pipelines.py``; ``evaluation/``;
``cli.py`` on top; the root ``__init__`` only re-exports. Inside ``models/``: the
generic machinery never imports the zoo or the registry, a model module imports only the
generic machinery, and the registry imports nothing of the package but the zoo.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1] / "sklearn_eegfm"
PACKAGE = "sklearn_eegfm"
BOTTOM = {
    "_data",
    "_signal",
    "_validation",
    "_checkpoints",
    "_checkpoint_layouts",
    "_memo",
    "_scores",
    "_adaptable",
    "_progress",  # what a running fit reports to a comparison's status line
    "_ssvep",  # stimulation frequencies and filter-bank bands, for baselines and readers
    "_nets",  # networks shared by models/ and tokenizers/ (TFM-Tokenizer, BioCodec)
    "_hub",  # the weights cache and hub lookup shared by models/ and tokenizers/
}
BOTTOM |= {"_version", "utils"}
SIDE_BY_SIDE = ("models", "baselines", "adaptation", "tokenizers", "datasets")
# Rank of each top-level part: a part may import only parts of lower rank (or itself).
RANK = {**dict.fromkeys(BOTTOM, 0), **dict.fromkeys(SIDE_BY_SIDE, 1)}
RANK.update({"viz": 2, "_reference_pipelines": 2, "evaluation": 3, "cli": 4})
# models/ modules allowed to use the registry: the estimators and what lists the models.
MODELS_ABOVE_REGISTRY = {"__init__", "embedder", "probe", "ridge", "finetune", "check"}
MODELS_ABOVE_REGISTRY |= {"_inventory"}


def module_names():
    """Map each module's dotted name to its file."""
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def import_graph(modules):
    """Map each module to the package modules it imports (anywhere in its body)."""
    graph = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        package = name if is_package else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names if a.name.startswith(PACKAGE)}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                if not source.startswith(PACKAGE):
                    continue
                # "from . import zoo" imports a module; "from .x import name" imports x.
                subs = {f"{source}.{a.name}" for a in node.names} & modules.keys()
                targets |= subs or {source}
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def find_cycle(graph):
    """Return one import cycle as a list of modules, or None."""
    state = {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt, [*path, nxt])
                if found:
                    return found
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start, [start])
            if found:
                return found
    return None


def part(name):
    """Top-level part of a module: ``"models"``, ``"_data"``, ... or ``""`` for the root."""
    rest = name.split(".")[1:]
    return rest[0] if rest else ""


def layering_violations(graph):
    """Return ``"a -> b (why)"`` for every import that runs against the layering."""
    bad = []
    for src, targets in graph.items():
        for dst in sorted(targets):
            a, b = part(src), part(dst)
            if b == "":
                bad.append(f"{src} -> {dst} (only the root imports itself: use a submodule)")
            elif a and a != b and RANK.get(b, 9) >= RANK.get(a, 9) and RANK.get(a) != 0:
                why = "side by side" if RANK.get(a) == RANK.get(b) else "upward"
                bad.append(f"{src} -> {dst} ({why} import)")
            elif a == b == "models":
                bad += models_violations(src, dst)
    return bad


def models_violations(src, dst):
    """Rules inside models/: generic machinery, zoo, registry, estimators."""

    def kind(name):
        rest = name.split(".")[2:]
        if rest[:1] == ["zoo"]:
            return "zoo"
        if rest[:1] == ["_registry"]:
            return "registry"
        return "above" if (rest[:1] or ["__init__"])[0] in MODELS_ABOVE_REGISTRY else "generic"

    a, b = kind(src), kind(dst)
    allowed = {
        "generic": {"generic"},
        "zoo": {"generic"},
        "registry": {"zoo"},
        "above": {"generic", "registry", "above", "zoo"},
    }[a]
    if a == "zoo" and b == "zoo":
        return [f"{src} -> {dst} (a model module imports another model module)"]
    if b in allowed:
        return []
    return [f"{src} -> {dst} ({a} may import only {sorted(allowed)} of models/)"]


@pytest.fixture(scope="module")
def graph():
    return import_graph(module_names())


def test_the_package_has_no_import_cycle(graph):
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_no_import_runs_against_the_layering(graph):
    assert layering_violations(graph) == []


def test_the_registry_imports_nothing_but_the_zoo(graph):
    assert graph["sklearn_eegfm.models._registry"] == {"sklearn_eegfm.models.zoo"}


def test_every_model_module_imports_only_generic_machinery(graph):
    zoo = [m for m in graph if m.startswith("sklearn_eegfm.models.zoo.")]
    assert len(zoo) >= 11
    for name in zoo:
        inside = [d for d in graph[name] if d.startswith("sklearn_eegfm.models")]
        assert all(models_violations(name, dst) == [] for dst in inside), name


def test_the_checks_catch_a_cycle_and_a_layering_breach():
    """The checks themselves fail where they must (on a graph built to break them)."""
    cyclic = {"p.a": {"p.b"}, "p.b": {"p.c"}, "p.c": {"p.a"}, "p.d": set()}
    assert find_cycle(cyclic) == ["p.a", "p.b", "p.c", "p.a"]
    breach = {
        "sklearn_eegfm.baselines.riemann": {"sklearn_eegfm.adaptation.alignment"},
        "sklearn_eegfm.viz": {"sklearn_eegfm.evaluation.results"},
        "sklearn_eegfm.models._backbone": {"sklearn_eegfm.models._registry"},
        "sklearn_eegfm.models.zoo.reve": {"sklearn_eegfm.models.zoo.luna"},
        "sklearn_eegfm.models._registry": {"sklearn_eegfm.models._weights"},
        "sklearn_eegfm.models.embedder": {"sklearn_eegfm.models._registry"},
    }
    found = layering_violations(breach)
    assert len(found) == 5 and not any(
        f.startswith("sklearn_eegfm.models.embedder") for f in found
    )


def _calls_and_imports(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
            yield "import", names
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.Delete):
            targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else [node.target]
            yield "write", [ast.unparse(t) for t in targets]
        elif isinstance(node, ast.Call):
            yield "call", [ast.unparse(node.func)]


def hidden_switches(source):
    """``os.environ`` writes, mock imports and torch's process-wide MHA switch in ``source``."""
    found = []
    for kind, names in _calls_and_imports(ast.parse(source)):
        if kind == "import" and any("mock" in n.split(".") for n in names):
            found.append(f"imports mock: {names}")
        if kind == "write" and any(n.startswith(("os.environ", "environ")) for n in names):
            found.append(f"writes the environment: {names}")
        if kind == "call" and any(
            n.endswith(("environ.update", "environ.setdefault", "environ.pop", "putenv"))
            or n.endswith("set_fastpath_enabled")
            for n in names
        ):
            found.append(f"calls {names}")
    return found


def test_no_environment_write_mock_or_process_wide_switch_in_the_package():
    offending = {
        name: found
        for name, path in module_names().items()
        if (found := hidden_switches(path.read_text()))
    }
    assert offending == {}


def test_the_switch_scan_catches_each_kind():
    source = (
        "import os\nfrom unittest import mock\nos.environ['A'] = '1'\n"
        "os.environ.setdefault('B', '2')\nimport torch\n"
        "torch.backends.mha.set_fastpath_enabled(False)\n"
    )
    assert len(hidden_switches(source)) == 4
    assert hidden_switches("import os\nx = os.environ.get('A')\n") == []
