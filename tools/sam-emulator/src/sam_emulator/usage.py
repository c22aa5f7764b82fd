"""API Gateway usage plans: a rate, a burst and a quota per API key, as the deployed stage meters them.

The template's ``AWS::ApiGateway::UsagePlan`` resources are created in the embedded AWS (their
``Throttle`` and ``Quota`` resolved with the stack's parameters, so the limits are the template's);
API keys are linked to them there, as ``aws apigateway create-usage-plan-key`` links them. A request to
a method that requires an API key is metered by its key: the ``x-api-key`` header for an API whose
``ApiKeySourceType`` is ``HEADER``, the authorizer's ``usageIdentifierKey`` for ``AUTHORIZER``. The key
is looked up as the *value* of an API key in a usage plan of the API; none is a 403 (``INVALID_API_KEY``).
Each key has its own token bucket (``RateLimit`` per second, ``BurstLimit`` deep) and its own count
per quota period (``DAY``, ``WEEK``, ``MONTH``, starting at UTC midnight, Monday, the 1st); past either
the answer is 429 (``THROTTLED`` / ``QUOTA_EXCEEDED``) with ``Retry-After`` in seconds.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

Clock = Callable[[], float]
"""Seconds since the epoch (``time.time``): the token buckets and the quota periods read the same clock."""


@dataclass(frozen=True)
class UsagePlan:
    """One ``AWS::ApiGateway::UsagePlan`` of the template, its properties resolved."""

    logical_id: str
    name: str
    apis: tuple[str, ...]
    """Logical ids of the APIs its ``ApiStages`` name."""
    rate: float | None = None
    burst: int | None = None
    quota: int | None = None
    period: str = "DAY"

    def create_request(self) -> dict[str, Any]:
        request: dict[str, Any] = {"name": self.name}
        if self.rate is not None:
            request["throttle"] = {"rateLimit": self.rate, "burstLimit": self.burst or max(1, int(self.rate))}
        if self.quota is not None:
            request["quota"] = {"limit": self.quota, "period": self.period}
        return request


@dataclass(frozen=True)
class Verdict:
    """``allowed``, else the gateway response type (``THROTTLED`` / ``QUOTA_EXCEEDED``) and when to retry."""

    allowed: bool
    kind: str | None = None
    retry_after: int = 0


ALLOWED = Verdict(True)


def period_end(moment: float, period: str) -> float:
    """When the quota period holding ``moment`` ends (UTC): the next midnight, Monday or 1st of a month."""
    now = datetime.fromtimestamp(moment, UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "WEEK":
        end = midnight + timedelta(days=7 - midnight.weekday())
    elif period == "MONTH":
        end = (midnight.replace(day=1) + timedelta(days=32)).replace(day=1)
    else:
        end = midnight + timedelta(days=1)
    return end.timestamp()


class UsageLimiter:
    """One key's limits under one plan: a token bucket for the rate, a counter for the quota period."""

    def __init__(self, plan: UsagePlan, clock: Clock = time.time) -> None:
        self._plan = plan
        self._clock = clock
        self._tokens = float(plan.burst or max(1, int(plan.rate or 1)))
        self._at = clock()
        self._used = 0
        self._period_end = period_end(self._at, plan.period)
        self._lock = threading.Lock()

    def take(self) -> Verdict:
        plan = self._plan
        with self._lock:
            now = self._clock()
            if now >= self._period_end:
                self._used, self._period_end = 0, period_end(now, plan.period)
            if plan.quota is not None and self._used >= plan.quota:
                return Verdict(False, "QUOTA_EXCEEDED", max(1, math.ceil(self._period_end - now)))
            if plan.rate is not None:
                burst = plan.burst or max(1, int(plan.rate))
                self._tokens = min(float(burst), self._tokens + (now - self._at) * plan.rate)
                self._at = now
                if self._tokens < 1:
                    return Verdict(False, "THROTTLED", max(1, math.ceil((1 - self._tokens) / plan.rate)))
                self._tokens -= 1
            self._used += 1
            return ALLOWED


class UsageMeter:
    """Every key's limiter, the plan of a key found in the embedded AWS (``apigateway``) at first use."""

    def __init__(self, plans: Mapping[str, UsagePlan], apigateway: Any, clock: Clock = time.time) -> None:
        self._plans = dict(plans)
        self._client = apigateway
        self._clock = clock
        self._ids: dict[str, str] = {}
        """Usage plan id in the embedded AWS -> logical id."""
        self._limiters: dict[str, UsageLimiter] = {}
        self._lock = threading.Lock()

    def create_plans(self) -> dict[str, str]:
        """Create the template's usage plans; their ids by logical id."""
        created = {}
        for logical_id, plan in self._plans.items():
            answer = self._client.create_usage_plan(**plan.create_request())
            self._ids[str(answer["id"])] = logical_id
            created[logical_id] = str(answer["id"])
        return created

    def plan_id(self, logical_id: str) -> str | None:
        """The embedded AWS's id of the template's usage plan ``logical_id`` (once created)."""
        return next((plan_id for plan_id, declared in self._ids.items() if declared == logical_id), None)

    def take(self, api: str, key: str) -> Verdict | None:
        """The verdict for one request of ``key`` to ``api``; ``None`` when no plan of ``api`` has the key."""
        with self._lock:
            limiter = self._limiters.get(key)
        if limiter is None:
            plan = self._plan_of(key)
            if plan is None or api not in plan.apis:
                return None
            with self._lock:
                limiter = self._limiters.setdefault(key, UsageLimiter(plan, self._clock))
        return limiter.take()

    def _plan_of(self, key: str) -> UsagePlan | None:
        for item in self._client.get_api_keys(includeValues=True).get("items", []):
            if item.get("value") != key or not item.get("enabled", True):
                continue
            for plan in self._client.get_usage_plans(keyId=item["id"]).get("items", []):
                logical_id = self._ids.get(str(plan["id"]))
                if logical_id is not None:
                    return self._plans[logical_id]
        return None
