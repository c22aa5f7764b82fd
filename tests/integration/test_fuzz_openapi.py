"""Schema fuzzing: requests generated from docs/openapi.json against the local stack in-process.

schemathesis builds, for every documented operation, valid requests (positive) and requests that break
the document (negative: wrong types, missing fields, bad keys), and sends them through the local API
Gateway (authorizers included) to the real functions on moto. Every answer must be documented: no 5xx,
a status the operation lists, its content type and its schema. Storefront routes are called with the
storefront key, admin routes with the admin key. Deterministic: the same cases every run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from local.stack import LocalStack
from scripts.openapi import DOCUMENT
from tests.e2e.conftest import ADMIN_KEY, STOREFRONT_KEY, embedded, project_stack

pytestmark = pytest.mark.integration

SCHEMA = schemathesis.openapi.from_dict(json.loads(DOCUMENT.read_text(encoding="utf-8")))
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
EXAMPLES = 19
"""Cases per operation and mode: 27 operations x 2 modes x 19 = 1,026, about a minute here."""
MINIMUM_CASES = 1000
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
KEYS = {"StorefrontKey": STOREFRONT_KEY, "AdminKey": ADMIN_KEY}

FUZZING = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


UNTHROTTLED = {
    name: "1000000"
    for name in (
        "ThrottleRateLimit",
        "ThrottleBurstLimit",
        "StorefrontKeyRateLimit",
        "StorefrontKeyBurstLimit",
        "AdminKeyRateLimit",
        "AdminKeyBurstLimit",
    )
}
"""Usage plans out of the way: a case answered 429 never reaches a handler (the limits have their own tests)."""


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    """The demo stack (a program, accounts, orders), so that some generated ids name real things."""
    with embedded(project_stack(**UNTHROTTLED), demo=True) as local:
        yield local


def key_headers(operation: schemathesis.APIOperation) -> dict[str, str]:
    """The key of the scheme the operation is behind (none for the public unsubscribe link)."""
    security = operation.definition.raw.get("security", SCHEMA.raw_schema.get("security", []))
    schemes = [name for requirement in security for name in requirement]
    return {"x-api-key": KEYS[schemes[0]]} if schemes else {}


def test_the_fuzzer_plans_at_least_a_thousand_cases() -> None:
    assert len(OPERATIONS) * len(MODES) * EXAMPLES >= MINIMUM_CASES


@pytest.mark.parametrize("mode", MODES, ids=lambda mode: mode.value)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_every_answer_to_a_generated_request_is_documented(
    stack: LocalStack, operation: schemathesis.APIOperation, mode: GenerationMode
) -> None:
    # GIVEN requests generated from the operation's documented parameters and body, with the route's key
    headers = key_headers(operation)
    sent: list[int] = []

    @FUZZING
    @given(case=operation.as_strategy(mode))
    def fuzz(case: Case) -> None:
        # WHEN each is sent through the local gateway
        response = case.call(app=stack, headers=headers)
        sent.append(response.status_code)
        # THEN the answer is no 5xx and one the document describes: status, content type, schema
        case.validate_response(response, checks=CHECKS, headers=headers)

    fuzz()

    assert len(sent) >= EXAMPLES
