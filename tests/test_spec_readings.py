"""The spec audited against the docs, on the real openapi.yaml as PyYAML reads it.

Every constraint of the document is either stated by the docs (its node quotes them in
`x-docs`, and the quote is in the docs) or a choice of ours (`x-mock-choice`, with an
entry in docs/decisions.md) that gives way in the docs' reading: the reading the
contract suite judges servers by when they are not the bundled mock."""
from __future__ import annotations

import re
from typing import Any, Iterator

import pytest
import yaml

from conftest import DOCS_DIR, ROOT
from contract_tests import spec
from contract_tests.spec import Sent, choices_of, reading, request_valid, sides_of

# Keywords that narrow what is valid. `type` is left out (every schema has one, and the
# docs' examples show each field's), and so is `nullable`, which only widens.
CONSTRAINTS = {"format", "pattern", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum",
               "exclusiveMaximum", "multipleOf", "enum", "required", "additionalProperties", "minProperties",
               "maxProperties", "minItems", "maxItems", "uniqueItems", "anyOf", "oneOf", "allOf", "not"}
DECISIONS = (ROOT / "docs" / "decisions.md").read_text(encoding="utf-8")


def docs_text() -> str:
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(DOCS_DIR.glob("*.txt")))
    return re.sub(r"\s+", " ", text)


