"""The contract suite's harness: which target, which keys, which profile, and
failure reports a person can act on (the clause, a runnable curl, the response)."""
from __future__ import annotations

import os
import random

import pytest
from hypothesis import settings

from . import clauses, profiles
from .client import Api
from .target import Target, from_environment


def pytest_addoption(parser):
    group = parser.getgroup("huskyvoice", "HuskyVoice contract suite")
    group.addoption("--target", help="base URL of the server under test, e.g. http://127.0.0.1:4010/v1 (or TARGET)")
    group.addoption("--keys", help="keys file in the fixtures/api_keys.yaml format (or KEYS)")
    group.addoption("--bundled-mock", action="store_true",
                    help="the target is the bundled mock: also check the choices in docs/decisions.md")


def pytest_configure(config):
    config.addinivalue_line("markers", "clause(id): the documented clause (contract_tests/clauses.yaml) the test enforces")
    config.addinivalue_line("markers", "mock_only: checks a choice recorded in docs/decisions.md; bundled mock only")
    config.addinivalue_line("markers", "writes: creates calls or changes slots; off the mock only with ALLOW_WRITES=1")
    settings.load_profile(f"huskyvoice-{profiles.current().name}")
    seed = os.environ.get("SEED")
    config.huskyvoice_seed = int(seed) if seed and seed.isdigit() else random.randrange(2**31)
    config.huskyvoice_skips = {}


def _target(config) -> Target:
    cached = getattr(config, "huskyvoice_target", None)
    if cached is None:
        cached = from_environment(config.getoption("--target"), config.getoption("--keys"),
                                  True if config.getoption("--bundled-mock") else None)
        config.huskyvoice_target = cached
    return cached


def pytest_report_header(config):
    t = _target(config)
    kind = "bundled mock" if t.is_mock else "external server"
    writes = "allowed" if t.can_change_slots else "off (set ALLOW_WRITES=1)"
    calls = "allowed" if t.can_create_calls else "off (set ALLOW_WRITES=1 and TEST_CONTACT_NUMBER)"
    return [f"huskyvoice: target {t.base_url} ({kind}); profile {profiles.current().name}; "
            f"seed {config.huskyvoice_seed} (SEED={config.huskyvoice_seed} reproduces)",
            f"huskyvoice: keys {t.keys_file} ({len(t.keys)} keys); slot writes {writes}; call creation {calls}"]


@pytest.fixture(scope="session")
def target(request) -> Target:
    return _target(request.config)


@pytest.fixture(scope="session")
def seed(request) -> int:
    return request.config.huskyvoice_seed


@pytest.fixture
def api(target) -> Api:
    return Api(target.base_url)


def pytest_collection_modifyitems(config, items):
    t = _target(config)
    for item in items:
        if item.get_closest_marker("mock_only") and not t.is_mock:
            item.add_marker(pytest.mark.skip(reason="checks a choice the docs leave open (docs/decisions.md); bundled mock only"))
        marker = item.get_closest_marker("writes")
        if marker is not None:
            needs_calls = "calls" in marker.args
            if needs_calls and not t.can_create_calls:
                item.add_marker(pytest.mark.skip(reason="creates calls: needs ALLOW_WRITES=1 and TEST_CONTACT_NUMBER off the bundled mock"))
            elif not needs_calls and not t.can_change_slots:
                item.add_marker(pytest.mark.skip(reason="changes slots: needs ALLOW_WRITES=1 off the bundled mock"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and call.when in ("setup", "call"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        item.config.huskyvoice_skips.setdefault(reason.removeprefix("Skipped: "), []).append(item.nodeid)
    if not report.failed or call.when != "call":
        return
    lines = []
    marker = item.get_closest_marker("clause")
    if marker is not None:
        for clause_id in marker.args:
            clause = clauses.catalogue().get(clause_id)
            quote = clause["quote"] if clause else "(not in contract_tests/clauses.yaml)"
            lines.append(f"Documented clause {clause_id}: \"{quote}\"")
    api = item.funcargs.get("api") if hasattr(item, "funcargs") else None
    if isinstance(api, Api) and api.last() is not None:
        lines.append(f"Last exchange ({len(api.exchanges)} kept):\n{api.last().describe()}")
    lines.append(f"Reproduce with: SEED={item.config.huskyvoice_seed} pytest contract_tests --target "
                 f"{_target(item.config).base_url} -k '{item.name}'")
    text = "\n".join(lines)
    # Both: the longrepr section shows in the terminal and JUnit, but plugins that
    # rewrite longrepr (Schemathesis does) drop it, and report.sections survives them.
    if hasattr(report.longrepr, "addsection"):
        report.longrepr.addsection("HuskyVoice contract", text)
    report.sections.append(("HuskyVoice contract", text))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skips = getattr(config, "huskyvoice_skips", {})
    if not skips:
        return
    terminalreporter.section("HuskyVoice: what was skipped, and why")
    for reason, nodes in sorted(skips.items(), key=lambda kv: -len(kv[1])):
        terminalreporter.write_line(f"{len(nodes):4d} × {reason}")
    if exitstatus:
        terminalreporter.write_line(f"seed: {config.huskyvoice_seed} (SEED={config.huskyvoice_seed} reproduces the run)")


def need_key(target: Target, *scopes: str):
    """The key for a test, or a skip that names the scope the keys file lacks."""
    key = target.key_with(*scopes)
    if key is None:
        pytest.skip(f"the keys file has no key with {' + '.join(scopes)}")
    return key
