"""Time the random-instance checks of Theorems 3.3, 3.5 and 3.7 (target: < 60 s each, 2 cores).

Usage: python benchmarks/bench_theory_checks.py [--instances 10000] [--seed 0]

Prints, per theorem, the wall time of :func:`collective.theory.checks.run_check`, its ratio to the
60-second target, instances per second, and the violation counts (the check itself).
"""

from __future__ import annotations

import argparse
import time

from collective.theory.checks import THEOREMS, run_check

TARGET_SECONDS = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(
        f"{'theorem':>8} {'instances':>10} {'seconds':>8} {'/target':>8} {'inst/s':>9} "
        f"{'viol eps=0':>10} {'viol corr.':>10} {'viol paper eps>0':>16}"
    )
    for theorem in THEOREMS:
        start = time.perf_counter()
        result = run_check(theorem, n_instances=args.instances, seed=args.seed)
        seconds = time.perf_counter() - start
        s = result.summary
        print(
            f"{theorem:>8} {s['instances']:>10} {seconds:>8.2f} {seconds / TARGET_SECONDS:>8.3f} "
            f"{s['instances'] / seconds:>9.0f} {s['violations_paper_eps0']:>10} "
            f"{s['violations_corrected_tv'] + s['violations_corrected_contamination']:>10} "
            f"{s['violations_paper_eps_tv']:>16}"
        )


if __name__ == "__main__":
    main()
