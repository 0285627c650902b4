"""The compare command: one run per --out, and --resume only into the same run."""

import importlib
import signal
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from sklearn_eegfm import cli

ARGV = ["compare", "--pipelines", "erp-features", "--quiet"]


def _interrupted_run(tmp_path, monkeypatch, max_epochs):
    """A run stopped by Ctrl-C after its first fold: partial results stay behind."""
    module = importlib.import_module("sklearn_eegfm.evaluation._fold")
    real, calls = module.run_fold, []

    def stop_after_one(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "run_fold", stop_after_one)
    argv = [*ARGV, "--out", str(tmp_path), "--max-epochs-per-subject", str(max_epochs)]
    assert cli.main(argv) == 130
    monkeypatch.setattr(module, "run_fold", real)
    assert (tmp_path / cli.PARTIAL).exists()


def test_resume_with_another_data_subset_exits_2(tmp_path, monkeypatch, capsys):
    _interrupted_run(tmp_path, monkeypatch, 20)
    capsys.readouterr()
    argv = [*ARGV, "--out", str(tmp_path), "--max-epochs-per-subject", "30", "--resume"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "data differ" in err and "Traceback" not in err
    # the same configuration resumes and completes
    argv = [*ARGV, "--out", str(tmp_path), "--max-epochs-per-subject", "20", "--resume"]
    assert cli.main(argv) == 0
    results = pd.read_csv(tmp_path / "results.csv", keep_default_na=False)
    assert len(results) == 3 * 4 and not results.duplicated(["subject", "metric"]).any()
    assert not list(tmp_path.glob("*.run.json")) and not list(tmp_path.glob("*.lock"))


@pytest.mark.slow
def test_second_run_into_the_same_out_is_refused(tmp_path, capsys):
    code = textwrap.dedent(
        f"""
        import time
        from sklearn_eegfm.evaluation._runs import lock_folder
        lock = lock_folder({str(tmp_path)!r}).acquire()
        print("locked", flush=True)
        time.sleep(60)
        """
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert cli.main([*ARGV, "--out", str(tmp_path), "--max-epochs-per-subject", "20"]) == 2
        err = capsys.readouterr().err
        assert f"in use by process {holder.pid}" in err and "Traceback" not in err
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        holder.stdout.close()


@pytest.mark.parametrize("flag", ["--keep-errors"])
def test_keep_errors_option_is_parsed(flag):
    assert cli.build_parser().parse_args(["compare", flag]).keep_errors is True
