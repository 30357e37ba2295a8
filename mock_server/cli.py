"""`huskyvoice-mock`: serve the mock in one process (in-memory state does not
survive several workers: each would hold its own copy)."""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import gc
import errno
import ipaddress
import logging
import os
import signal
import socket
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

from .fixtures import DEFAULT_DIR, KINDS, FixtureError
from .state import DEFAULT_RATE_LIMIT, Settings, State
from .store.calls import Lifecycle
from .store.keys import RateLimitSpec


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def rate_limit(value: str) -> RateLimitSpec | None:
    if value == "off":
        return None
    try:
        burst, per_second = value.split("/")
        return RateLimitSpec(int(burst), float(per_second))
    except ValueError:
        raise argparse.ArgumentTypeError("use BURST/PER_SECOND (e.g. 1000/100) or off") from None


def port(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number") from None
    if not 1 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{number} is not a TCP port: use 1 to 65535")
    return number


def bind(host: str, number: int) -> None:
    """Fail here, with a sentence, if the address cannot be listened on: the server would only
    log it. Closed at once; the server binds it again (with SO_REUSEADDR, as this does)."""
    family, kind, proto, _, address = socket.getaddrinfo(host, number, type=socket.SOCK_STREAM)[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)


def seconds(value: str) -> timedelta:
    try:
        return timedelta(seconds=float(value))
    except ValueError:
        raise argparse.ArgumentTypeError("a number of seconds") from None


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="huskyvoice-mock", description="Stateful mock of the HuskyVoice API.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=port, default=4010, help="1 to 65535 (default 4010)")
    p.add_argument("--fixtures", type=Path, default=DEFAULT_DIR, metavar="DIR",
                   help="fixture directory (default: the bundled fixtures/)")
    default_rl = f"{DEFAULT_RATE_LIMIT.burst}/{DEFAULT_RATE_LIMIT.per_second:g}"
    p.add_argument("--rate-limit", type=rate_limit, default=DEFAULT_RATE_LIMIT, metavar="BURST/PER_SECOND",
                   help=f"default token bucket per API key, or 'off' (default {default_rl})")
    p.add_argument("--call-start-delay", type=seconds, default=Lifecycle().start_delay, metavar="SECONDS",
                   help="from creation to scheduled_at, when the call starts (default 120)")
    p.add_argument("--call-duration", type=seconds, default=Lifecycle().duration, metavar="SECONDS",
                   help="how long a call runs before it ends (default 180)")
    p.add_argument("--call-outcome", choices=("completed", "failed"), default="completed",
                   help="how calls end (default completed)")
    p.add_argument("--validate-responses", action="store_true",
                   help="check every response against openapi.yaml (slower; the project's tests use it)")
    p.add_argument("--no-control", action="store_true", help="do not serve the control API under /_mock")
    p.add_argument("--control-token", metavar="TOKEN", default=os.environ.get("HUSKYVOICE_CONTROL_TOKEN") or None,
                   help="require X-Mock-Control-Token: TOKEN on the control API (needed off loopback; "
                        "default: $HUSKYVOICE_CONTROL_TOKEN)")
    p.add_argument("--no-speedups", action="store_true",
                   default=os.environ.get("HUSKYVOICE_SPEEDUPS", "on").lower() == "off",
                   help="build the app on Connexion's public API alone, without mock_server/speedups.py "
                        "(slower; default: on unless $HUSKYVOICE_SPEEDUPS is 'off')")
    proxy = p.add_argument_group("validating proxy (instead of the mock)")
    proxy.add_argument("--proxy", metavar="UPSTREAM_BASE_URL",
                       help="forward /v1/... to this server (e.g. https://api.huskyvoice.ai/v1) and check each "
                            "exchange against the contract: X-Contract-Violations on the answer, GET /_mock/violations")
    proxy.add_argument("--strict", action="store_true", help="answer 502 with the violations instead of the answer")
    proxy.add_argument("--insecure", action="store_true", help="do not verify the upstream's TLS certificate")
    proxy.add_argument("--keys", type=Path, metavar="FILE",
                       help="the contract suite's keys file: also check scopes (a key lacking one that gets a 2xx)")
    proxy.add_argument("--record", type=Path, metavar="FILE.har",
                       help="write every exchange to this HAR 1.2 file, keys masked (replay: huskyvoice-contract --cassette)")
    proxy.add_argument("--mask-pii", action="store_true",
                       help="with --record: contact numbers, names and e-mails in bodies replaced by placeholders")
    proxy.add_argument("--upstream-timeout", type=float, default=30.0, metavar="SECONDS",
                       help="answer 504 when the upstream takes longer (default 30)")
    p.add_argument("--access-log", action="store_true", help="log each request line (never headers)")
    p.add_argument("--log-level", default="warning")
    return p


@contextlib.asynccontextmanager
async def _frozen_start(app):
    """Once the app is built, move everything start-up made (spec, validators, fixtures) out
    of the garbage collector's reach: a full collection over them is a pause every request in
    flight waits for (p99 under load). No gc.collect() first: it would cost start-up that pause
    to free a few start-up leftovers.

    Full collections are then considered every 100 middle-generation collections instead
    of 10. Under load they found nothing to free (stored calls and records hold no cycles)
    yet each paused every request in flight for as long as the heap was big. They still
    come, ten times less often; young cycles are still collected as often as before.
    bench/RESULTS.md ("What each change bought") has the figures."""
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, 100)
    yield


