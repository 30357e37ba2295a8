"""pytest fixtures for your own tests, active once the kit is installed (the `pytest11` entry
point `huskyvoice`):

- `huskyvoice_mock` (session): a bundled mock on a free loopback port, stopped at the end;
  `.base_url` (…/v1) and `.api_key` (a key with every scope).
- `huskyvoice` (function): a `mock_server.testing.Control` in an `X-Mock-Session` of the test's
  own, dropped afterwards, so tests can run in parallel (pytest-xdist) without seeing each
  other. Send `huskyvoice.api_headers` with your requests to land in that session.

Options: `--huskyvoice-fixtures DIR` (another fixture set), `--huskyvoice-rate-limit
BURST/PER_SECOND|off` (the mock's default token bucket per key)."""
from __future__ import annotations

import uuid
from typing import Iterator

import pytest

from .testing import Control, MockServer, running_mock


def pytest_addoption(parser) -> None:
    group = parser.getgroup("huskyvoice", "HuskyVoice mock")
    group.addoption("--huskyvoice-fixtures", metavar="DIR", default=None,
                    help="fixture directory for the huskyvoice_mock fixture (default: the bundled fixtures)")
    group.addoption("--huskyvoice-rate-limit", metavar="BURST/PER_SECOND", default=None,
                    help="the huskyvoice_mock fixture's token bucket per API key, or 'off' (default 1000/100)")


@pytest.fixture(scope="session")
def huskyvoice_mock(request) -> Iterator[MockServer]:
    """A HuskyVoice mock for the whole run: `.base_url`, `.api_key`."""
    with running_mock(fixtures=request.config.getoption("--huskyvoice-fixtures"),
                      rate_limit=request.config.getoption("--huskyvoice-rate-limit")) as server:
        yield server


@pytest.fixture
def huskyvoice(huskyvoice_mock) -> Iterator[Control]:
    """The mock's control API in a fresh `X-Mock-Session` of this test's own (its state starts
    from the fixtures); `.base_url`, `.api_headers`, `.reset()`, `.advance()`, `.fault()`, …"""
    control = Control(huskyvoice_mock.origin, session=f"pytest-{uuid.uuid4().hex[:16]}",
                      api_key=huskyvoice_mock.api_key)
    yield control
    control.drop()
