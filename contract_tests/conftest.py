"""The contract suite's harness: which target, which keys, which profile, one probe of
the target before any test, and failure reports a person can act on (the clause, a
runnable curl, the response, a command that reproduces it)."""
from __future__ import annotations

import os
import random
import shlex

import pytest
from hypothesis import settings

from . import clauses, profiles
from .client import Api
from .control import control_for
from .target import Target, TargetProblem, from_environment, preflight


def pytest_addoption(parser):
    group = parser.getgroup("huskyvoice", "HuskyVoice contract suite")
    group.addoption("--target", help="base URL of the server under test, e.g. http://127.0.0.1:4010/v1 (or TARGET)")
    group.addoption("--keys", help="keys file in the fixtures/api_keys.yaml format (or KEYS)")
    group.addoption("--bundled-mock", action="store_true",
                    help="the target is the bundled mock: also check the choices in docs/decisions.md")
    group.addoption("--report-dir", default=os.environ.get("REPORT_DIR", "reports"),
                    help="where the conformance reports go (conformance.md, conformance.html); default reports/")
    group.addoption("--reset-target", action="store_true",
                    help="on a bundled mock the suite did not start, work in (and reset) its default state "
                         "instead of a session of its own")


def pytest_configure(config):
    config.addinivalue_line("markers", "clause(id): the documented clause (contract_tests/clauses.yaml) the test enforces")
    config.addinivalue_line("markers", "mock_only(decision, observe=False): checks a choice recorded in "
                                       "docs/decisions.md; judged on the bundled mock only (observe: elsewhere "
                                       "the target's answer is recorded, not judged)")
    config.addinivalue_line("markers", "writes: creates calls or changes slots; off the mock only with ALLOW_WRITES=1")
    settings.load_profile(f"huskyvoice-{profiles.current().name}")
    seed = os.environ.get("SEED")
    config.huskyvoice_seed = int(seed) if seed and seed.isdigit() else random.randrange(2**31)
    config.huskyvoice_skips = {}
    try:
        target = from_environment(config.getoption("--target"), config.getoption("--keys"),
                                  True if config.getoption("--bundled-mock") else None,
                                  reset_target=config.getoption("--reset-target"))
        preflight(target)
    except TargetProblem as problem:
        pytest.exit(f"HuskyVoice contract: {problem}", returncode=2)
    config.huskyvoice_target = target
    from .report import ConformanceReport
    config.pluginmanager.register(ConformanceReport(config), "huskyvoice-conformance-report")


def pytest_unconfigure(config):
    target = getattr(config, "huskyvoice_target", None)
    control = control_for(target) if target is not None and target.session else None
    if control is not None:
        control.drop_session()


def _target(config) -> Target:
    target = getattr(config, "huskyvoice_target", None)
    if target is None:
        raise pytest.UsageError("No target: pass --target http://host:port/v1 or set TARGET "
                                "(make test starts the mock itself)")
    return target


def pytest_report_header(config):
    t = _target(config)
    kind = "bundled mock" if t.is_mock else "external server (checked against what the docs state)"
    if t.session:
        kind += f", in its own session {t.session} (the mock's default state is left alone)"
    writes = "allowed" if t.can_change_slots else "off (set ALLOW_WRITES=1)"
    calls = "allowed" if t.can_create_calls else "off (set ALLOW_WRITES=1 and TEST_CONTACT_NUMBER)"
    return [f"huskyvoice: target {t.base_url} ({kind}); profile {profiles.current().name}; "
            f"seed {config.huskyvoice_seed}",
            f"huskyvoice: keys {t.keys_file} ({len(t.keys)} keys); slot writes {writes}; call creation {calls}"]


@pytest.fixture(scope="session")
def target(request) -> Target:
    return _target(request.config)


@pytest.fixture(scope="session")
def seed(request) -> int:
    return request.config.huskyvoice_seed


@pytest.fixture
def api(target) -> Api:
    return Api(target.base_url, headers=target.session_headers, keys=target.keys)


