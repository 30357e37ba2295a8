"""A thin requests wrapper that remembers every exchange, so a failing test can
show the request as a runnable curl command and the response it got. A key of the
keys file is never printed: the curl reads it from $HUSKYVOICE_API_KEY. Credentials
that are no key (a made-up one, another scheme) are printed as sent, so the curl
sends what the test sent."""
from __future__ import annotations

import json
import shlex
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import requests

from .target import Key

RATE_LIMIT_RETRIES = 5
LONGEST_RATE_LIMIT_WAIT = 60.0  # seconds


def retry_after_delay(value: str | None, at: datetime) -> float | None:
    """Retry-After as seconds from `at` (when the 429 came): delta-seconds, or an HTTP-date
    (RFC 9110 §10.2.3, D-retry-after-form); None when it is neither."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - at).total_seconds())


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds to wait from now."""
    return retry_after_delay(value, datetime.now(timezone.utc))


@dataclass
class Exchange:
    method: str
    url: str
    headers: dict
    body: bytes | None
    key_label: str | None
    status: int
    response_headers: dict
    response_text: str
    key_secret: str | None = field(default=None, repr=False)

    def curl(self) -> str:
        parts = ["curl", "-s", "-i", "-X", self.method, shlex.quote(self.url)]
        for name, value in self.headers.items():
            if self.key_secret and self.key_secret in str(value):
                masked = str(value).replace(self.key_secret, "${HUSKYVOICE_API_KEY}").replace('"', '\\"')
                parts += ["-H", f'"{name}: {masked}"']
                continue
            parts += ["-H", shlex.quote(f"{name}: {value}")]
        if self.body:
            parts += ["--data-binary", shlex.quote(self.body.decode("utf-8", "replace"))]
        line = " ".join(parts)
        return f"{line}\n    (with HUSKYVOICE_API_KEY set to the key labelled '{self.key_label}')" if self.key_label else line

    def describe(self) -> str:
        text = self.response_text if len(self.response_text) < 2000 else self.response_text[:2000] + "…"
        return f"Request:\n  {self.curl()}\nResponse: {self.status}\n  {text}"


class Api:
    def __init__(self, base_url: str, timeout: float = 15.0, headers: dict | None = None,
                 keys: tuple[Key, ...] = ()) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.default_headers = dict(headers or {})  # on every request (the suite's X-Mock-Session)
        self.timeout = timeout
        self.exchanges: list[Exchange] = []
        self.keys = keys  # to find, and mask, a key a test sent in a header of its own

    def request(self, method: str, path: str, *, key: Key | None = None, headers: dict | None = None,
                json_body=None, data: bytes | str | None = None, params=None, raw_path: bool = False,
                slow_down: bool = True) -> requests.Response:
        """Send one request. A 429 is what the docs say it is, "slow down requests and retry after the
        indicated delay": with `slow_down` the client does just that (a few times, waits up to a minute)
        rather than hold a test's check to a server's rate limit the docs never state."""
        for _ in range(RATE_LIMIT_RETRIES):
            response = self._send(method, path, key=key, headers=headers, json_body=json_body, data=data,
                                  params=params, raw_path=raw_path)
            wait = retry_after_seconds(response.headers.get("Retry-After")) if response.status_code == 429 else None
            if not slow_down or wait is None or wait > LONGEST_RATE_LIMIT_WAIT:
                return response
            time.sleep(wait)
        return response

    def _send(self, method: str, path: str, *, key: Key | None, headers: dict | None, json_body, data, params,
              raw_path: bool) -> requests.Response:
        url = path if raw_path else f"{self.base_url}{path}"
        all_headers = {**self.default_headers, **(headers or {})}
        if key is not None:
            all_headers["Authorization"] = f"Bearer {key.secret}"
        if json_body is not None:
            data = json.dumps(json_body)
            all_headers.setdefault("Content-Type", "application/json")
        if isinstance(data, str):
            data = data.encode("utf-8")
        prepared = requests.Request(method, url, headers=all_headers, data=data, params=params).prepare()
        if raw_path:  # keep `||` unencoded, as curl sends it
            prepared.url = url
        response = self.session.send(prepared, timeout=self.timeout, allow_redirects=False)
        if key is None:
            sent = str(all_headers.get("Authorization", ""))
            key = next((k for k in self.keys if k.secret and k.secret in sent), None)
        body = prepared.body if isinstance(prepared.body, bytes) else (prepared.body or "").encode() or None
        self.exchanges.append(Exchange(method, prepared.url, dict(prepared.headers), body,
                                       key.label if key else None, response.status_code,
                                       dict(response.headers), response.text, key.secret if key else None))
        del self.exchanges[:-5]
        return response

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def last(self) -> Exchange | None:
        return self.exchanges[-1] if self.exchanges else None


def codes_in(body) -> set[str]:
    """Every string anywhere in a JSON body: where a server puts its error code is
    not documented, so the suite looks for the documented code anywhere."""
    found = set()
    stack = [body]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.add(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found
