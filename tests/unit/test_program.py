"""The program document: the SPEC example validates, and every kind of mistake names its field."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from loyalty.errors import InvalidInput
from loyalty.program import RULE_KINDS, Program, ProgramRule
from tests.unit.builders import spec_document


def errors_of(document: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        Program.parse(document)
    return {detail.field: detail.message for detail in caught.value.details}


def test_the_spec_example_program_is_valid() -> None:
    program = Program.parse(spec_document())

    assert program.name == "Acme B2B Rewards"
    assert [level.name for level in program.tiers.levels] == ["Bronze", "Silver", "Gold"]
    assert [rule.id for rule in program.rules] == [
        "big-cart", "bulk", "year-end", "fasteners", "100k", "anniversary", "kit",
    ]  # fmt: skip
    assert program.emails is not None
    assert program.emails.sender == "rewards@example.com"


def test_a_minimal_program_needs_only_a_name_and_a_currency() -> None:
    program = Program.parse({"name": "Basic", "currency": "EUR"})

    assert program.tiers is None
    assert program.rules == []
    assert str(program.points_per_unit) == "1"


def test_amounts_may_be_json_numbers_or_strings() -> None:
    as_numbers = Program.parse({**spec_document(), "point_value": 0.01, "max_discount_percent": 50})

    assert as_numbers == Program.parse(spec_document())


def test_rule_kinds_constant_matches_the_rule_union() -> None:
    union = get_args(get_args(ProgramRule)[0])
    kinds = {get_args(rule.model_fields["kind"].annotation)[0] for rule in union}

    assert kinds == RULE_KINDS


def test_an_unknown_rule_kind_is_refused_at_its_index() -> None:
    document = spec_document()
    document["rules"].append({"id": "gift", "kind": "lottery", "points": 5})

    errors = errors_of(document)

    assert list(errors) == ["rules.7"]
    assert "lottery" in errors["rules.7"]


def test_duplicate_rule_ids_are_refused_at_the_second_one() -> None:
    document = spec_document()
    document["rules"].append({"id": "bulk", "kind": "anniversary_bonus", "points": 1})

    assert errors_of(document) == {"rules.7.id": "rule ids must be unique"}


def test_a_rule_id_may_not_take_a_name_the_engine_writes() -> None:
    document = spec_document()
    document["rules"][0]["id"] = "tier"

    assert list(errors_of(document)) == ["rules.0.id"]


@pytest.mark.parametrize(
    ("thresholds", "field"),
    [
        ([10, 1000, 5000], "tiers.levels.0.threshold"),
        ([0, 1000, 1000], "tiers.levels.2.threshold"),
        ([0, 5000, 1000], "tiers.levels.2.threshold"),
    ],
)
def test_tier_thresholds_must_start_at_zero_and_strictly_ascend(thresholds: list[int], field: str) -> None:
    document = spec_document()
    for level, threshold in zip(document["tiers"]["levels"], thresholds, strict=True):
        level["threshold"] = threshold

    assert list(errors_of(document)) == [field]


def test_tier_names_must_be_unique() -> None:
    document = spec_document()
    document["tiers"]["levels"][2]["name"] = "Silver"

    assert list(errors_of(document)) == ["tiers.levels.2.name"]


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("rules", 0, "min_amount"), "-1", "rules.0.min_amount"),
        (("rules", 1, "points"), -5, "rules.1.points"),
        (("point_value",), "-0.01", "point_value"),
        (("points_per_unit",), "-1", "points_per_unit"),
        (("next_purchase_discount", "min_amount"), "-500", "next_purchase_discount.min_amount"),
    ],
)
def test_negative_amounts_are_refused(path: tuple[Any, ...], value: Any, field: str) -> None:
    document = spec_document()
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value

    assert list(errors_of(document)) == [field]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (("max_discount_percent",), "max_discount_percent"),
        (("next_purchase_discount", "percent"), "next_purchase_discount.percent"),
        (("referral", "referee_discount_percent"), "referral.referee_discount_percent"),
        (("referral", "referrer_reward", "discount_percent"), "referral.referrer_reward.discount_percent"),
        (("tiers", "levels", 1, "discount_percent"), "tiers.levels.1.discount_percent"),
    ],
)
def test_percents_over_100_are_refused(path: tuple[Any, ...], field: str) -> None:
    document = spec_document()
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = "100.5"

    assert list(errors_of(document)) == [field]


@pytest.mark.parametrize("ends_at", ["2026-12-01T00:00:00Z", "2026-11-30T23:59:59Z"])
def test_an_event_must_end_after_it_starts(ends_at: str) -> None:
    document = spec_document()
    document["rules"][2]["ends_at"] = ends_at

    assert errors_of(document) == {"rules.2.ends_at": "must be later than starts_at"}


def test_event_times_need_a_time_zone() -> None:
    document = spec_document()
    document["rules"][2]["starts_at"] = "2026-12-01T00:00:00"

    assert list(errors_of(document)) == ["rules.2.starts_at"]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ((), "colour"),
        (("tiers",), "tiers.colour"),
        (("tiers", "levels", 0), "tiers.levels.0.colour"),
        (("rules", 3), "rules.3.colour"),
        (("referral", "referrer_reward"), "referral.referrer_reward.colour"),
    ],
)
def test_unknown_keys_are_refused_where_they_stand(path: tuple[Any, ...], field: str) -> None:
    document = spec_document()
    target = document
    for key in path:
        target = target[key]
    target["colour"] = "gold"

    assert errors_of(document) == {field: "Extra inputs are not permitted"}


def test_a_multiplier_below_one_is_refused() -> None:
    document = spec_document()
    document["rules"][3]["multiplier"] = "0.5"

    assert list(errors_of(document)) == ["rules.3.multiplier"]


def test_fractional_points_are_refused_not_rounded() -> None:
    document = spec_document()
    document["rules"][1]["points"] = 1000.5

    assert list(errors_of(document)) == ["rules.1.points"]


def test_the_currency_is_an_upper_case_iso_code() -> None:
    assert list(errors_of({**spec_document(), "currency": "euro"})) == ["currency"]


def test_every_mistake_is_reported_at_once() -> None:
    document = spec_document()
    document["currency"] = "eur"
    document["rules"][0]["points"] = -1
    document["tiers"]["window_days"] = 0

    assert set(errors_of(document)) == {"currency", "rules.0.points", "tiers.window_days"}
