"""The README's quickstart runs as written, and its set-up commands are what CI runs."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks(lang):
    return re.findall(rf"```{lang}\n(.*?)```", README.read_text(), flags=re.S)


@pytest.mark.filterwarnings("ignore::sklearn_eegfm.RandomWeightsWarning")
def test_quickstart_runs(capsys):
    (code,) = _blocks("python")
    exec(compile(code, str(README), "exec"), {})
    out = capsys.readouterr().out
    assert "leave-one-subject-out AUROC" in out and "cbramod" in out


def _setup_blocks():
    setup = README.read_text().split("## Set up", 1)[1].split("\n## ", 1)[0]
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", setup, flags=re.S)]


def test_ci_runs_the_readme_commands():
    cpu, install, test = _setup_blocks()
    assert install == 'python -m pip install -e ".[test,doc]"' and test == "python -m pytest"
    ci = (README.parent / ".ci" / "run").read_text()
    assert install in ci and test in ci


def test_cpu_only_recipe_is_one_line_before_the_install_within_the_pins():
    """Issue 25: CPU torch from PyTorch's CPU index, inside pyproject's torch pins."""
    cpu, install, _ = _setup_blocks()
    assert len(cpu.splitlines()) == 1
    assert "--index-url https://download.pytorch.org/whl/cpu" in cpu
    pyproject = (README.parent / "pyproject.toml").read_text()
    for package in ("torch", "torchaudio"):
        (cap,) = re.findall(rf'"{package}>=[^,]+,(<=[\d.]+)"', pyproject)
        assert f'"{package}{cap}"' in cpu, (package, cap)
    assert "OMP_NUM_THREADS=1" in README.read_text().split("## Set up", 1)[1].split("## ")[0]


def test_ci_fails_a_suite_over_its_time_budget():
    """Over in wall-clock and CPU time fails; wall time inflated by a busy machine alone
    does not; the quick subset counts only tests not marked slow."""
    import importlib.util

    # tests/conftest.py by path: other folders' conftest modules share its name
    spec = importlib.util.spec_from_file_location(
        "_root_conftest", Path(__file__).with_name("conftest.py")
    )
    root = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(root)
    BUDGETS_S, budget_lines = root.BUDGETS_S, root.budget_lines

    assert BUDGETS_S == {"whole suite": 600.0, 'quick subset (-m "not slow")': 120.0}
    fits = {"a": (False, 100.0, 90.0), "b": (True, 400.0, 380.0)}
    lines, over = budget_lines(fits)
    assert over == [] and lines[1].startswith('quick subset (-m "not slow"): 100 s wall')
    busy = {k: (slow, wall * 3, cpu) for k, (slow, wall, cpu) in fits.items()}
    assert budget_lines(busy)[1] == []  # 1500 s wall, but 470 s of CPU: a noisy machine
    slow_quick = {**fits, "c": (False, 150.0, 140.0)}
    assert budget_lines(slow_quick)[1] == ["whole suite", 'quick subset (-m "not slow")']
    ci = (README.parent / ".ci" / "run").read_text()
    assert "SKLEARN_EEGFM_TEST_BUDGET=enforce python -m pytest" in ci
