"""Resident memory of the mock as calls accumulate, and proof that idempotency
records and rate-limit buckets do not grow without bound.

    .venv/bin/python bench/memory.py [--calls 100000]

Creates calls through the HTTP app (in process, ASGI, no network) with an
Idempotency-Key each, from many API keys, then advances the mock clock past the
24-hour key retention and the bucket refill, and prints RSS and store sizes."""
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


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def main_async(calls: int, with_keys: bool) -> None:
    state = State(Settings(rate_limit=RateLimitSpec(burst=10**9, per_second=10**6)))
    # Many keys, so there are many buckets to expire.
    for i in range(1000):
        state.keys.add(f"sk_bench_{i}", f"bench-{i}", ["calls:create"])
    app = create_app(state)
    body = {"agent_id": "agent_123", "contact_number": "+919876543210", "contact_name": "Raj Patel",
            "contact_email": "raj@company.com", "additional_info": {"company": "Acme Corp", "deal_stage": "negotiation"}}
    gc.collect()
    base = rss_mb()
    t0 = time.perf_counter()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock") as client:
        batch = 200
        for start in range(0, calls, batch):
            await asyncio.gather(*[
                client.post("/v1/calls", json=body, headers={
                    "Authorization": f"Bearer sk_bench_{i % 1000}", **({"Idempotency-Key": f"bench-{i}"} if with_keys else {})})
                for i in range(start, min(calls, start + batch))])
    elapsed = time.perf_counter() - t0
    gc.collect()
    after = rss_mb()
    print(f"{calls:,} calls created {'each with its own Idempotency-Key' if with_keys else 'without Idempotency-Key'} "
          f"in {elapsed:.1f} s ({calls / elapsed:,.0f}/s in process)")
    print(f"  resident memory: {base:.0f} MB before, {after:.0f} MB after (+{after - base:.0f} MB, "
          f"{(after - base) * 1024 * 1024 / calls:,.0f} bytes per call)")
    print(f"  stored: {len(state.calls):,} calls, {len(state.idempotency):,} idempotency records, "
          f"{len(state.rate_limiter):,} rate-limit buckets")
    now = state.clock.advance(timedelta(hours=24, seconds=1))
    state.idempotency.expire(now)
    swept = state.rate_limiter.sweep({k.key_id: k.rate_limit for k in state.keys._keys}, now)
    print(f"  after 24 h of mock time: {len(state.idempotency):,} idempotency records, "
          f"{len(state.rate_limiter):,} rate-limit buckets ({swept:,} swept)")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--idempotency-keys", choices=("each", "none"), default="each",
                        help="give every create its own Idempotency-Key (the worst case) or none")
    args = parser.parse_args()
    asyncio.run(main_async(args.calls, args.idempotency_keys == "each"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
