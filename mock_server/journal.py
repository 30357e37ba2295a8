"""The last N requests and responses, for a client's tests to check what their code
sent. The Authorization header is masked; a key is never stored."""
from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict, dataclass

MASKED = "Bearer ***"
BODY_LIMIT = 4096


@dataclass(frozen=True)
class Entry:
    at: str  # mock clock
    session: str | None
    method: str
    path: str
    query: str
    operation_id: str | None
    key_label: str | None
    request_headers: dict
    request_body: str
    status: int
    response_body: str
    duration_ms: float


def masked_headers(raw: list[tuple[bytes, bytes]]) -> dict:
    headers = {}
    for name, value in raw:
        key = name.decode("latin-1").lower()
        headers[key] = MASKED if key in ("authorization", "x-mock-control-token") else value.decode("latin-1")
    return headers


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
        return [asdict(e) for e in found[:limit]]

    def clear(self) -> int:
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
            return count