REPRODUCED_ENV = ("ALLOW_WRITES", "TEST_CONTACT_NUMBER", "DOCS_EXAMPLES", "RATE_LIMIT_PROBE", "COMPLETED_CALL_ID",
                  "IN_PROGRESS_CALL_ID", "DELETABLE_CALL_ID")


def reproduce_command(config, test_name: str | None = None) -> str:
    """A command that runs the suite again as this run did (the same seed, target and keys):
    `huskyvoice-contract …` when the run came from it (an installed kit), `make contract …` otherwise."""
    if os.environ.get("HUSKYVOICE_CONTRACT_CLI") == "1":
        return _cli_command(config, test_name)
    t = _target(config)
    parts = ["make", "contract", f"SEED={config.huskyvoice_seed}"]
    if os.environ.get("HUSKYVOICE_BUNDLED_MOCK") != "1":
        parts.append(f"TARGET={shlex.quote(t.base_url)}")
    if os.environ.get("KEYS") or config.getoption("--keys"):
        parts.append(f"KEYS={shlex.quote(str(t.keys_file))}")
    if profiles.current().name != "fast":
        parts.append(f"PROFILE={profiles.current().name}")
    for name in REPRODUCED_ENV:
        if os.environ.get(name):
            parts.append(f"{name}={shlex.quote(os.environ[name])}")
    if test_name:
        parts.append(f"K={shlex.quote(test_name)}")
    return " ".join(parts)


def _cli_command(config, test_name: str | None) -> str:
    t = _target(config)
    env = [f"{name}={shlex.quote(os.environ[name])}" for name in REPRODUCED_ENV if os.environ.get(name)]
    parts = [*env, "huskyvoice-contract", "--seed", str(config.huskyvoice_seed)]
    if os.environ.get("HUSKYVOICE_BUNDLED_MOCK") != "1":
        parts += ["--target", shlex.quote(t.base_url)]
    if os.environ.get("KEYS") or config.getoption("--keys"):
        parts += ["--keys", shlex.quote(str(t.keys_file))]
    if profiles.current().name != "fast":
        parts += ["--profile", profiles.current().name]
    if test_name:
        parts += ["--", "-k", shlex.quote(test_name)]
    return " ".join(parts)


def pytest_collection_modifyitems(config, items):
    t = _target(config)
    for item in items:
        choice = item.get_closest_marker("mock_only")
        if choice is not None and not t.is_mock:
            decision = choice.args[0] if choice.args else "docs/decisions.md"
            if choice.kwargs.get("observe"):
                item.add_marker(pytest.mark.xfail(strict=False, reason=(
                    f"open ({decision}): the docs leave this open; the target's answer is recorded, not judged")))
            else:
                item.add_marker(pytest.mark.skip(reason=(
                    f"checks a choice the docs leave open ({decision}); bundled mock only")))
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
    if report.skipped and call.when in ("setup", "call") and not hasattr(report, "wasxfail"):
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
    lines.append(f"Reproduce with: {reproduce_command(item.config, item.originalname)}")
    text = "\n".join(lines)
    # Both: the longrepr section shows in the terminal and JUnit, but plugins that
    # rewrite longrepr (Schemathesis does) drop it, and report.sections survives them.
    if hasattr(report.longrepr, "addsection"):
        report.longrepr.addsection("HuskyVoice contract", text)
    report.sections.append(("HuskyVoice contract", text))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skips = getattr(config, "huskyvoice_skips", {})
    if skips:
        terminalreporter.section("HuskyVoice: what was skipped, and why")
        for reason, nodes in sorted(skips.items(), key=lambda kv: -len(kv[1])):
            terminalreporter.write_line(f"{len(nodes):4d} × {reason}")
    if exitstatus and getattr(config, "huskyvoice_target", None) is not None:
        terminalreporter.write_line(f"seed {config.huskyvoice_seed}; run it again with: {reproduce_command(config)}")


def need_key(target: Target, *scopes: str):
    """The key for a test, or a skip that names the scope the keys file lacks."""
    key = target.key_with(*scopes)
    if key is None:
        pytest.skip(f"the keys file has no key with {' + '.join(scopes)}")
    return key
