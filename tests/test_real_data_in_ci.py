"""Real-data tests carry the real_data marker, and CI fails when one of them skips.

(Outside CI, such a test skips with a reason when ../shared/data is absent.)
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NODE = "tests/datasets/test_registry.py::test_eegmmidb_preset_uses_motor_imagery_defaults"


def _run(*args, ci):
    env = {**os.environ, "SKLEARN_EEGFM_SHARED_DATA": str(ROOT / "no-such-data")}
    env.pop("CI", None)
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_a_skipped_real_data_test_fails_in_ci():
    ci = _run(NODE, ci=True)
    assert ci.returncode == 1 and ("1 failed" in ci.stdout or "1 error" in ci.stdout), ci.stdout
    assert "real-data test skipped in CI" in ci.stdout


def test_real_data_tests_are_marked_from_their_fixtures(request, eegmmidb_dir):
    # not typed by hand on this test: given because it uses a real-data fixture
    assert request.node.get_closest_marker("real_data") is not None
