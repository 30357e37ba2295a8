"""The HTTP protocol the CLI serves with: uvicorn's httptools protocol with one write per
response (one_write.py), and requests that are not HTTP answered with the error envelope."""
from __future__ import annotations

from .envelope import JSON, error_bytes
from .errors import ValidationFailed
from .one_write import OneWriteHttpToolsProtocol

_UNPARSABLE = error_bytes(ValidationFailed(
    "The request is not valid HTTP/1.1: its request line or a header could not be parsed "
    "(control characters in a header value, for example)."))


class MockHttpProtocol(OneWriteHttpToolsProtocol):
    def send_400_response(self, msg: str) -> None:
        # uvicorn answers bytes httptools refuses with a plain-text 400 before the app sees
        # them; a client of the mock gets the same JSON envelope as for any other bad input.
        head = [b"HTTP/1.1 400 Bad Request\r\n"]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [b"content-type: ", JSON.encode(), b"\r\ncontent-length: ", str(len(_UNPARSABLE)).encode(),
                 b"\r\nconnection: close\r\n\r\n"]
        self.transport.write(b"".join(head) + _UNPARSABLE)
        self.transport.close()
