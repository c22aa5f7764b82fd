"""One soak: moto in its own process, the tables of template.yaml, workers as threads calling the handlers."""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import boto3
from moto import mock_aws

from local.cloudformation import Stack
from loyalty_aws import clients, unsubscribe
from loyalty_aws.settings import settings
from sam_emulator.environment import environment, offline_aws
from sam_emulator.serial import serialise_dynamodb
from tests.soak.check import differences, snapshot, violations
from tests.soak.faults import FaultInjector, FaultRates, short_backoff
from tests.soak.scale import at_scale
from tests.soak.undo import undo_log_transactions
from tests.soak.workload import REWARDS, Codes, Ledger, Worker
from tests.support.api import activate
from tests.support.events import scheduled_event, sqs_event
from tests.support.faults import request_tokens
from tests.support.lambdas import FakeLambdaContext, load_function
from tests.unit.builders import spec_document

REGION = "eu-central-1"
SENDER = "rewards@example.com"
JOBS = {
    # job: (planner's logical id, when it runs)
    "tiers": ("TiersFunction", "2027-02-01T02:00:00Z"),
    "expiry": ("ExpiryFunction", "2027-06-01T03:00:00Z"),
    "digest": ("DigestFunction", "2026-12-01T08:00:00Z"),
}


@dataclass
class Report:
    seed: int
    workers: int
    operations: int
    seconds: float
    kinds: Counter[str]
    statuses: Counter[str]
    faults: Counter[str]
    requests: int
    retries: int
    jobs: dict[str, Any] = field(default_factory=dict)
    redelivered: int = 0
    violations: list[str] = field(default_factory=list)
    second_run_changes: list[str] = field(default_factory=list)

    def table(self) -> str:
        rows = [f"soak: seed {self.seed}, {self.workers} workers, {self.operations} operations"]
        rows += ["", f"  {'operation':<26}{'count':>9}"]
        rows += [f"  {kind:<26}{count:>9}" for kind, count in sorted(self.kinds.items())]
        rows += ["", f"  {'first answers':<26}{'count':>9}"]
        rows += [f"  {status:<26}{count:>9}" for status, count in sorted(self.statuses.items())]
        rows += ["", f"  {'fault injected':<40}{'count':>9}"]
        rows += [f"  {fault:<40}{count:>9}" for fault, count in sorted(self.faults.items())]
        rows += [
            "",
            f"  DynamoDB requests {self.requests}, SDK retries {self.retries}",
            f"  jobs: {self.jobs}; SQS messages delivered twice: {self.redelivered}",
            f"  duration {self.seconds:.1f} s, {self.operations / self.seconds:.0f} operations/s",
            f"  invariants broken: {len(self.violations)}; changes made by the jobs' second run: "
            f"{len(self.second_run_changes)}",
        ]
        return "\n".join(rows)


@contextmanager
def soak_stack(seed: int, rates: FaultRates) -> Iterator[tuple[Any, FaultInjector]]:
    """moto up, tables created, the program (with a rewards catalog) active, faults armed on the shared client."""
    stack = Stack.load(region=REGION)
    variables: dict[str, str] = {}
    for logical_id in ("OrdersFunction", "RewardsFunction", *(planner for planner, _ in JOBS.values())):
        variables |= stack.function_environment(logical_id)
    # every job fans out through its queue, so that its pages can be delivered twice
    variables |= {"POWERTOOLS_METRICS_NAMESPACE": "Loyalty", "INLINE_WORK_LIMIT": "0"}
    with ExitStack() as stack_:
        # moto in this process, its DynamoDB serialised (one request at a time, as DynamoDB isolates
        # transactions) and honouring ClientRequestToken: an order of magnitude faster than its server
        serialise_dynamodb()
        stack_.enter_context(offline_aws(REGION, extra=variables))
        stack_.enter_context(mock_aws())
        stack_.enter_context(request_tokens())
        stack_.enter_context(undo_log_transactions())
        stack_.enter_context(at_scale())
        stack_.enter_context(short_backoff())
        settings.cache_clear()
        clients.reset()
        stack_.callback(clients.reset)
        stack_.callback(settings.cache_clear)
        admin = boto3.client("dynamodb", region_name=REGION)
        stack.create_tables(admin)
        secret = boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name="unsubscribe-signing-key", SecretString="a-local-signing-key-of-enough-length-0123456789"
        )
        boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity=SENDER)
        os.environ |= {
            "UNSUBSCRIBE_SECRET_ARN": secret["ARN"],
            "PUBLIC_BASE_URL": "https://rewards.example.test",
            "DIGEST_SENDER": SENDER,
        }
        settings.cache_clear()
        unsubscribe.signing_key.cache_clear()
        activate({**spec_document(), "rewards": REWARDS})
        injector = FaultInjector(rates, seed).register(clients.dynamodb())
        yield admin, injector


