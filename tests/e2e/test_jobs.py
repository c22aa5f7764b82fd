"""The nightly jobs end to end: ``POST /_local/jobs/{name}`` on the demo data, fanned out through SQS.

``InlineWorkLimit=0`` makes every job hand its work to its SQS worker, so the fan-out path runs too.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from local.stack import LocalStack
from sam_emulator.testing import Http
from tests.e2e.conftest import STOREFRONT_KEY, embedded, project_stack

pytestmark = pytest.mark.e2e

OPTED_IN = ["orders@boltworks.example", "purchasing@acme.example"]


@pytest.fixture
def demo() -> Iterator[LocalStack]:
    with embedded(project_stack(InlineWorkLimit="0"), demo=True, warm=False) as local:
        assert local.demo_report.failed == []
        yield local


@pytest.fixture
def http(demo: LocalStack) -> Http:
    return Http(demo, key=STOREFRONT_KEY)


def run(http: Http, job: str, time: str) -> dict:
    reply = http.post(f"/_local/jobs/{job}", {"time": time}, anonymous=True)
    assert reply.status == 200, reply.text
    return reply.body


def test_digest_emails_the_opted_in_accounts_with_activity(http: Http) -> None:
    # WHEN the digest runs the morning after the demo orders
    summary = run(http, "digest", "2026-11-25T07:00:00Z")
    # THEN its workers sent one email per opted-in account with activity, text and HTML, with an unsubscribe link
    assert summary["fan_out"]["processed"] >= 1
    assert summary["fan_out"]["failed"] == 0
    emails = http.get("/_local/outbox").body
    assert sorted(address for email in emails for address in email["to"]) == OPTED_IN
    for email in emails:
        assert email["subject"]
        assert email["text"]
        assert email["html"].lstrip().startswith("<!DOCTYPE html>")
        assert email["headers"]["List-Unsubscribe"].startswith("<http://localhost/unsubscribe?token=")


def test_each_digest_says_how_to_earn_more_next_time(http: Http) -> None:
    # GIVEN the demo program's 3x event of 1-7 December, its order-size rules and its 100k milestone,
    # and ACME's 645 EUR of purchases (528 + 117) in November
    # WHEN the digest runs on 25 November
    run(http, "digest", "2026-11-25T07:00:00Z")

    # THEN ACME's email (de-DE) names the event 6 days ahead, the order sizes and the 99,355 EUR still
    # needed for the milestone, in both parts
    emails = {email["to"][0]: email for email in http.get("/_local/outbox").body}
    acme = emails["purchasing@acme.example"]
    for line in (
        "So sammeln Sie beim n\u00e4chsten Mal mehr",
        "Punkte \u00d7 3 auf jede Bestellung vom 1.\xa0Dezember\xa02026 bis zum 7.\xa0Dezember\xa02026",
        "+5.000 Punkte f\u00fcr eine Bestellung ab 15.000,00\xa0\u20ac",
        "SAMPLE-KIT gratis zu einer Bestellung ab 5.000,00\xa0\u20ac",
        "+20.000 Punkte, wenn Ihr Einkaufswert insgesamt 100.000,00\xa0\u20ac erreicht: noch 99.355,00\xa0\u20ac",
    ):
        assert line in acme["text"]
        assert line in acme["html"]
    # AND Boltworks' (en-GB, 160 EUR bought) in its own words and formats
    boltworks = emails["orders@boltworks.example"]["text"]
    assert "Points \u00d7 3 on every order from 1\xa0December\xa02026 to 7\xa0December\xa02026" in boltworks
    assert "+20,000 points when your purchases reach \u20ac100,000.00 in total: \u20ac99,840.00 to go" in boltworks


def test_digest_runs_once_per_day(http: Http) -> None:
    run(http, "digest", "2026-11-25T07:00:00Z")
    run(http, "digest", "2026-11-25T07:30:00Z")
    assert len(http.get("/_local/outbox").body) == len(OPTED_IN)


def test_unsubscribe_link_of_a_digest_turns_the_next_ones_off(http: Http) -> None:
    # GIVEN ACME's digest and its one-click unsubscribe link
    run(http, "digest", "2026-11-25T07:00:00Z")
    (acme,) = [email for email in http.get("/_local/outbox").body if email["to"] == ["purchasing@acme.example"]]
    token = parse_qs(urlsplit(acme["headers"]["List-Unsubscribe"].strip("<>")).query)["token"][0]
    # WHEN the link is used, and ACME orders again
    assert http.post(f"/unsubscribe?token={token}", anonymous=True).status == 200
    order = {
        "order_id": "SO-2001",
        "customer_id": "ACME",
        "placed_at": "2026-11-25T10:00:00Z",
        "currency": "EUR",
        "lines": [{"sku": "BOLT-M8", "quantity": 10, "unit_price": "0.45", "category": "fasteners"}],
    }
    assert http.post("/orders", order).status == 201
    run(http, "digest", "2026-11-26T07:00:00Z")
    # THEN no second digest goes to ACME
    recipients = [address for email in http.get("/_local/outbox").body for address in email["to"]]
    assert recipients.count("purchasing@acme.example") == 1


def test_expiry_expires_points_and_codes_past_their_end(http: Http) -> None:
    # GIVEN ACME with points earned in November 2026 (365 days) and a next-purchase code (30 days)
    before = http.get("/customers/ACME").body
    assert before["balance"] > 0
    assert before["discounts"]
    # WHEN the expiry job runs a year later
    run(http, "expiry", "2027-12-01T03:00:00Z")
    # THEN the lots are expired into the ledger, and the code is gone
    after = http.get("/customers/ACME").body
    assert after["balance"] == 0
    assert after["discounts"] == []
    entries = http.get("/customers/ACME/ledger?limit=100").body["entries"]
    assert -sum(entry["points"] for entry in entries if entry["kind"] == "expire") == before["balance"]


def test_tiers_downgrade_when_the_window_no_longer_reaches_the_threshold(http: Http) -> None:
    assert http.get("/customers/ACME").body["tier"] == "Silver"
    run(http, "tiers", "2027-12-01T02:00:00Z")
    assert http.get("/customers/ACME").body["tier"] == "Bronze"
