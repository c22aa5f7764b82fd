"""The daily digest against moto (DynamoDB, SES, Secrets Manager): what it says, to whom, and only once."""

from __future__ import annotations

import os
from collections.abc import Iterator
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from local.outbox import sent_emails
from loyalty_aws import unsubscribe
from loyalty_aws.orders import DynamoOrderStore
from loyalty_aws.settings import settings
from tests.support.api import activate
from tests.support.aws import REGION
from tests.support.events import api_event, scheduled_event
from tests.support.lambdas import ApiResponse, FakeLambdaContext, call, load_function

SENDER = "rewards@example.com"
PROFILE = {"email": "purchasing@acme.example", "name": "Acme Industrial", "locale": "en", "email_opt_in": True}
ORDER = {
    "order_id": "SO-1001",
    "customer_id": "ACME",
    "placed_at": "2026-11-20T10:15:00Z",
    "currency": "EUR",
    "lines": [{"sku": "BOLT-M8", "quantity": 1000, "unit_price": "0.60", "category": "fasteners"}],
}


@pytest.fixture
def functions(dynamodb: Any, program_document: dict[str, Any]) -> Iterator[dict[str, ModuleType]]:
    """The API and the digest job, with the signing secret, the SES identity and the public URL in place."""
    secret = boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="unsubscribe-signing-key", SecretString="a-local-signing-key-of-enough-length-0123456789"
    )
    boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity=SENDER)
    extra = {
        "UNSUBSCRIBE_SECRET_ARN": secret["ARN"],
        "PUBLIC_BASE_URL": "https://rewards.example.test",
        "DIGEST_SENDER": SENDER,
    }
    os.environ.update(extra)
    settings.cache_clear()
    unsubscribe.signing_key.cache_clear()
    activate(program_document)
    yield {name: load_function(f"functions/{name}") for name in ("orders", "customers", "digest", "unsubscribe")}
    for name in extra:
        os.environ.pop(name, None)
    settings.cache_clear()
    unsubscribe.signing_key.cache_clear()


def put_profile(functions: dict[str, ModuleType], customer_id: str = "ACME", **changes: Any) -> None:
    event = api_event("customers-put", body={**PROFILE, **changes}, path_parameters={"customer_id": customer_id})
    assert call(functions["customers"], event).status == 200


def commit(functions: dict[str, ModuleType], **changes: Any) -> dict[str, Any]:
    response = call(functions["orders"], api_event("orders-commit", body={**ORDER, **changes}))
    assert response.status == 201, response.body
    return response.body


def run_digest(functions: dict[str, ModuleType], time: str) -> dict[str, Any]:
    return functions["digest"].lambda_handler(scheduled_event("digest", time), FakeLambdaContext())


def outbox() -> list[dict[str, Any]]:
    return sent_emails(REGION)


def open_link(
    functions: dict[str, ModuleType], url: str, *, method: str = "GET", form: str | None = None
) -> ApiResponse:
    """The unsubscribe link as a browser opens it (GET), or as its page's button or a mail client posts it."""
    token = parse_qs(urlsplit(url).query)["token"][0]
    event = api_event("customers-get", path_parameters={}, query={"token": token}, drop_headers=("x-api-key",))
    event.update(resource="/unsubscribe", path="/unsubscribe", httpMethod=method, pathParameters=None)
    event["requestContext"].update(resourcePath="/unsubscribe", httpMethod=method, path="/dev/unsubscribe")
    if form is not None:
        event.update(body=form, isBase64Encoded=False)
        event["headers"]["content-type"] = "application/x-www-form-urlencoded"
    result = functions["unsubscribe"].lambda_handler(event, FakeLambdaContext())
    headers = {name.lower(): values[-1] for name, values in (result.get("multiValueHeaders") or {}).items()}
    headers |= {name.lower(): value for name, value in (result.get("headers") or {}).items()}
    return ApiResponse(status=result["statusCode"], body=result["body"], headers=headers)


def opted_in(customer_id: str = "ACME") -> bool:
    return DynamoOrderStore().load_account(customer_id).profile.email_opt_in  # type: ignore[union-attr]


def sent_link(functions: dict[str, ModuleType]) -> str:
    put_profile(functions)
    commit(functions)
    run_digest(functions, "2026-11-21T07:00:00Z")
    return str(outbox()[0]["headers"]["List-Unsubscribe"].strip("<>"))


