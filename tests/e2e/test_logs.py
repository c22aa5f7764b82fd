"""What the functions log: every line the handlers write (Powertools' JSON on stdout) during realistic
scenarios, read back, and none of it personal data or a secret: no email, no name, no raw API key,
no unsubscribe token, no ``unit_cost``."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import pytest

from local.stack import DEMO
from sam_emulator.testing import Http
from tests.e2e.conftest import ADMIN_KEY, STOREFRONT_KEY, embedded, project_stack

pytestmark = pytest.mark.e2e

EMAIL = "purchasing.lead@acme-logs.example"
NAME = "Henrietta Quarrington"
BUYER = "jane.buyer@acme-logs.example"
UNIT_COST = "0.3127"
ORDER = {
    "order_id": "SO-LOG-1",
    "customer_id": "ACME-LOGS",
    "placed_at": "2026-11-20T10:15:00Z",
    "currency": "EUR",
    "lines": [
        {"sku": "BOLT-M8", "quantity": 1000, "unit_price": "0.45", "category": "fasteners", "unit_cost": UNIT_COST}
    ],
    "buyer_id": BUYER,
}


@contextmanager
def log_output() -> Iterator[io.StringIO]:
    """What the functions' loggers write to stdout, into one buffer.

    Powertools' handlers hold the stdout of the moment their logger was first made, and the ``logging``
    loggers outlive a test; so the handlers' streams are pointed here, whatever they held before.
    """
    buffer = io.StringIO()
    handlers = [
        handler
        for logger in list(logging.Logger.manager.loggerDict.values())
        if isinstance(logger, logging.Logger)
        for handler in logger.handlers
        if type(handler) is logging.StreamHandler
    ]
    previous = [handler.setStream(buffer) for handler in handlers]
    try:
        yield buffer
    finally:
        for handler, stream in zip(handlers, previous, strict=True):
            handler.setStream(stream)


def test_no_log_line_carries_personal_data_or_a_secret() -> None:
    # GIVEN the stack and a day of traffic: program, profile, orders with a buyer and a cost, NPS, digest, unsubscribe
    program = json.loads((DEMO / "program.json").read_text(encoding="utf-8"))
    program["rules"].append({"id": "margin", "kind": "margin_points", "points_per_unit": "2"})
    with embedded(project_stack(), demo=False) as local, log_output() as buffer:
        http = Http(local, key=STOREFRONT_KEY)
        assert http.put("/admin/program", program, key=ADMIN_KEY).status == 201
        profile = {"email": EMAIL, "name": NAME, "locale": "en", "email_opt_in": True}
        assert http.put("/customers/ACME-LOGS", profile).status == 200
        assert http.post("/orders/preview", ORDER).status == 200
        assert http.post("/orders", ORDER).status == 201
        assert http.post("/orders", ORDER).status == 200
        assert http.post("/orders", {**ORDER, "lines": [{**ORDER["lines"][0], "quantity": 5}]}).status == 409
        assert http.post("/customers/ACME-LOGS/nps", {"score": 9, "answered_at": "2026-11-21T09:00:00Z"}).status == 201
        assert http.get("/customers/ACME-LOGS").status == 200
        assert http.get("/customers/ACME-LOGS", key="not-a-key-but-a-secret-looking-one").status == 401
        assert http.post("/_local/jobs/digest", {"time": "2026-11-21T07:00:00Z"}).status == 200
        [email] = http.get("/_local/outbox").body
        token = parse_qs(urlsplit(email["headers"]["List-Unsubscribe"].strip("<>")).query)["token"][0]
        assert http.get(f"/unsubscribe?token={token}", anonymous=True).status == 200
        assert http.post(f"/unsubscribe?token={token}", anonymous=True).status == 200
        assert http.post("/orders/SO-LOG-1/cancel").status == 200
        assert http.delete("/customers/ACME-LOGS", key=ADMIN_KEY).status == 200
        lines = buffer.getvalue().splitlines()
    # WHEN every log line the functions wrote is read back
    records = [line for line in lines if line.startswith('{"level"')]
    # THEN there are some, and none names the person, their address, a key, the token or a cost
    assert len(records) >= 10
    secrets = (
        EMAIL,
        NAME,
        BUYER,
        STOREFRONT_KEY,
        ADMIN_KEY,
        "not-a-key-but-a-secret-looking-one",
        token,
        "unit_cost",
        UNIT_COST,
    )
    leaks = [(secret, line) for line in records for secret in secrets if secret in line]
    assert leaks == []
