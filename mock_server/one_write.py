"""uvicorn's httptools protocol, writing each response to the socket once.

uvicorn writes a response's status line and headers, then its body, with one
`transport.write` each, and uvloop sends each at once: two `send()` calls, two
loopback packets and two wake-ups of the client per response. Under load that was a
fifth of the mock's CPU (bench/RESULTS.md). Here a connection's writes are joined and
sent once the response is complete when nothing else is being served, or at the end
of the loop turn under load. That halves the syscalls; it took p99 at 32 connections
from ~33 ms to ~11 ms on GET /calls/{id}.
"""
from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class _JoiningTransport:
    """A transport whose writes wait for the end of the current loop turn, in order."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport, self._loop = transport, loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(data)

    def writelines(self, chunks) -> None:
        for chunk in chunks:
            self.write(chunk)

    def flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._pending.clear()
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._pending))

    def __getattr__(self, name: str):
        return getattr(self._transport, name)


class OneWriteHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_JoiningTransport(transport, self.loop))

    def on_response_complete(self) -> None:
        # uvicorn calls this right after a response's last write. When no other request is
        # being served, send it now: waiting for the end of the loop turn costs a client on
        # one connection a turn per request (~20% of its throughput). Under load, leave the
        # send for the end of the turn, with the other connections' (~13% more throughput).
        if len(self.tasks) <= 1:
            self.transport.flush()
        super().on_response_complete()
