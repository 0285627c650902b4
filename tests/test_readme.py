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


def test_ci_runs_the_readme_commands():
    setup = README.read_text().split("## Set up", 1)[1].split("\n## ", 1)[0]
    install, test = (b.strip() for b in re.findall(r"```bash\n(.*?)```", setup, flags=re.S))
    ci = (README.parent / ".ci" / "run").read_text()
    assert install in ci and test in ci
