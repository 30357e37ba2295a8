"""The HTTP protocol the CLI serves with: uvicorn's httptools protocol with one write per
response (one_write.py), and requests that are not HTTP answered with the error envelope."""
from __future__ import annotations

from .envelope import JSON, error_bytes
from .errors import ValidationFailed
from .one_write import OneWriteHttpToolsProtocol

_UNPARSABLE = error_bytes(ValidationFailed(
    "The request is not valid HTTP/1.1: its request line, a header or its body's framing could not "
    "be parsed (control characters in a header value, for example)."))


class MockHttpProtocol(OneWriteHttpToolsProtocol):
    _refusing = False  # bytes that are not HTTP arrived; answer them once the requests before are

    def send_400_response(self, msg: str) -> None:
        # uvicorn answers bytes httptools refuses with a plain-text 400 at once. Here the answer
        # is the JSON envelope, and it waits for the requests that came before the bad bytes on
        # this connection: sent at once, it would stand as their answer (and they did run).
        cycle = self.cycle
        if cycle is not None and cycle.more_body and self.pipeline and self.pipeline[0][0] is cycle:
            self.pipeline.popleft()  # the broken request itself, queued: it never reaches the app
            earlier_in_flight = True
        elif cycle is not None and cycle.more_body:
            earlier_in_flight = False  # the broken request is running; its handler waits for this body
        else:
            earlier_in_flight = bool(self.pipeline) or (cycle is not None and not cycle.response_complete)
        if earlier_in_flight:
            self._refusing = True
            self.flow.pause_reading()
        else:
            self._refuse()

    def data_received(self, data: bytes) -> None:
        if not self._refusing:  # after bad bytes, nothing more on this connection is a request
            super().data_received(data)

    def on_response_complete(self) -> None:
        last = not self.pipeline
        super().on_response_complete()
        if self._refusing and last:
            self._refuse()

    def _refuse(self) -> None:
        self._refusing = False
        if self.transport.is_closing():
            return
        head = [b"HTTP/1.1 400 Bad Request\r\n"]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [b"content-type: ", JSON.encode(), b"\r\ncontent-length: ", str(len(_UNPARSABLE)).encode(),
                 b"\r\nconnection: close\r\n\r\n"]
        self.transport.write(b"".join(head) + _UNPARSABLE)
        self.transport.close()