def walk(node: Any, pointer: str = "#") -> Iterator[tuple[str, dict]]:
    """Every mapping of `node` with its JSON pointer."""
    if isinstance(node, dict):
        yield pointer, node
        for key, value in node.items():
            yield from walk(value, f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{pointer}/{index}")


def at(doc: dict, pointer: str) -> Any:
    node = doc
    for part in pointer.removeprefix("#/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node.get(part) if isinstance(node, dict) else None
        if node is None:
            return None
    return node


def constraints_of(node: dict, kind: str) -> set[str]:
    if kind in ("parameter", "header", "requestBody"):
        return {"required"} if node.get("required") is True and node.get("in") != "path" else set()
    found = {k for k in CONSTRAINTS & set(node) if not (k == "required" and node[k] is True)}
    if node.get("additionalProperties") is True:
        found.discard("additionalProperties")
    return found


def reachable(doc: dict) -> Iterator[tuple[str, dict, str]]:
    """(pointer, node, kind) for every schema, parameter, header and request body the
    operations reach, $refs followed; the subtree a choice's `docs` put in is the choice's."""
    seen: set[str] = set()

    def resolve(node: Any, pointer: str) -> tuple[Any, str]:
        while isinstance(node, dict) and "$ref" in node:
            pointer = node["$ref"]
            node = at(doc, pointer)
        return node, pointer

    def visit(node: Any, pointer: str, kind: str) -> Iterator[tuple[str, dict, str]]:
        node, pointer = resolve(node, pointer)
        if not isinstance(node, dict) or (pointer, kind) in seen:
            return
        seen.add((pointer, kind))
        yield pointer, node, kind
        introduced = {k for c in choices_of(node) if sides_of(c) & {"request", "response"} for k in c.get("docs", {})}
        if kind in ("parameter", "header"):
            if "schema" in node and "schema" not in introduced:
                yield from visit(node["schema"], f"{pointer}/schema", "schema")
            return
        if kind == "requestBody":
            for media, content in node.get("content", {}).items():
                yield from visit(content.get("schema"), f"{pointer}/content/{media}/schema", "schema")
            return
        for key in ("items", "additionalProperties", "not"):
            if isinstance(node.get(key), dict) and key not in introduced:
                yield from visit(node[key], f"{pointer}/{key}", "schema")
        for name, prop in node.get("properties", {}).items():
            yield from visit(prop, f"{pointer}/properties/{name}", "schema")
        for key in ("anyOf", "oneOf", "allOf"):
            if key not in introduced:
                for index, sub in enumerate(node.get(key, [])):
                    yield from visit(sub, f"{pointer}/{key}/{index}", "schema")

    for path, item in doc["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict) or "operationId" not in op:
                continue
            base = f"#/paths/{path.replace('/', '~1')}/{method}"
            for index, param in enumerate([*item.get("parameters", []), *op.get("parameters", [])]):
                yield from visit(param, f"{base}/parameters/{index}", "parameter")
            if "requestBody" in op:
                yield from visit(op["requestBody"], f"{base}/requestBody", "requestBody")
            for status, response in op.get("responses", {}).items():
                response, rpointer = resolve(response, f"{base}/responses/{status}")
                for name, header in (response or {}).get("headers", {}).items():
                    yield from visit(header, f"{rpointer}/headers/{name}", "header")
                for media, content in (response or {}).get("content", {}).items():
                    yield from visit(content.get("schema"), f"{rpointer}/content/{media}/schema", "schema")


def all_choices() -> list[tuple[str, dict]]:
    return [(pointer, choice) for pointer, node in walk(spec.document()) for choice in choices_of(node)]


def test_every_choice_is_read_as_written_yaml_1_1_booleans_included():
    """Each x-mock-choice, as PyYAML reads it, has a text side of request or response, and no key
    YAML 1.1 turned into a boolean (a bare `on:` is True)."""
    choices = all_choices()
    assert len(choices) >= 20
    for pointer, choice in choices:
        assert all(isinstance(k, str) for k in choice), f"{pointer}: a key read as {[k for k in choice if not isinstance(k, str)]}"
        assert sides_of(choice) <= {"request", "response"} and sides_of(choice), f"{pointer}: side {choice.get('side')!r}"
        assert set(choice) <= {"decision", "side", "relax", "docs", "strict"}, f"{pointer}: {sorted(choice)}"
        assert choice.get("relax") or choice.get("docs") or choice.get("strict"), f"{pointer}: a choice that changes nothing"


def test_every_choice_names_a_decision_recorded_in_decisions_md():
    """'Each choice we make where the docs are silent goes in docs/decisions.md'."""
    for pointer, choice in all_choices():
        assert f"### {choice['decision']} " in DECISIONS, f"{pointer}: {choice['decision']} is not in docs/decisions.md"


@pytest.mark.parametrize("reading_name,sides", [("docs", {"request", "response"}), ("foreign-responses", {"response"})])
def test_in_the_docs_reading_no_relaxed_keyword_survives(reading_name, sides):
    """In the reading a foreign target is judged by, every keyword a choice relaxes is gone
    (unless the choice's own `docs` puts one back)."""
    doc = reading("docs") if reading_name == "docs" else spec.for_target(is_mock=False)
    checked = 0
    for pointer, choice in all_choices():
        if not sides_of(choice) & sides:
            continue
        node = at(doc, pointer.rsplit("/x-mock-choice", 1)[0])
        for keyword in choice.get("relax", []):
            checked += 1
            if keyword in choice.get("docs", {}):
                assert node[keyword] == choice["docs"][keyword], f"{pointer}: {keyword}"
            else:
                assert keyword not in node, f"{pointer}: {keyword} survives the docs' reading"
    assert checked >= 20


def test_the_mock_reading_keeps_every_relaxed_keyword():
    """The bundled mock is held to its choices: the document it is judged by is the one written."""
    for pointer, choice in all_choices():
        node = at(spec.for_target(is_mock=True), pointer.rsplit("/x-mock-choice", 1)[0])
        for keyword in choice.get("relax", []):
            assert keyword in node, f"{pointer}: {keyword}"


def test_every_constraint_the_docs_reading_keeps_is_stated_by_the_docs():
    """Each constraint left in the docs' reading sits on a node that quotes the docs (x-docs), or
    was put there by a choice's docs' reading."""
    doc = reading("docs")
    unexplained = []
    for pointer, node, kind in reachable(doc):
        kept = constraints_of(node, kind)
        introduced = {k for c in choices_of(node) for k in c.get("docs", {})}
        if kept - introduced and "x-docs" not in node:
            unexplained.append(f"{pointer}: {sorted(kept - introduced)}")
    assert not unexplained, "constraints the docs do not state:\n" + "\n".join(unexplained)


def test_every_x_docs_quote_is_in_the_docs():
    """An x-docs quote is the docs' own words (whitespace aside)."""
    text = docs_text()
    quotes = [(pointer, q) for pointer, node in walk(spec.document()) if "x-docs" in node
              for q in (node["x-docs"] if isinstance(node["x-docs"], list) else [node["x-docs"]])]
    assert len(quotes) >= 25
    missing = [f"{pointer}: {q!r}" for pointer, q in quotes if re.sub(r"\s+", " ", q) not in text]
    assert not missing, "quotes not found in the docs:\n" + "\n".join(missing)


def sent(url: str, body: bytes | None = None, content_type: str | None = "application/json", template: str = "") -> Sent:
    import requests
    headers = {"Content-Type": content_type} if content_type and body is not None else {}
    prepared = requests.Request("GET" if body is None else "POST", url, data=body, headers=headers).prepare()
    return Sent.from_prepared(prepared, "/v1", template)


TRACKING = "/appointment-slots/schedule-tracking"


@pytest.mark.parametrize("query,mock,docs,strict", [
    ("date_from=2026-06-15", True, True, True),
    ("date_to=2026-06-21", False, False, False),  # "date_from | Yes"
    ("date_from=tomorrow", False, False, False),  # "Start date — YYYY-MM-DD"
    ("date_from=2026-02-30", False, True, False),  # D-date-format: YYYY-MM-DD, but no such date
    ("date_from=2026-06-15&date_to=", False, True, False),  # D-empty-as-omitted
    ("date_from=2026-06-15&session=Night", False, True, False),  # D-filter-values
    ("date_from=2026-06-15&branch_id=branch_uuid_here", True, True, False),  # D-filter-ids: "Filter by branch UUID"
    ("date_from=2026-06-15&sesion=Morning", False, True, False),  # D-strict-query
    ("date_from=2026-06-15&date_from=2026-06-16", False, True, False),  # a repeated parameter
])
def test_a_tracking_query_is_valid_under_each_reading_as_the_docs_and_decisions_say(query, mock, docs, strict):
    """mock: the mock's choices; docs: what the docs state; strict: the strictest the docs allow."""
    request = sent(f"http://h/v1{TRACKING}?{query}", template=TRACKING)
    verdicts = {name: request_valid(name, "getScheduleTracking", request) for name in ("mock", "docs", "strict")}
    assert verdicts == {"mock": mock, "docs": docs, "strict": strict}


@pytest.mark.parametrize("body,mock,docs", [
    (b'{"status": "CLOSED"}', True, True),
    (b'{"status": "closed"}', False, False),  # 'status | "OPEN" or "CLOSED"'
    (b'{}', False, True),  # D-empty-patch
    (b'{"max_slots": 100001}', False, True),  # D-max-slots-bounds
    (b'{"max_slots": -1}', False, False),  # a capacity
    (b'{"filled_slots": 3}', False, True),  # D-unknown-body-fields: "cannot be set directly" may be by ignoring it
    (b'{"status": null}', False, True),  # D-empty-as-omitted
])
def test_a_patch_body_is_valid_under_each_reading_as_the_docs_and_decisions_say(body, mock, docs):
    """The tracking PATCH body under the mock's reading and the docs'."""
    path = "/appointment-slots/tracking/{slot_id}"
    request = sent(f"http://h/v1/appointment-slots/tracking/{'a' * 8}-{'b' * 4}-{'c' * 4}-{'d' * 4}-{'e' * 12}"
                   f"%7C%7C2026-06-15%7C%7C{'a' * 8}-{'b' * 4}-{'c' * 4}-{'d' * 4}-{'e' * 12}", body, template=path)
    assert (request_valid("mock", "updateTrackingRecord", request),
            request_valid("docs", "updateTrackingRecord", request)) == (mock, docs)


def test_a_body_sent_as_another_media_type_is_read_as_its_bytes_only_in_the_docs_reading():
    """D-extra-statuses: the mock refuses a body that is not application/json (415); a server may read it anyway."""
    request = sent("http://h/v1/appointment-slots/regenerate", b'{"date_from": "2026-06-15"}', "text/plain",
                   template="/appointment-slots/regenerate")
    assert not request_valid("mock", "regenerateTracking", request)
    assert request_valid("docs", "regenerateTracking", request)


def test_a_negative_case_is_judged_by_the_request_as_sent():
    """Seed 1655194632's false ST201: the generated case lacked Authorization (the suite adds it back) and held
    a query parameter with an empty name, which serialization dropped. As sent (this URL, from the failure's
    curl), the request is valid, so it need not be refused."""
    import requests
    url = f"http://h/v1{TRACKING}?branch_id=0&appointment_type_id=0&date_from=0031-01-01"
    request = Sent.from_prepared(requests.Request("GET", url, headers={"Authorization": "Bearer k"}).prepare(),
                                 "/v1", TRACKING)
    assert request_valid("mock", "getScheduleTracking", request)


def test_yaml_1_1_would_have_hidden_the_side_key():
    """Why the key is `side`: PyYAML reads a bare `on:` as True, so a lookup of "on" finds nothing."""
    assert yaml.safe_load("choice: {on: request}") == {"choice": {True: "request"}}
