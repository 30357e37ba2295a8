"""D-unparsable-http: bytes the HTTP server cannot take as a request (a control character in a
header, a request line that is not HTTP, a head over cli.HEAD_CUTOFF) are refused by the server
itself, before the app: 400 or 431, no body, and the connection closed. The app's own errors
always carry the envelope and never close the connection, so this shape is the server's alone."""
from __future__ import annotations

SERVER_REFUSALS = (400, 431)


def is_server_refusal(status: int, headers, body: bytes) -> bool:
    """`headers`: a mapping of lower-case names to values (str)."""
    return (status in SERVER_REFUSALS and not body and headers.get("connection", "").lower() == "close"
            and headers.get("content-length", "0") == "0")


def assert_server_refusal(raw: bytes) -> None:
    """`raw`: everything read from the socket after sending the refused bytes."""
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    status = int(status_line.split()[1])
    assert is_server_refusal(status, headers, body), f"not the server's refusal (D-unparsable-http): {raw[:300]!r}"
