"""Simultaneous buyers of one account, each in its own process, against one moto server on loopback."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import boto3
import pytest

from local.cloudformation import Stack
from loyalty_aws import clients
from loyalty_aws.settings import settings
from sam_emulator.aws import EmbeddedAws
from sam_emulator.environment import environment
from sam_emulator.serial import serialise_dynamodb
from tests.integration.reconcile import reconcile
from tests.support.api import activate
from tests.support.contention import buyer
from tests.support.faults import request_tokens
from tests.unit.builders import spec_document

pytestmark = pytest.mark.integration

REGION = "eu-central-1"
BUYERS = 8
ROUNDS = 2
POINTS_PER_ORDER = 400


@pytest.fixture
def moto_server() -> Iterator[Any]:
    """moto's threaded server in this process (its backend serialised, tokens honoured), the tables created;
    the spawned buyers inherit the environment that points them at it."""
    serialise_dynamodb()
    stack = Stack.load(region=REGION)
    aws = EmbeddedAws(REGION).start()
    settings.cache_clear()
    clients.reset()
    try:
        with environment(stack.function_environment("OrdersFunction")), request_tokens():
            client = boto3.client("dynamodb", region_name=REGION)
            stack.create_tables(client)
            activate(spec_document())
            yield client
    finally:
        aws.stop()
        settings.cache_clear()
        clients.reset()


def test_eight_buyers_committing_at_once_are_all_answered_201_then_200(moto_server: Any) -> None:
    # GIVEN 8 processes that start each round's commits for one account together
    context = multiprocessing.get_context("spawn")
    # WHEN each commits a new order per round, then sends it again
    with context.Manager() as manager, ProcessPoolExecutor(BUYERS, mp_context=context) as pool:
        barrier = manager.Barrier(BUYERS)
        runs = [pool.submit(buyer, barrier, index, ROUNDS) for index in range(BUYERS)]
        answers = [answer for run in runs for answer in run.result(timeout=300)]
    # THEN no commit was refused as contended: every first answer is 201, every second a replay of it
    assert len(answers) == BUYERS * ROUNDS
    assert [(order_id, first) for order_id, first, _, _, _ in answers if first != 201] == []
    assert all(again == 200 and again_body == body for _, _, body, again, again_body in answers)
    # AND the account holds each order's points exactly once
    assert reconcile(moto_server) == {"ACME": BUYERS * ROUNDS * POINTS_PER_ORDER}
