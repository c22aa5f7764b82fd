"""NPS answers: the request as sent is the idempotency key; the defaulted time is not part of it."""

from __future__ import annotations

from loyalty_service.surveys import SurveyAnswer, SurveyService
from tests.fakes import InMemorySurveyStore, RememberingOnce
from tests.unit.builders import at


def test_an_answer_without_a_time_is_stored_at_the_clocks_time() -> None:
    store = InMemorySurveyStore()

    recorded = SurveyService(store, clock=lambda: at("2026-11-20T10:15:00Z")).record("ACME", 9)

    assert recorded.created is True
    assert store.answers == [SurveyAnswer(customer_id="ACME", score=9, answered_at=at("2026-11-20T10:15:00Z"))]


def test_a_retry_later_is_answered_with_the_first_answer_and_stores_nothing() -> None:
    store = InMemorySurveyStore()
    times = iter([at("2026-11-20T10:15:00Z"), at("2026-11-20T10:15:07Z")])
    surveys = SurveyService(store, once=RememberingOnce(), clock=lambda: next(times))

    first = surveys.record("ACME", 9)
    retry = surveys.record("ACME", 9)

    assert retry.answer == first.answer
    assert retry.created is False
    assert len(store.answers) == 1


def test_an_explicit_time_is_kept() -> None:
    store = InMemorySurveyStore()

    SurveyService(store).record("ACME", 0, at("2026-11-01T08:00:00+01:00"))

    assert store.answers[0].answered_at == at("2026-11-01T07:00:00Z")