def run_jobs(functions: dict[str, ModuleType], sqs: Any) -> tuple[dict[str, Any], int]:
    """Every job planned at its time and fanned out through its queue; every page delivered twice."""
    summaries: dict[str, Any] = {}
    redelivered = 0
    for job, (_, at) in JOBS.items():
        url = sqs.create_queue(QueueName=f"soak-{job}")["QueueUrl"]
        with environment({"WORK_QUEUE_URL": url}):
            settings.cache_clear()
            summary = functions[job].lambda_handler(scheduled_event(job, at), FakeLambdaContext())
            settings.cache_clear()
        summaries[job] = summary["due"]
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            bodies = [message["Body"] for message in messages]
            for _attempt in range(2):  # SQS delivers at least once: here, every batch twice
                pending = bodies
                for _retry in range(5):
                    response = functions[f"{job}-worker"].worker_handler(sqs_event(pending), FakeLambdaContext())
                    failed = {int(item["itemIdentifier"][-12:]) for item in response["batchItemFailures"]}
                    pending = [body for number, body in enumerate(pending) if number in failed]
                    if not pending:
                        break
            redelivered += len(bodies)
            for message in messages:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return summaries, redelivered


class Progress:
    """A line every ``every`` operations, so that a long soak shows its pace while it runs."""

    def __init__(self, operations: int, every: int) -> None:
        self.operations = operations
        self.every = every
        self.done = 0
        self.started = self.last = time.perf_counter()
        self._lock = threading.Lock()

    def tick(self) -> None:
        with self._lock:
            self.done += 1
            if not self.every or self.done % self.every:
                return
            now = time.perf_counter()
            # one write, on a line of its own: the functions' log lines come from other threads meanwhile
            sys.stdout.write(
                f"\nsoak: {self.done} of {self.operations} operations, {now - self.started:.0f} s, "
                f"{self.every / (now - self.last):.1f} operations/s over the last {self.every}\n"
            )
            sys.stdout.flush()
            self.last = now


@contextmanager
def collected_every(operations: int) -> Iterator[Callable[[], None]]:
    """Python's cyclic garbage collector on the soak's schedule: yields the tick that counts operations.

    moto keeps every stored item as Python objects, hundreds per order, and a full collection walks
    every object the process holds. On the collector's own schedule full passes kept coming at about
    five per thousand operations while the heap grew: in a 12,000-operation run they had taken 46 s of
    the first 384 by operation 11,000, and each one grows with the history, so a run of 100,000 would
    spend most of its time walking items stored long before. Here the automatic passes are off; every
    ``operations`` operations one pass collects what became garbage since the last, and what survived
    is frozen (``gc.freeze``), so that later passes walk only what was made since.
    """
    lock = threading.Lock()
    done = 0

    def tick() -> None:
        nonlocal done
        with lock:
            done += 1
            if done % operations == 0:
                gc.collect()
                gc.freeze()

    enabled = gc.isenabled()
    gc.disable()
    try:
        yield tick
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


def soak(
    operations: int, workers: int = 8, seed: int = 1, rates: FaultRates | None = None, progress_every: int = 0
) -> Report:
    rates = rates or FaultRates()
    with soak_stack(seed, rates) as (admin, injector), collected_every(500) as collect:
        codes = Codes()
        progress = Progress(operations, progress_every)
        started = time.perf_counter()
        share = [operations // workers + (1 if index < operations % workers else 0) for index in range(workers)]

        def tick() -> None:
            progress.tick()
            collect()

        def work(index: int) -> Ledger:
            # each worker stands for its own execution environments: functions loaded cold, per thread
            functions = {name: load_function(f"functions/{name}") for name in ("orders", "rewards")}
            worker = Worker(index, seed, functions, codes)
            worker.tick = tick
            return worker.run(share[index])

        with ThreadPoolExecutor(workers, thread_name_prefix="soak") as pool:
            ledgers = list(pool.map(work, range(workers)))
        seconds = time.perf_counter() - started
        broken = violations(admin, ledgers)

        jobs = {name: load_function(f"functions/{name}") for name in JOBS}
        jobs |= {f"{name}-worker": load_function(f"functions/{name}") for name in JOBS}
        sqs = clients.sqs()
        summaries, redelivered = run_jobs(jobs, sqs)
        broken += violations(admin, ledgers)
        injector.armed = False
        before = snapshot(admin)
        injector.armed = True
        run_jobs(jobs, sqs)
        injector.armed = False
        changes = differences(before, snapshot(admin))
        kinds: Counter[str] = sum((ledger.kinds for ledger in ledgers), Counter())
        statuses: Counter[str] = sum((ledger.answers for ledger in ledgers), Counter())
        return Report(
            seed=seed,
            workers=workers,
            operations=sum(share),
            seconds=seconds,
            kinds=kinds,
            statuses=statuses,
            faults=Counter(injector.injected),
            requests=injector.sent,
            retries=injector.retries,
            jobs=summaries,
            redelivered=redelivered,
            violations=broken,
            second_run_changes=changes,
        )
