"""Resident memory of the mock as calls accumulate, and proof that idempotency
records and rate-limit buckets do not grow without bound.

    .venv/bin/python bench/memory.py [--calls 100000] [--idempotency-keys each|none]
                                     [--contacts same|distinct]

Creates calls through the HTTP app (in process, ASGI, no network) from many API
keys, with an Idempotency-Key each (or none), and prints resident memory before
and after, measured (not projected). Then it moves the mock clock past the
24-hour key retention and shows what the server itself drops, and runs a few
days of keyed traffic on the mock clock to show the records held level off."""
from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mock_server.app import create_app  # noqa: E402
from mock_server.state import Settings, State  # noqa: E402
from mock_server.store.keys import RateLimitSpec  # noqa: E402
from mock_server.store.ratelimit import RateLimiter  # noqa: E402

KEYS = 1000  # many API keys, so there are many buckets and record owners
BATCH = 200  # requests in flight at once


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def call_body(i: int, distinct: bool) -> dict:
    """The docs' example body; with `distinct`, every call has its own contact."""
    if not distinct:
        return {"agent_id": "agent_123", "contact_number": "+919876543210", "contact_name": "Raj Patel",
                "contact_email": "raj@company.com",
                "additional_info": {"company": "Acme Corp", "deal_stage": "negotiation"}}
    return {"agent_id": f"agent_{i % 20}", "contact_number": f"+91{9000000000 + i}", "contact_name": f"Contact {i}",
            "contact_email": f"contact.{i}@company{i % 100}.com",
            "additional_info": {"company": f"Company {i % 1000}", "deal_stage": "negotiation", "ref": i}}


async def create(client: httpx.AsyncClient, first: int, count: int, key_prefix: str | None, distinct: bool) -> None:
    for start in range(first, first + count, BATCH):
        responses = await asyncio.gather(*[
            client.post("/v1/calls", json=call_body(i, distinct), headers={
                "Authorization": f"Bearer sk_bench_{i % KEYS}",
                **({"Idempotency-Key": f"{key_prefix}-{i}"} if key_prefix else {})})
            for i in range(start, min(first + count, start + BATCH))])
        bad = [r.status_code for r in responses if r.status_code != 201]
        if bad:
            raise SystemExit(f"create answered {bad[0]} ({len(bad)} of {len(responses)} not 201)")


async def main_async(calls: int, with_keys: bool, distinct: bool) -> None:
    state = State(Settings(rate_limit=RateLimitSpec(burst=10**9, per_second=10**6)))
    for i in range(KEYS):
        state.keys.add(f"sk_bench_{i}", f"bench-{i}", ["calls:create"])
    app = create_app(state)
    gc.collect()
    base = rss_mb()
    t0 = time.perf_counter()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock") as client:
        await create(client, 0, calls, "bench" if with_keys else None, distinct)
        elapsed = time.perf_counter() - t0
        gc.collect()
        after = rss_mb()
        print(f"{calls:,} calls created {'each with its own Idempotency-Key' if with_keys else 'without Idempotency-Key'}"
              f"{', every contact distinct' if distinct else ''} in {elapsed:.1f} s ({calls / elapsed:,.0f}/s in process)")
        print(f"  resident memory: {base:.0f} MB before, {after:.0f} MB after (+{after - base:.0f} MB, "
              f"{(after - base) * 1024 * 1024 / calls:,.0f} bytes per call)")
        print(f"  stored: {len(state.calls):,} calls, {len(state.idempotency):,} idempotency records, "
              f"{len(state.rate_limiter):,} rate-limit buckets")

        # Expiry as the server does it: a keyed create sweeps every record older than 24 h.
        held = len(state.idempotency)
        state.clock.advance(timedelta(hours=24, seconds=1))
        await create(client, calls, 1, "expiry", distinct)
        gc.collect()
        print(f"  24 h of mock time later, one keyed create: {len(state.idempotency):,} idempotency record "
              f"({held:,} expired); resident memory {rss_mb():.0f} MB")
        buckets = len(state.rate_limiter)
        swept = state.rate_limiter.sweep(state.clock.now())
        print(f"  rate-limit buckets: {buckets:,}, one per API key used ({KEYS:,} keys), whatever the traffic; "
              f"the refilled ones ({swept:,}) are dropped when new buckets pass "
              f"{RateLimiter.SWEEP_FLOOR:,} (here: RateLimiter.sweep called directly)")

        # Steady keyed traffic on the mock clock: records level off at one day's worth.
        per_day, steps, days = 2000, 10, 4
        held_each_day, n = [], calls + 1
        for _ in range(days):
            for _ in range(steps):
                await create(client, n, per_day // steps, "rolling", distinct)
                n += per_day // steps
                state.clock.advance(timedelta(hours=24) / steps)
            held_each_day.append(len(state.idempotency))
        gc.collect()
        print(f"  {days} days of {per_day:,} keyed creates a day on the mock clock: idempotency records held "
              f"at each day's end {', '.join(f'{h:,}' for h in held_each_day)} ({days * per_day:,} created); "
              f"resident memory {rss_mb():.0f} MB")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--idempotency-keys", choices=("each", "none"), default="each",
                        help="give every create its own Idempotency-Key (the worst case) or none")
    parser.add_argument("--contacts", choices=("same", "distinct"), default="same",
                        help="every call with the docs' example body, or each with its own contact and info")
    args = parser.parse_args()
    asyncio.run(main_async(args.calls, args.idempotency_keys == "each", args.contacts == "distinct"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
