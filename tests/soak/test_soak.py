"""The soak, short: 5,000 operations from 8 workers under injected faults; ``make soak`` runs the long one."""

from __future__ import annotations

import pytest

from tests.soak.faults import FaultRates
from tests.soak.run import soak

pytestmark = pytest.mark.integration

OPERATIONS = 5_000
SEED = 20_261_202


@pytest.mark.timeout(300)
def test_the_ledger_holds_under_eight_workers_and_injected_faults() -> None:
    # GIVEN 8 workers sharing 12 accounts, and DynamoDB throttling, conflicting and losing answers to writes
    # WHEN they commit, replay, cancel, return and claim, and every job runs with each page delivered twice
    report = soak(OPERATIONS, workers=8, seed=SEED, rates=FaultRates())
    print(report.table())
    # THEN every fault kind was met, and every invariant held
    assert report.operations == OPERATIONS
    assert set(report.faults) == {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "TransactionConflict",
        "ReadTimeout after write",
    }
    assert report.redelivered > 0
    assert report.violations == []
    # AND the jobs' second run changed nothing
    assert report.second_run_changes == []
