"""Issue 13: an installable kit. The sdist and the wheel are built (`python -m build`, the
wheel from the sdist), the wheel is installed into a fresh venv, and the two commands run
from a directory that holds no checkout: `huskyvoice-mock` serves and `huskyvoice-contract`
passes against it, writing its JUnit and conformance reports where it is told.

Needs PyPI (or pip's cache) for the kit's dependencies, like `make test` itself."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """The checkout as a fresh clone has it: no build/ or *.egg-info left by an earlier build,
    which setuptools would reuse (and which would hide a package missing from the configuration)."""
    copy = tmp_path_factory.mktemp("src") / "kit"
    shutil.copytree(ROOT, copy, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "reports", "node_modules", "__pycache__", ".hypothesis"))
    return copy


@pytest.fixture(scope="module")
def built(source, tmp_path_factory) -> Path:
    """The sdist, and the wheel built from it (`python -m build`)."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(source)], check=True,
                   capture_output=True, text=True, timeout=600)
    return out


@pytest.fixture(scope="module")
def built_directly(source, tmp_path_factory) -> Path:
    """The wheel built straight from the checkout, as the issue did: `pip wheel --no-deps .`."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(source)],
                   check=True, capture_output=True, text=True, timeout=600)
    return out


@pytest.fixture(scope="module")
def installed(built, tmp_path_factory) -> Path:
    """A fresh venv holding the wheel and its dependencies, nothing from this checkout."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    wheel = next(built.glob("*.whl"))
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)], check=True,
                   capture_output=True, text=True, timeout=900)
    return venv / "bin"


def clean_env() -> dict:
    """No PYTHONPATH or project variables: only what the installed kit brings."""
    return {k: v for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "KEYS", "SEED", "PROFILE", "TARGET", "REPORT_DIR", "HUSKYVOICE_BUNDLED_MOCK")}


@pytest.mark.parametrize("how", ["built", "built_directly"])
def test_the_wheel_carries_the_spec_the_fixtures_and_every_subpackage(how, request):
    """Issue 13: the wheel lacked store/ and handlers/, the spec and the fixtures."""
    wheel = zipfile.ZipFile(next(request.getfixturevalue(how).glob("*.whl")))
    names = set(wheel.namelist())
    assert {"mock_server/store/calls.py", "mock_server/handlers/control.py", "mock_server/control.yaml",
            "contract_tests/clauses.yaml", "contract_tests/pytest.ini", "contract_tests/schemathesis.toml"} <= names
    assert wheel.read("mock_server/openapi.yaml") == (ROOT / "openapi.yaml").read_bytes()
    for fixture in (ROOT / "fixtures").glob("*.yaml"):
        assert wheel.read(f"mock_server/fixtures/{fixture.name}") == fixture.read_bytes()
    entry_points = wheel.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "huskyvoice-mock = mock_server.cli:main" in entry_points
    assert "huskyvoice-contract = contract_tests.run:main" in entry_points


def test_the_installed_kit_gives_any_pytest_run_its_fixtures(installed, tmp_path):
    """Issue 13: `pytest --fixtures` in that venv lists huskyvoice_mock and huskyvoice (the pytest11 plugin)."""
    (tmp_path / "test_mine.py").write_text(
        "import requests\n\n"
        "def test_mine(huskyvoice):\n"
        "    r = requests.get(huskyvoice.base_url + '/appointment-slots/availability?date=2026-06-15',\n"
        "                     headers=huskyvoice.api_headers, timeout=10)\n"
        "    assert r.status_code == 200 and huskyvoice.requests_to('getAvailability')\n")
    listed = subprocess.run([str(installed / "python"), "-m", "pytest", "--fixtures", "-p", "no:cacheprovider"],
                            cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=120)
    assert "huskyvoice_mock [session scope]" in listed.stdout and "\nhuskyvoice -- " in listed.stdout, listed.stdout[-2000:]
    run = subprocess.run([str(installed / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=tmp_path,
                         env=clean_env(), capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "1 passed" in run.stdout, run.stdout[-2000:]


def test_an_installed_kit_serves_and_passes_its_own_contract_from_another_directory(installed, tmp_path):
    """Issue 13: `pip install` the wheel, then huskyvoice-mock and huskyvoice-contract, anywhere."""
    for command in ("huskyvoice-mock", "huskyvoice-contract"):
        helped = subprocess.run([str(installed / command), "--help"], cwd=tmp_path, env=clean_env(),
                                capture_output=True, text=True, timeout=60)
        assert helped.returncode == 0 and command in helped.stdout
    port = free_port()
    mock = subprocess.Popen([str(installed / "huskyvoice-mock"), "--port", str(port)], cwd=tmp_path, env=clean_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_mock/health", timeout=1).read()
                break
            except OSError:
                assert time.monotonic() < deadline and mock.poll() is None, "the installed mock did not start"
                time.sleep(0.1)
        reports = tmp_path / "out"
        run = subprocess.run([str(installed / "huskyvoice-contract"), "--target", f"http://127.0.0.1:{port}/v1",
                              "--report-dir", str(reports), "--seed", "3"], cwd=tmp_path, env=clean_env(),
                             capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
        summary = re.search(r"HuskyVoice contract: (\d+) of (\d+) clauses pass, 0 fail", run.stdout)
        assert summary and summary[1] == summary[2], run.stdout[-1500:]
        assert {p.name for p in reports.iterdir()} >= {"contract-tests.xml", "conformance.md", "conformance.html"}
        assert "site-packages" in run.stdout and str(ROOT) not in run.stdout  # it ran the installed suite
    finally:
        mock.terminate()
        mock.wait(10)
