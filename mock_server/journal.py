"""The last N requests and responses, for a client's tests to check what their code
sent. No key is stored: the headers that carry credentials are masked, and so is any
header or query value that is a known key. Each X-Mock-Session reads and clears its
own entries only. A header is kept up to HEADER_LIMIT bytes.

Entries are recorded on every request and read rarely, so they keep what the request
had (bytes, a datetime) and are turned into text only when the control API reads them."""
from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Callable
from urllib.parse import unquote_to_bytes

from .clock import isoformat_z

MASKED = "Bearer ***"
BODY_LIMIT = 4096
HEADER_LIMIT = 1024
SECRET_HEADERS = (b"authorization", b"proxy-authorization", b"x-api-key", b"cookie", b"x-mock-control-token")
_MASKED = MASKED.encode()
_MASKED_VALUE = b"***"


@dataclass(slots=True)
class Entry:
    at: datetime  # mock clock
    session: str | None
    method: str
    path: str
    query: bytes
    operation_id: str | None
    key_label: str | None
    request_headers: list[tuple[bytes, bytes]]  # masked already: see masked()
    request_body: bytes  # at most BODY_LIMIT + 1 bytes: the extra byte says it was cut
    status: int
    response_body: bytes
    duration_ms: float

    def as_dict(self) -> dict:
        return {"at": isoformat_z(self.at), "session": self.session, "method": self.method, "path": self.path,
                "query": self.query.decode("latin-1"), "operation_id": self.operation_id,
                "key_label": self.key_label,
                "request_headers": {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in self.request_headers},
                "request_body": clip(self.request_body), "status": self.status,
                "response_body": clip(self.response_body), "duration_ms": self.duration_ms}


def masked(raw: list[tuple[bytes, bytes]], is_key: Callable[[str], bool] = lambda text: False) -> list[tuple[bytes, bytes]]:
    """The request's headers with the secrets replaced, so no key reaches the journal, each
    cut at HEADER_LIMIT bytes (a 100 MB header is not kept whole)."""
    out = []
    for name, value in raw:
        if name.lower() in SECRET_HEADERS:
            value = _MASKED if name.lower() in (b"authorization", b"proxy-authorization") else _MASKED_VALUE
        elif is_key(value.decode("latin-1")):
            value = _MASKED_VALUE
        out.append((name, value[:HEADER_LIMIT]))
    return out


def masked_query(query: bytes, is_key: Callable[[str], bool] = lambda text: False) -> bytes:
    """The query string with any value that is a key replaced (`?api_key=…`)."""
    if not query:
        return query
    pairs = []
    for pair in query.split(b"&"):
        name, sep, value = pair.partition(b"=")
        if sep and is_key(unquote_to_bytes(value).decode("latin-1")):
            value = _MASKED_VALUE
        pairs.append(name + sep + value)
    return b"&".join(pairs)[:BODY_LIMIT]


def clip(data: bytes) -> str:
    text = data[:BODY_LIMIT].decode("utf-8", "replace")
    return text + ("…" if len(data) > BODY_LIMIT else "")


class Journal:
    def __init__(self, size: int = 1000) -> None:
        self._entries: deque[Entry] = deque(maxlen=size)
        self._lock = threading.Lock()

    def add(self, entry: Entry) -> None:
        with self._lock:
            self._entries.append(entry)

    def query(self, *, limit: int = 100, method: str | None = None, path_prefix: str | None = None,
              status: int | None = None, operation_id: str | None = None, session: str | None = None) -> list[dict]:
        with self._lock:
            entries = list(self._entries)
        found = [e for e in reversed(entries)
                 if (method is None or e.method == method.upper())
                 and (path_prefix is None or e.path.startswith(path_prefix))
                 and (status is None or e.status == status)
                 and (operation_id is None or e.operation_id == operation_id)
                 and (session is None or e.session == session)]
        return [e.as_dict() for e in found[:limit]]

    def clear(self, session: str | None = None, *, every_session: bool = False) -> int:
        """Drop the entries of `session` (None: the default state's), or with `every_session` all."""
        with self._lock:
            count = len(self._entries)
            if every_session:
                self._entries.clear()
                return count
            kept = [e for e in self._entries if e.session != session]
            self._entries.clear()
            self._entries.extend(kept)
            return count - len(kept)
