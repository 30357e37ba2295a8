"""What Connexion builds per request is built once: per operation by mock_server/speedups.py,
per schema by validation.checked. What was per request must still behave per request: each
request's own charset, each operation's own parameters, Swagger UI only on its own paths."""
from __future__ import annotations

import importlib.metadata
import json

import pytest

from mock_server import cli, speedups
from mock_server.app import create_app
from mock_server.state import State

from conftest import assert_error, auth_header, call_body


@pytest.fixture(scope="module", params=[False, True], ids=["public-api", "speedups"])
def client(request):
    """The mock built both ways: on Connexion's public API alone, and with mock_server/speedups.py."""
    app = create_app(State(), validate_responses=True, speedups=request.param)
    assert app.speedups_ is request.param
    return app.test_client()


BODY = json.dumps(call_body(contact_name="Zoë Ñandú"), ensure_ascii=False)


def _post(client, raw: bytes, content_type: str):
    return client.post("/v1/calls", content=raw, headers={**auth_header(), "Content-Type": content_type})


CHARSETS = ["utf-8", "UTF-8", "utf-16", "latin-1", "x-unknown"]


@pytest.mark.parametrize("charset", CHARSETS)
@pytest.mark.parametrize("space", ["; ", ";"], ids=["space", "no-space"])
def test_json_body_is_read_as_utf8_whatever_the_charset(client, charset, space):
    """D-json-utf8: UTF-8 is stored exactly; the charset parameter changes nothing."""
    response = _post(client, BODY.encode("utf-8"), f"application/json{space}charset={charset}")
    assert response.status_code == 201, (charset, response.text)
    call_id = response.json()["data"]["call_id"]
    assert client.get(f"/v1/calls/{call_id}", headers=auth_header()).json()["data"]["contact_name"] == "Zoë Ñandú"


@pytest.mark.parametrize("charset", ["latin-1", "utf-16"])
@pytest.mark.parametrize("space", ["; ", ";"], ids=["space", "no-space"])
def test_body_in_another_encoding_is_400_not_500(client, charset, space):
    """D-json-utf8: a body that is not UTF-8 is a 400, even when its charset is declared."""
    assert_error(_post(client, BODY.encode(charset), f"application/json{space}charset={charset}"),
                 400, "VALIDATION_ERROR")


def test_many_distinct_charsets_do_not_break_validation(client):
    """Validators are kept per (media type, charset), at most 64; past that, requests are still validated."""
    for i in range(80):
        assert _post(client, BODY.encode(), f"application/json;charset=x-{i}").status_code == 201
    bad = json.dumps(call_body(agent_id=None)).encode()
    for charset in ("x-99", "utf-8", "x-3"):
        assert_error(_post(client, bad, f"application/json;charset={charset}"), 400, "VALIDATION_ERROR")


@pytest.mark.parametrize("path, name", [
    ("/v1/appointment-slots/availability?date=2026-13-01", "date"),
    ("/v1/appointment-slots/availability?date=2026-06-15&session=Night", "session"),
    ("/v1/appointment-slots/schedule-tracking?date_from=2026-06-15&date_to=nope", "date_to"),
])
def test_parameter_errors_name_the_parameter_of_this_operation(client, path, name):
    """One validator per parameter, built once: each error still names its own parameter."""
    error = assert_error(client.get(path, headers=auth_header()), 400, "VALIDATION_ERROR")
    assert error.get("field") == name, error


def test_swagger_ui_and_the_spec_are_still_served(client):
    assert client.get("/v1/openapi.json").json()["info"]["title"]
    ui = client.get("/v1/ui/")
    assert ui.status_code == 200 and "swagger" in ui.text.lower()


def test_an_api_path_that_looks_like_the_ui_still_reaches_the_api(client):
    """Paths containing "/ui" go through Swagger UI's router, which passes them on."""
    assert_error(client.get("/v1/calls/ui", headers=auth_header()), 404, "NOT_FOUND")
    assert_error(client.get("/v1/calls/ui"), 401, "UNAUTHORIZED")


# ── the speed-ups themselves: written for one Connexion, optional ─────────
def test_the_speedups_fit_the_installed_connexion():
    """Issue 14: speedups.py reaches into Connexion's internals, so it names the release it was written
    against. This fails on any other: read speedups.py against the new release, then update WRITTEN_FOR."""
    for package, version in speedups.WRITTEN_FOR.items():
        assert importlib.metadata.version(package) == version, (
            f"{package} {importlib.metadata.version(package)} is installed; mock_server/speedups.py was written "
            f"against {version}. Check each private name it uses against the new release, then update WRITTEN_FOR.")
    assert speedups.available() is None


def test_another_connexion_release_turns_the_speedups_off_and_the_mock_still_serves(monkeypatch, caplog):
    """Issue 14: "create_app works without" them: on a release they were not written for, they are off."""
    real = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "9.9.9" if name == "connexion" else real(name))
    app = create_app(State(), speedups=True)
    assert app.speedups_ is False
    assert "speed-ups off: connexion 9.9.9" in caplog.text
    response = app.test_client().post("/v1/calls", json=call_body(), headers=auth_header())
    assert response.status_code == 201, response.text


def test_the_app_is_on_the_public_api_unless_asked(monkeypatch):
    """create_app() uses no private internals; the CLI turns the speed-ups on, and --no-speedups
    or HUSKYVOICE_SPEEDUPS=off turns them off."""
    assert create_app(State()).speedups_ is False
    monkeypatch.delenv("HUSKYVOICE_SPEEDUPS", raising=False)
    assert cli.parser().parse_args([]).no_speedups is False
    assert cli.parser().parse_args(["--no-speedups"]).no_speedups is True
    monkeypatch.setenv("HUSKYVOICE_SPEEDUPS", "off")
    assert cli.parser().parse_args([]).no_speedups is True


@pytest.mark.parametrize("env, off", [({}, False), ({"HUSKYVOICE_SPEEDUPS": "off"}, True)], ids=["default", "off"])
def test_the_cli_says_when_the_speedups_are_off(env, off):
    """`make … SPEEDUPS=off` reaches the mock through HUSKYVOICE_SPEEDUPS, and the banner says so."""
    import os
    import subprocess
    import sys

    from conftest import free_port
    environ = {k: v for k, v in os.environ.items() if k != "HUSKYVOICE_SPEEDUPS"} | env
    process = subprocess.Popen([sys.executable, "-m", "mock_server", "--port", str(free_port())], env=environ,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        banner = [process.stdout.readline() for _ in range(4 if off else 3)]
    finally:
        process.terminate()
        process.wait(10)
    assert banner[-1].startswith("API keys and scopes:"), banner
    assert any(line.startswith("Speed-ups: off") for line in banner) is off, banner
