"""The HTTP protocol the CLI serves with: uvicorn's httptools protocol with one write per
response (one_write.py), requests that are not HTTP answered with the error envelope, and a
header block that never ends cut off instead of read whole."""
from __future__ import annotations

from .envelope import JSON, error_bytes
from .errors import HeadersTooLarge, ValidationFailed
from .one_write import OneWriteHttpToolsProtocol

_UNPARSABLE = error_bytes(ValidationFailed(
    "The request is not valid HTTP/1.1: its request line, a header or its body's framing could not "
    "be parsed (control characters in a header value, for example)."))


# The app answers 431 past 16 KiB (middleware.MAX_HEADER_BYTES) once it has the headers; a header
# block still unfinished after this many bytes is answered here, as nginx does, rather than read
# to its end (100 MB took 10 s and 110 MB of memory). Counted per read, so a little generous.
HEAD_CUTOFF = 1024 * 1024
_TOO_LARGE = error_bytes(HeadersTooLarge(f"The request's header block is over {HEAD_CUTOFF // 1024} KiB and "
                                         "was not read to its end"))


class MockHttpProtocol(OneWriteHttpToolsProtocol):
    _refusing: tuple | None = None  # the answer to bytes we refuse, sent once the requests before are answered
    _head_bytes: int | None = 0  # bytes read of the current request's head; None once it is complete

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = 0

    def on_headers_complete(self) -> None:
        self._head_bytes = None
        super().on_headers_complete()

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
        self._refuse_after_earlier(earlier_in_flight, (400, b"Bad Request", _UNPARSABLE))

    def _refuse_after_earlier(self, earlier_in_flight: bool, answer: tuple) -> None:
        self._refusing = answer  # nothing read after this is a request
        if earlier_in_flight:
            self.flow.pause_reading()
        else:
            self._refuse(*answer)

    def data_received(self, data: bytes) -> None:
        if self._refusing:  # after bad bytes, nothing more on this connection is a request
            return
        if self._head_bytes is not None:
            self._head_bytes += len(data)
            if self._head_bytes > HEAD_CUTOFF:
                cycle = self.cycle
                earlier = bool(self.pipeline) or (cycle is not None and not cycle.response_complete)
                self._refuse_after_earlier(earlier, (431, b"Request Header Fields Too Large", _TOO_LARGE))
                return
        super().data_received(data)

    def on_response_complete(self) -> None:
        last = not self.pipeline
        super().on_response_complete()
        if self._refusing and last:
            self._refuse(*self._refusing)

    def _refuse(self, status: int, reason: bytes, body: bytes) -> None:
        if self.transport.is_closing():
            return
        head = [b"HTTP/1.1 %d %s\r\n" % (status, reason)]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [b"content-type: ", JSON.encode(), b"\r\ncontent-length: ", str(len(body)).encode(),
                 b"\r\nconnection: close\r\n\r\n"]
        self.transport.write(b"".join(head) + body)
        self.transport.close()
