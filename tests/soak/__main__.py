"""``python -m tests.soak --operations 100000``: the soak, its figures, and exit status 1 if an invariant broke."""

from __future__ import annotations

import argparse
import random
import sys

from tests.soak.faults import FaultRates
from tests.soak.run import soak


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.soak", description=__doc__)
    parser.add_argument("--operations", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--seed", type=int, default=None, help="the workload's seed (default: a random one)")
    parser.add_argument("--throttling", type=float, default=FaultRates.throttling)
    parser.add_argument("--conflict", type=float, default=FaultRates.conflict)
    parser.add_argument("--timeout-after-write", type=float, default=FaultRates.timeout_after_write)
    parser.add_argument("--progress-every", type=int, default=2_000, help="a progress line every N operations")
    arguments = parser.parse_args()
    seed = arguments.seed if arguments.seed is not None else random.randrange(1_000_000)
    print(f"soak: seed {seed} (rerun with --seed {seed})", flush=True)
    rates = FaultRates(arguments.throttling, arguments.conflict, arguments.timeout_after_write)
    report = soak(arguments.operations, arguments.workers, seed, rates, arguments.progress_every)
    print(report.table())
    for line in [*report.violations, *report.second_run_changes][:50]:
        print("  !", line)
    return 1 if report.violations or report.second_run_changes else 0


if __name__ == "__main__":
    sys.exit(main())
