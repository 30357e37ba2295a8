"""The client under test, once on requests and once on httpx, pointed at the HuskyVoice mock.
`huskyvoice` (from the kit's pytest plugin) is the mock's control API in this test's own
X-Mock-Session; its `api_headers` put the client's requests in that session."""
import pytest

import husky_httpx
import husky_requests


@pytest.fixture(params=[husky_requests, husky_httpx], ids=["requests", "httpx"])
def client(request, huskyvoice):
    return request.param.HuskyClient(huskyvoice.base_url, huskyvoice.api_headers)
