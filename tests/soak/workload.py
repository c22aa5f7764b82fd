"""The operations of the soak: workers sharing a few accounts, each owning the orders and claims it makes.

An order and a claim belong to the worker that made them, so what it sends about them (a replay, a
return, a cancel) follows what it knows; the accounts are shared, so every write races the others.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from tests.support.events import api_event
from tests.support.lambdas import ApiResponse, call

ACCOUNTS = 12
SKUS = ("VALVE-20", "BOLT-M8", "PUMP-3", "HOSE-1")
LIMITED_REWARD = "limited"
REWARDS: list[dict[str, Any]] = [
    {"id": "mug", "name": "A mug", "points": 40, "stock": None},
    {"id": "warranty", "name": "Extended warranty, one year", "points": 150, "stock": None},
    {"id": LIMITED_REWARD, "name": "A training day, few places", "points": 200, "stock": 25},
]
KINDS = (
    "commit",
    "commit with redemption",
    "commit with code",
    "commit issuing a code",
    "replay",
    "conflicting replay",
    "cancel",
    "cancel again",
    "return",
    "return again",
    "claim",
    "claim again",
)
WEIGHTS = (20, 8, 6, 6, 14, 6, 5, 3, 9, 3, 14, 6)


@dataclass
class Sent:
    """A request and its first answer; ``again`` the answers of its replays."""

    kind: str
    key: str
    body: Any
    status: int
    answer: Any
    again: list[tuple[int, Any]] = field(default_factory=list)


@dataclass
class Ledger:
    """What one worker sent and was answered."""

    orders: dict[str, Sent] = field(default_factory=dict)
    cancels: dict[str, Sent] = field(default_factory=dict)
    returns: dict[str, Sent] = field(default_factory=dict)
    claims: dict[str, Sent] = field(default_factory=dict)
    conflicts: list[tuple[str, int, Any]] = field(default_factory=list)
    unexpected: list[tuple[str, str, int, Any]] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)
    """First answers by operation and status (``commit 201``), refusals included."""


class Worker:
    def __init__(self, index: int, seed: int, functions: dict[str, ModuleType], codes: Codes) -> None:
        self.index = index
        self.random = random.Random(seed * 1_000 + index)
        self.functions = functions
        self.codes = codes
        self.record = Ledger()
        self._serial = 0
        # what the operations choose from, kept as the answers come: rebuilding them from the ledger on
        # every operation costs O(history), and a return's choice O(orders x returns)
        self._committed: list[Sent] = []
        self._live: list[Sent] = []
        self._left: dict[str, dict[str, int]] = {}
        self._returned: list[Sent] = []
        self._claimed: list[Sent] = []
        self._cancelled: list[Sent] = []
        self.tick: Callable[[], None] = _nothing

    # ---------------------------------------------------------------------------------------------- driving

    def run(self, operations: int) -> Ledger:
        for _ in range(operations):
            kind = self.random.choices(KINDS, WEIGHTS)[0]
            if not getattr(self, "_" + kind.replace(" ", "_"))():
                kind = "commit"
                self._commit()
            self.record.kinds[kind] += 1
            self.tick()
        return self.record

    def _next(self, prefix: str) -> str:
        self._serial += 1
        return f"{prefix}-{self.index}-{self._serial}"

    def _account(self) -> str:
        return f"C{self.random.randrange(ACCOUNTS):02d}"

    def _expect(self, kind: str, key: str, response: ApiResponse, statuses: set[int]) -> None:
        self.record.answers[f"{kind.split()[0]} {response.status}"] += 1
        if response.status not in statuses:
            self.record.unexpected.append((kind, key, response.status, response.body))

    # ---------------------------------------------------------------------------------------------- orders

    def _order(self, customer_id: str, *, large: bool = False, **changes: Any) -> dict[str, Any]:
        lines = [
            {
                "sku": sku,
                "quantity": self.random.randint(1, 12),
                "unit_price": f"{self.random.randint(5, 60)}.{self.random.choice(('00', '50', '95'))}",
                "category": "valves" if sku.startswith("VALVE") else "parts",
            }
            for sku in self.random.sample(SKUS, self.random.randint(1, 3))
        ]
        if large:
            lines.append({"sku": "PALLET", "quantity": 1, "unit_price": "600.00"})
        day = self.random.randint(1, 28)
        month = self.random.randint(3, 11)
        return {
            "order_id": self._next("SO"),
            "customer_id": customer_id,
            "placed_at": f"2026-{month:02d}-{day:02d}T{self.random.randint(8, 18):02d}:00:00Z",
            "currency": "EUR",
            "lines": lines,
            **changes,
        }

    def _send_order(self, kind: str, body: dict[str, Any]) -> None:
        response = call(self.functions["orders"], api_event("orders-commit", body=body))
        # 200 on a first send: the answer of a write that happened was lost, and the retry found it done
        self._expect(kind, body["order_id"], response, {200, 201, 409})
        sent = Sent(kind, body["order_id"], body, response.status, response.body)
        self.record.orders[body["order_id"]] = sent
        if response.status in (200, 201):
            self._committed.append(sent)
            self._live.append(sent)
            self._left[sent.key] = {line["sku"]: line["quantity"] for line in body["lines"]}
        issued = (response.body or {}).get("issued_discount") if response.status in (200, 201) else None
        if issued:
            self.codes.add(body["customer_id"], issued["code"])

    def _commit(self) -> bool:
        self._send_order("commit", self._order(self._account()))
        return True

    def _commit_with_redemption(self) -> bool:
        self._send_order(
            "commit with redemption", self._order(self._account(), redeem_points=self.random.randint(1, 400))
        )
        return True

    def _commit_with_code(self) -> bool:
        customer_id = self._account()
        code = self.codes.pick(customer_id, self.random)
        if code is None:
            return False
        self._send_order("commit with code", self._order(customer_id, codes=[code]))
        return True

    def _commit_issuing_a_code(self) -> bool:
        self._send_order("commit issuing a code", self._order(self._account(), large=True))
        return True

    def _replay(self) -> bool:
        committed = self._committed
        if not committed:
            return False
        sent = self.random.choice(committed)
        response = call(self.functions["orders"], api_event("orders-commit", body=sent.body))
        sent.again.append((response.status, response.body))
        return True

    def _conflicting_replay(self) -> bool:
        committed = self._committed
        if not committed:
            return False
        sent = self.random.choice(committed)
        body = {**sent.body, "lines": [{**sent.body["lines"][0], "quantity": sent.body["lines"][0]["quantity"] + 1}]}
        response = call(self.functions["orders"], api_event("orders-commit", body=body))
        self.record.conflicts.append((sent.key, response.status, response.body))
        return True

    def _cancel(self) -> bool:
        live = self._live
        if not live:
            return False
        sent = self.random.choice(live)
        event = api_event("orders-cancel", path_parameters={"order_id": sent.key})
        response = call(self.functions["orders"], event)
        self._expect("cancel", sent.key, response, {200, 409})
        if response.status == 200:
            cancelled = Sent("cancel", sent.key, None, response.status, response.body)
            self.record.cancels[sent.key] = cancelled
            self._cancelled.append(cancelled)
            self._live.remove(sent)
        return True

    def _cancel_again(self) -> bool:
        if not self._cancelled:
            return False
        sent = self.random.choice(self._cancelled)
        response = call(self.functions["orders"], api_event("orders-cancel", path_parameters={"order_id": sent.key}))
        sent.again.append((response.status, response.body))
        return True

    def _left_to_return(self, sent: Sent) -> dict[str, int]:
        """Per SKU, what the order's lines less its returns that were made leave to return."""
        return {sku: quantity for sku, quantity in self._left[sent.key].items() if quantity > 0}

    def _return(self) -> bool:
        live = [sent for sent in self._live if self._left_to_return(sent)]
        if not live:
            return False
        sent = self.random.choice(live)
        sku, quantity = self.random.choice(sorted(self._left_to_return(sent).items()))
        body = {"return_id": self._next("RT"), "lines": [{"sku": sku, "quantity": self.random.randint(1, quantity)}]}
        event = api_event("orders-returns", body=body, path_parameters={"order_id": sent.key})
        response = call(self.functions["orders"], event)
        self._expect("return", sent.key, response, {200, 201, 409})
        made = Sent("return", body["return_id"], {**body, "order_id": sent.key}, response.status, response.body)
        self.record.returns[body["return_id"]] = made
        if response.status in (200, 201):
            self._returned.append(made)
            self._left[sent.key][sku] -= body["lines"][0]["quantity"]
        return True

    def _return_again(self) -> bool:
        made = self._returned
        if not made:
            return False
        sent = self.random.choice(made)
        body = {key: value for key, value in sent.body.items() if key != "order_id"}
        event = api_event("orders-returns", body=body, path_parameters={"order_id": sent.body["order_id"]})
        response = call(self.functions["orders"], event)
        sent.again.append((response.status, response.body))
        return True

    # ---------------------------------------------------------------------------------------------- claims

    def _claim(self) -> bool:
        customer_id = self._account()
        body = {"claim_id": self._next("CL"), "reward_id": self.random.choice(REWARDS)["id"]}
        event = api_event("claims-post", body=body, path_parameters={"customer_id": customer_id})
        response = call(self.functions["rewards"], event)
        self._expect("claim", body["claim_id"], response, {200, 201, 404, 409})
        made = Sent("claim", body["claim_id"], {**body, "customer_id": customer_id}, response.status, response.body)
        self.record.claims[body["claim_id"]] = made
        if response.status in (200, 201):
            self._claimed.append(made)
        return True

    def _claim_again(self) -> bool:
        made = self._claimed
        if not made:
            return False
        sent = self.random.choice(made)
        body = {key: value for key, value in sent.body.items() if key != "customer_id"}
        event = api_event("claims-post", body=body, path_parameters={"customer_id": sent.body["customer_id"]})
        response = call(self.functions["rewards"], event)
        sent.again.append((response.status, response.body))
        return True


def _nothing() -> None:
    return None


class Codes:
    """The discount codes issued so far, per account (shared by the workers: any may try to use one)."""

    def __init__(self) -> None:
        self._codes: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def add(self, customer_id: str, code: str) -> None:
        with self._lock:
            self._codes.setdefault(customer_id, []).append(code)

    def pick(self, customer_id: str, chooser: random.Random) -> str | None:
        with self._lock:
            codes = self._codes.get(customer_id)
            return chooser.choice(codes) if codes else None
