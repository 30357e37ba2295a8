"""The CLI's HTTP protocol (mock_server/one_write.py) joins a response's writes into one
send: nothing may be lost, reordered, or sent after the connection is closed."""
from __future__ import annotations

import asyncio
import http.client
import json
import socket
from urllib.parse import urlsplit

import pytest

from mock_server.one_write import _JoiningTransport

from conftest import DOCS_KEY


class RecordingTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = self.aborted = False

    def write(self, data) -> None:
        assert not self.closed, "written after close"
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = self.closed = True

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name, default=None):
        return {"sockname": ("127.0.0.1", 1)}.get(name, default)


async def _one_turn() -> None:
    await asyncio.sleep(0)


def test_writes_of_one_loop_turn_go_out_as_one_write_in_order():
    async def scenario():
        raw = RecordingTransport()
        joined = _JoiningTransport(raw, asyncio.get_running_loop())
        joined.write(b"HTTP/1.1 200 OK\r\n\r\n")
        joined.writelines([b"{", b"}"])
        assert raw.writes == []  # held until the end of this turn
        assert joined.get_write_buffer_size() == len(b"HTTP/1.1 200 OK\r\n\r\n{}")
        await _one_turn()
        joined.write(b"next")
        await _one_turn()
        return raw.writes

    assert asyncio.run(scenario()) == [b"HTTP/1.1 200 OK\r\n\r\n{}", b"next"]


def _after_one_turn(action) -> RecordingTransport:
    """Run `action` on a joining transport, let the loop turn once, return the real transport."""
    async def scenario():
        raw = RecordingTransport()
        action(_JoiningTransport(raw, asyncio.get_running_loop()))
        await _one_turn()  # a flush scheduled by the write runs now: it must find nothing left to send
        return raw
    return asyncio.run(scenario())


def test_close_sends_what_is_pending_first_and_nothing_after():
    def write_then_close(joined):
        joined.write(b"last response")
        joined.close()
    raw = _after_one_turn(write_then_close)
    assert raw.writes == [b"last response"] and raw.closed


def test_abort_drops_what_is_pending():
    def write_then_abort(joined):
        joined.write(b"never sent")
        joined.abort()
    raw = _after_one_turn(write_then_abort)
    assert raw.writes == [] and raw.aborted


@pytest.fixture
def idle_loop():
    """A loop that never runs: what is scheduled on it never happens."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def test_other_transport_calls_reach_the_real_transport(idle_loop):
    raw = RecordingTransport()
    joined = _JoiningTransport(raw, idle_loop)
    assert joined.get_extra_info("sockname") == ("127.0.0.1", 1)
    assert joined.is_closing() is False


def _read_response(stream) -> tuple[int, dict, bytes]:
    status_line = stream.readline()
    status = int(status_line.split()[1])
    headers = {}
    while (line := stream.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, stream.read(int(headers["content-length"]))


def test_pipelined_requests_on_one_connection_are_answered_in_order(live_mock):
    """HTTP/1.1 keep-alive: responses come back complete and in request order."""
    url = urlsplit(live_mock)
    auth = f"Authorization: Bearer {DOCS_KEY}\r\n"
    requests = b"".join(
        f"GET /v1/appointment-slots/availability?date={day} HTTP/1.1\r\nHost: x\r\n{auth}\r\n".encode()
        for day in ("2026-06-15", "2026-06-16", "2026-06-22"))
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(requests)
        stream = sock.makefile("rb")
        answers = [_read_response(stream) for _ in range(3)]
    assert [status for status, _, _ in answers] == [200, 200, 200]
    assert [json.loads(body)["date"] for _, _, body in answers] == ["2026-06-15", "2026-06-16", "2026-06-22"]


def test_a_large_response_arrives_whole(live_mock):
    """A body far larger than one socket write (a year of schedule tracking) is not cut."""
    url = urlsplit(live_mock)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    conn.request("GET", "/v1/appointment-slots/schedule-tracking?date_from=2026-01-01&date_to=2026-12-31",
                 headers={"Authorization": f"Bearer {DOCS_KEY}"})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    assert response.status == 200
    assert len(body) == int(response.getheader("Content-Length")) > 256 * 1024
    assert len(json.loads(body)["data"]) > 1000


def _completed_response(monkeypatch, loop, tasks_in_flight: int) -> RecordingTransport:
    """A response whose last write was just made, with `tasks_in_flight` requests being served."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    from mock_server.one_write import OneWriteHttpToolsProtocol

    monkeypatch.setattr(HttpToolsProtocol, "on_response_complete", lambda self: None)
    raw = RecordingTransport()
    protocol = OneWriteHttpToolsProtocol.__new__(OneWriteHttpToolsProtocol)
    protocol.transport = _JoiningTransport(raw, loop)
    protocol.tasks = {object() for _ in range(tasks_in_flight)}
    protocol.transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
    protocol.transport.write(b"{}")
    protocol.on_response_complete()
    return raw


def test_a_lone_response_is_sent_when_complete(monkeypatch, idle_loop):
    """With no other request in flight, a whole response goes out at once, in one write."""
    assert _completed_response(monkeypatch, idle_loop, tasks_in_flight=1).writes == [b"HTTP/1.1 200 OK\r\n\r\n{}"]


def test_under_load_a_response_waits_for_the_end_of_the_loop_turn(monkeypatch, idle_loop):
    """With other requests in flight, sends are left for the end of the turn, all together."""
    assert _completed_response(monkeypatch, idle_loop, tasks_in_flight=5).writes == []
