"""Issue 13: `make` bootstraps .venv for a new user and starts it over when it cannot be trusted:
PYTHON names another interpreter, or an earlier bootstrap did not finish (a half-made .venv
used to need removing by hand). Run on a copy of the Makefile with a project that has no
dependencies, so each bootstrap takes seconds."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBE = """[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "bootstrap-probe"
version = "0"

[project.optional-dependencies]
test = []

[tool.setuptools]
py-modules = []
"""


@pytest.fixture
def project(tmp_path) -> Path:
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "pyproject.toml").write_text(PROBE)
    (tmp_path / "mock_server").mkdir()
    return tmp_path


def make(project: Path, python: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "VIRTUAL_ENV"))}
    run = subprocess.run(["make", ".venv/.installed", f"PYTHON={python}"], cwd=project, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


def test_make_starts_venv_over_when_python_changes_or_a_bootstrap_did_not_finish(project, tmp_path_factory):
    """Issue 13: `make mock PYTHON=python3.10` then `PYTHON=python3.11` kept the stale .venv, and a
    bootstrap that failed part-way left one that had to be removed by hand."""
    python = shutil.which("python3.11")
    first = make(project, python)
    assert "making .venv" in first and (project / ".venv" / ".python-id").read_text().strip()
    assert "making .venv" not in make(project, python)  # a finished bootstrap is kept

    (project / ".venv" / ".installed").unlink()  # as if pip had failed half-way
    (project / ".venv" / "left-over").write_text("x")
    assert "making .venv" in make(project, python)
    assert not (project / ".venv" / "left-over").exists()

    elsewhere = tmp_path_factory.mktemp("other")
    subprocess.run([python, "-m", "venv", "--without-pip", str(elsewhere)], check=True)
    other = elsewhere / "bin" / "python"  # another interpreter, as PYTHON=python3.10 would be
    assert f"making .venv with {other}" in make(project, str(other))
    assert (project / ".venv" / ".python-id").read_text().startswith(str(other))


def test_make_says_plainly_when_python_is_missing(project):
    run = subprocess.run(["make", ".venv/.installed", "PYTHON=python3.99"], cwd=project, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode != 0 and "no python3.99 here" in run.stdout + run.stderr
