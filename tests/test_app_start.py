"""Issue 14: the mock starts from any valid spec through Connexion's public API. Its handlers are
found by operationId (an operation without `x-required-scope` made start-up fail with a KeyError,
the resolver being built from that extension's keys), and Connexion checks each spec at start
(no process-wide patch of its private spec validation)."""
from __future__ import annotations

import yaml

from mock_server.app import create_app
from mock_server.spec import SPEC_PATH


def test_an_operation_without_a_required_scope_still_gets_its_handler(tmp_path):
    document = yaml.safe_load(SPEC_PATH.read_text())
    del document["paths"]["/appointment-slots/availability"]["get"]["x-required-scope"]
    spec = tmp_path / "openapi.yaml"
    spec.write_text(yaml.safe_dump(document))
    client = create_app(spec_path=spec).test_client()
    response = client.get("/v1/appointment-slots/availability?date=2026-06-15",
                          headers={"Authorization": "Bearer YOUR_API_KEY"})
    assert response.status_code == 200


def test_connexion_validates_the_spec_at_start(tmp_path):
    """A spec that is not OpenAPI is refused at start by Connexion's own check."""
    import pytest
    from connexion.exceptions import InvalidSpecification
    document = yaml.safe_load(SPEC_PATH.read_text())
    document["paths"]["/calls"]["post"]["responses"] = "not a mapping"
    spec = tmp_path / "openapi.yaml"
    spec.write_text(yaml.safe_dump(document))
    with pytest.raises(InvalidSpecification):
        create_app(spec_path=spec)
