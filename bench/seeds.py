"""Run the whole contract suite with many seeds: against the bundled mock (mock mode) and
against legitimate variants in foreign mode. Every run must pass; a seed that fails one is
a false failure of the suite (a verdict a correct server did not earn). Not part of CI:
it takes minutes. Prints one line per run and the totals.

    .venv/bin/python bench/seeds.py                       # 20 seeds, mock + two variants
    .venv/bin/python bench/seeds.py --seeds 5 --variants extra_fields_everywhere
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.variants import runner  # noqa: E402
from tests.variants.serve import UNPATCHED, by_name  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, help="seeds first..first+N-1 (default: random ones, printed)")
    parser.add_argument("--seed-list", type=int, nargs="*", help="exactly these seeds (e.g. an earlier run's)")
    parser.add_argument("--variants", nargs="*", default=["errors_as_problem_json", "optional_fields_omitted"],
                        help="legitimate variants to run in foreign mode (default: two)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    for name in args.variants:
        if not by_name(name).legitimate:
            parser.error(f"{name} is not a legitimate variant")
    rng = random.Random()
    seeds = (args.seed_list if args.seed_list
             else [args.first_seed + i for i in range(args.seeds)] if args.first_seed is not None
             else [rng.randrange(2**31) for _ in range(args.seeds)])
    jobs = [(seed, UNPATCHED, False) for seed in seeds] + [(seed, v, True) for seed in seeds for v in args.variants]
    print(f"{len(jobs)} runs: seeds {', '.join(map(str, seeds))}; targets: the bundled mock (mock mode), "
          f"{', '.join(args.variants)} (foreign mode)", flush=True)

    def one(job):
        seed, name, foreign = job
        return job, runner.run_suite(name, runner.WHOLE_SUITE, foreign=foreign, seed=str(seed))

    started, outcomes = time.monotonic(), Counter()
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        for (seed, name, foreign), run in pool.map(one, jobs):
            verdict = "pass" if run.returncode == 0 else f"FAIL (exit {run.returncode})"
            outcomes[(name, run.returncode == 0)] += 1
            print(f"seed {seed:>10}  {name:32s} {'foreign' if foreign else 'mock':7s} {verdict:16s} {run.seconds:5.1f} s",
                  flush=True)
            if run.returncode != 0:
                print(run.explain()[-4000:], flush=True)
    print(f"\n{time.monotonic() - started:.0f} s in all")
    failed = 0
    for name in [UNPATCHED, *args.variants]:
        passed, total = outcomes[(name, True)], outcomes[(name, True)] + outcomes[(name, False)]
        failed += total - passed
        print(f"{name}: {passed} of {total} seeds pass")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