def test_the_digest_of_a_known_account_carries_its_exact_figures(functions: dict[str, ModuleType]) -> None:
    # GIVEN an opted-in account that bought 1,000 fasteners for 600.00 (Silver now; a 5% code issued)
    put_profile(functions)
    decision = commit(functions)
    code = decision["issued_discount"]["code"]
    # WHEN the digest runs the next morning
    summary = run_digest(functions, "2026-11-21T07:00:00Z")
    # THEN one email goes to the account's address, with its balance, value, tier, distance and code
    assert (summary["due"], summary["changed"]) == (1, 1)
    [email] = outbox()
    assert email["to"] == ["purchasing@acme.example"]
    text = email["text"]
    assert decision["balance"] == 2200  # base 600 + fasteners 600 + bulk 1000
    assert "2,200 points" in text
    assert "€22.00" in text
    assert "Silver" in text
    assert "4,000 more items to reach Gold" in text
    assert code in text
    assert "December 20, 2026" in text  # the code's expiry: 30 days after the order
    assert code in email["html"]
    assert email["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_digest_goes_out_once_however_often_the_job_fires(functions: dict[str, ModuleType]) -> None:
    put_profile(functions)
    commit(functions)

    first = run_digest(functions, "2026-11-21T07:00:00Z")
    again = run_digest(functions, "2026-11-21T07:00:00Z")
    later_that_day = run_digest(functions, "2026-11-21T19:00:00Z")

    assert first["changed"] == 1
    assert again["due"] == later_that_day["due"] == 0
    assert len(outbox()) == 1


def test_no_activity_since_the_last_digest_means_no_email(functions: dict[str, ModuleType]) -> None:
    put_profile(functions)
    commit(functions)
    run_digest(functions, "2026-11-21T07:00:00Z")

    next_day = run_digest(functions, "2026-11-22T07:00:00Z")

    assert next_day["due"] == 0
    assert len(outbox()) == 1


def test_opted_out_and_erased_accounts_get_nothing(functions: dict[str, ModuleType]) -> None:
    # GIVEN one account that never opted in and one that was erased, both with activity
    put_profile(functions, "ACME", email_opt_in=False)
    commit(functions)
    put_profile(functions, "GLOBEX")
    commit(functions, order_id="SO-2001", customer_id="GLOBEX")
    erase = api_event("customers-erase", path_parameters={"customer_id": "GLOBEX"})
    assert call(functions["customers"], erase).status == 200
    # WHEN the digest runs
    summary = run_digest(functions, "2026-11-21T07:00:00Z")
    # THEN nobody is emailed, and neither account is due any more
    assert (summary["due"], summary["changed"]) == (2, 0)
    assert outbox() == []
    assert run_digest(functions, "2026-11-21T08:00:00Z")["due"] == 0


def test_a_send_that_fails_is_retried_by_the_next_run(functions: dict[str, ModuleType]) -> None:
    put_profile(functions)
    commit(functions)
    boto3.client("sesv2", region_name=REGION).delete_email_identity(EmailIdentity=SENDER)

    refused = run_digest(functions, "2026-11-21T07:00:00Z")
    assert (refused["changed"], refused["failed"], refused["failed_units"]) == (0, 1, ["ACME"])
    assert outbox() == []
    boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity=SENDER)
    retried = run_digest(functions, "2026-11-21T08:00:00Z")

    assert retried["changed"] == 1
    assert len(outbox()) == 1


def test_opening_the_unsubscribe_link_asks_first_and_changes_nothing(functions: dict[str, ModuleType]) -> None:
    # GIVEN a digest that was sent, with its link in the text and the List-Unsubscribe header
    link = sent_link(functions)
    assert link in outbox()[0]["text"]
    # WHEN the link is opened (by the buyer, or by a mail scanner that follows every link)
    page = open_link(functions, link)
    # THEN a page asks for confirmation with a button that posts to the same link, and the digest stays on
    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<form method="post" action="?token=' in page.body
    token = parse_qs(urlsplit(link).query)["token"][0]
    assert f"?token={token}" in page.body.replace("&amp;", "&")
    assert opted_in() is True


def test_the_confirmation_button_turns_the_digest_off(functions: dict[str, ModuleType]) -> None:
    # GIVEN the confirmation page of a digest's link
    link = sent_link(functions)
    assert open_link(functions, link).status == 200
    # WHEN its button is pressed (the form posts List-Unsubscribe=One-Click to the same link)
    page = open_link(functions, link, method="POST", form="List-Unsubscribe=One-Click")
    # THEN the page says so, and the next activity brings no email
    assert page.status == 200
    assert "unsubscribed" in page.body
    assert opted_in() is False
    commit(functions, order_id="SO-1002", placed_at="2026-11-22T10:00:00Z")
    assert run_digest(functions, "2026-11-23T07:00:00Z")["changed"] == 0
    assert len(outbox()) == 1


def test_the_one_click_post_of_a_mail_client_turns_the_digest_off(functions: dict[str, ModuleType]) -> None:
    link = sent_link(functions)

    page = open_link(functions, link, method="POST")

    assert page.status == 200
    assert opted_in() is False


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_forged_unsubscribe_token_is_a_400_page(functions: dict[str, ModuleType], method: str) -> None:
    link = sent_link(functions)
    forged = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")

    page = open_link(functions, forged, method=method)

    assert page.status == 400
    assert page.headers["content-type"].startswith("text/html")
    assert "not valid" in page.body
    assert opted_in() is True


def test_a_cancel_after_a_digest_is_told_in_the_next_one(functions: dict[str, ModuleType]) -> None:
    # GIVEN an order already told in a digest
    put_profile(functions)
    decision = commit(functions)
    run_digest(functions, "2026-11-21T07:00:00Z")
    # WHEN it is cancelled the next day (its reversals are dated at the order, before that digest)
    cancel = api_event("orders-cancel", path_parameters={"order_id": "SO-1001"})
    assert call(functions["orders"], cancel).status == 200
    summary = run_digest(functions, "2026-11-22T07:00:00Z")
    # THEN the next digest tells it, once
    assert summary["changed"] == 1
    told = outbox()[1]["text"]
    assert "Order SO-1001 [Cancelled]" in told
    assert f"-{decision['points']:,}  Order cancelled" in told
    assert "Your balance: 0 points" in told
    assert run_digest(functions, "2026-11-23T07:00:00Z")["due"] == 0
    assert len(outbox()) == 2
