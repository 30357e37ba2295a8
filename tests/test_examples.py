"""Issue 13: the examples an integrator would write run as written. docs/examples/python: pytest
tests of a tiny client (requests and httpx) using the kit's pytest plugin, in one process and
under pytest-xdist (-n 2: each test's X-Mock-Session keeps them apart). docs/examples/node:
the same flows in plain Node fetch against a running mock, when node 18+ is here."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mock_server.testing import running_mock

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "xdist"])
def test_the_python_examples_pass(workers):
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", *workers], cwd=EXAMPLES / "python",
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert re.search(r"\b8 passed\b", run.stdout), run.stdout[-500:]


def node_version() -> tuple[int, ...] | None:
    node = shutil.which("node")
    if node is None:
        return None
    out = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip().lstrip("v")
    return tuple(int(part) for part in out.split(".")[:2])


@pytest.mark.skipif((node_version() or (0,)) < (18,), reason="the Node examples need node 18 or later (fetch, node:test)")
def test_the_node_examples_pass():
    with running_mock() as mock:
        run = subprocess.run(["node", "--test", str(EXAMPLES / "node")], env={"PATH": os.environ["PATH"],
                             "HUSKYVOICE_URL": mock.origin}, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "# pass 3" in run.stdout and "# fail 0" in run.stdout
