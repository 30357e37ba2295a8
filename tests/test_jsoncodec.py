"""mock_server/jsoncodec.py writes handlers' answers with orjson and falls back to the standard
library for what orjson refuses: whatever a handler returns reads back as the same value."""
from __future__ import annotations

import json

from hypothesis import given, settings, strategies as st

from mock_server.jsoncodec import JSONIFIER

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**80, 2**80) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(codec=None)),  # lone surrogates included
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_every_answer_reads_back_as_the_value_the_handler_returned(value):
    text = JSONIFIER.dumps(value)
    assert json.loads(text) == value


def test_what_orjson_refuses_is_written_by_the_standard_library():
    """A contact name holding a lone surrogate (D-json-utf8), an integer past 64 bits in metadata."""
    assert json.loads(JSONIFIER.dumps({"contact_name": "\ud800"})) == {"contact_name": "\ud800"}
    assert json.loads(JSONIFIER.dumps({"metadata": {"n": 2**70}})) == {"metadata": {"n": 2**70}}


def test_the_app_answers_with_it(client, auth):
    """Non-ASCII text is written as UTF-8 (orjson), not as \\u escapes (the standard library's default)."""
    created = client.post("/v1/calls", json={"agent_id": "agent_123", "contact_number": "+919876543210",
                                             "contact_name": "Zoë"}, headers=auth())
    assert created.status_code == 201
    read = client.get(f"/v1/calls/{created.json()['data']['call_id']}", headers=auth())
    assert "Zoë".encode() in read.content and read.json()["data"]["contact_name"] == "Zoë"
