"""NPS answers: one 0-10 score per answer, recorded once however often the storefront retries."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from loyalty.types import Identifier, Instant
from loyalty_service.ports import Once, SurveyStore

Score = Annotated[int, Field(strict=True, ge=0, le=10)]


class SurveyAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    customer_id: Identifier
    score: Score
    answered_at: Instant


@dataclass(frozen=True)
class Recorded:
    answer: SurveyAnswer
    created: bool
    """False for a retried request answered with the first one's result."""


def every_time(request: Mapping[str, Any], run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A ``Once`` that remembers nothing: for fakes and for callers that deduplicate themselves."""
    return run()


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class SurveyService:
    def __init__(self, store: SurveyStore, *, once: Once = every_time, clock: Callable[[], datetime] = _now) -> None:
        self._store = store
        self._once = once
        self._clock = clock

    def record(self, customer_id: str, score: int, answered_at: datetime | None = None) -> Recorded:
        """Store an answer; ``answered_at`` defaults to now.

        The request as sent (without the defaulted time) is the idempotency key: a retried POST finds
        the first answer and is answered with it, instead of a second answer a few seconds later. An
        answer with an explicit ``answered_at`` is also idempotent by its key (customer, time).

        The account is not looked up: a survey may be answered before a company's first order, and
        the answer creates nothing but itself.
        """
        request = {
            "customer_id": customer_id,
            "score": score,
            "answered_at": answered_at.astimezone(UTC).isoformat() if answered_at else None,
        }

        created = False

        def store() -> dict[str, Any]:
            nonlocal created
            answer = SurveyAnswer(customer_id=customer_id, score=score, answered_at=answered_at or self._clock())
            self._store.put(answer)
            created = True
            return answer.model_dump(mode="json")

        stored = SurveyAnswer.model_validate(self._once(request, store))
        return Recorded(answer=stored, created=created)
