"""How long the whole contract suite takes against a fresh bundled mock, per profile.

    .venv/bin/python bench/suite_runtime.py [--profile deep] [--runs 3]

Prints wall time per run (mock start-up included) and the test count."""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", default="deep", choices=("fast", "deep"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    times, summary = [], ""
    for run in range(args.runs):
        t0 = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "contract_tests.run", "--profile", args.profile],
                                cwd=ROOT, capture_output=True, text=True, env=dict(os.environ, SEED=str(run + 1)))
        times.append(time.perf_counter() - t0)
        lines = [ln for ln in result.stdout.splitlines() if re.search(r"\d+ (passed|failed)", ln)]
        summary = lines[-1].strip("= ") if lines else "no summary"
        print(f"run {run + 1}: {times[-1]:6.1f} s  exit {result.returncode}  {summary}", flush=True)
    print(f"contract suite, profile {args.profile}, {os.cpu_count()} cores: "
          f"median {statistics.median(times):.1f} s, max {max(times):.1f} s over {args.runs} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
