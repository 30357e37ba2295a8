"""mock_server/connexion_tuning.py builds per operation what Connexion built per request.
What was per request must still behave per request: each request's own charset, each
operation's own parameters, Swagger UI only on its own paths."""
from __future__ import annotations

import json

import pytest

from conftest import assert_error, auth_header, call_body

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