class Refused(Exception):
    """What the CLI says, instead of serving, when it cannot serve."""


# A request head still unfinished after this many bytes is refused by the server (granian's
# 431) instead of read on: the app answers 431 past 16 KiB (middleware.MAX_HEADER_BYTES) once
# it has the headers, and a head that never ends must not be read to its end.
HEAD_CUTOFF = 1024 * 1024
_GRANIAN_LEVELS = ("critical", "error")  # its start-up lines ("experimental", "listening") are noise here


@dataclasses.dataclass
class Serving:
    """The app and its server, ready to serve (tests serve it in a thread, then `stop()` it)."""
    args: argparse.Namespace
    app: Any
    control: bool
    server: Any  # granian's embeddable server (granian.server.embed.Server)
    loop: asyncio.AbstractEventLoop | None = None

    def run(self) -> None:
        """Serve until SIGINT or SIGTERM (in the main thread) or `stop()`."""
        import uvloop  # granian's own choice of loop too: one is as fast as it is
        uvloop.run(self._serve())

    async def _serve(self) -> None:
        self.loop = asyncio.get_running_loop()
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self.loop.add_signal_handler(signum, self.server.stop)
        await self.server.serve()

    def stop(self) -> None:
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.server.stop)


def build_proxy(args: argparse.Namespace) -> Serving:
    from .proxy import create_proxy
    keys = None
    if args.keys:
        from contract_tests.target import TargetProblem, load_keys
        try:
            keys = {key.secret: set(key.scopes) for key in load_keys(args.keys)}
        except TargetProblem as exc:
            raise Refused(str(exc)) from None
    if not args.proxy.startswith(("http://", "https://")):
        raise Refused(f"--proxy takes the upstream's base URL, e.g. https://api.huskyvoice.ai/v1, not {args.proxy!r}")
    control = not args.no_control and (is_loopback(args.host) or bool(args.control_token))
    app = create_proxy(args.proxy, strict=args.strict, insecure=args.insecure, keys=keys, control=control,
                       control_token=args.control_token if control else None, timeout=args.upstream_timeout,
                       record=args.record, mask_pii=args.mask_pii, lifespan=_frozen_start)
    _check_port(args)
    return Serving(args, app, control, server_for(app, args.host, args.port, log_level=args.log_level,
                                                   access_log=args.access_log))


def _check_port(args: argparse.Namespace) -> None:
    try:
        bind(args.host, args.port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise Refused(f"port {args.port} on {args.host} is already in use (another mock still "
                          f"running?): stop it, or pass another --port") from None
        raise Refused(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None


def build(args: argparse.Namespace) -> Serving:
    if getattr(args, "proxy", None):
        return build_proxy(args)
    settings = Settings(fixtures=args.fixtures, rate_limit=args.rate_limit,
                        lifecycle=Lifecycle(start_delay=args.call_start_delay, duration=args.call_duration,
                                            outcome=args.call_outcome))
    try:
        state = State(settings)
    except FixtureError as exc:
        raise Refused(f"bad fixture: {exc}") from None
    from .app import create_app
    control = not args.no_control and (is_loopback(args.host) or bool(args.control_token))
    app = create_app(state, validate_responses=args.validate_responses, control=control,
                     control_token=args.control_token, lifespan=_frozen_start, speedups=not args.no_speedups)
    _check_port(args)
    return Serving(args, app, control, server_for(app, args.host, args.port, log_level=args.log_level,
                                                   access_log=args.access_log))


def server_for(app, host: str, port: int, *, log_level: str = "warning", access_log: bool = False):
    """granian, serving `app` in this process on its event loop (its embeddable server: the app
    and its state stay here, where tests can reach them), one HTTP/1.1 worker."""
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings
    from granian.server.embed import Server
    level = log_level.lower()
    return Server(app, address=host, port=port, interface=Interfaces.ASGI, http=HTTPModes.http1, websockets=False,
                  http1_settings=HTTP1Settings(max_buffer_size=HEAD_CUTOFF),
                  log_level=level if level in _GRANIAN_LEVELS else "error", log_access=access_log)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    try:
        serving = build(args)
    except Refused as exc:
        print(f"huskyvoice-mock: {exc}", file=sys.stderr)
        return 2
    base = f"http://{args.host}:{args.port}/v1"
    if args.proxy:
        print(f"HuskyVoice validating proxy: {base} -> {args.proxy}{'  (strict: 502 on a violation)' if args.strict else ''}",
              flush=True)
        if serving.control:
            print(f"Violations: http://{args.host}:{args.port}/_mock/violations  (Swagger UI: "
                  f"http://{args.host}:{args.port}/_mock/ui/)", flush=True)
        serving.run()
        return 0
    print(f"HuskyVoice mock: {base}  (Swagger UI: {base}/ui/)", flush=True)
    if serving.control:
        print(f"Control API: http://{args.host}:{args.port}/_mock  (Swagger UI: http://{args.host}:{args.port}/_mock/ui/)",
              flush=True)
    elif not args.no_control:
        print("Control API: off (not on loopback; pass --control-token TOKEN to serve it)", flush=True)
    if not serving.app.speedups_:
        print("Speed-ups: off (the app is built on Connexion's public API alone)", flush=True)
    print(f"API keys and scopes: {args.fixtures / KINDS['api_keys'].file}  (try: Authorization: Bearer YOUR_API_KEY)",
          flush=True)
    serving.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
