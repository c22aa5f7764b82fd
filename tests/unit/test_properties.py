"""Property tests of the rules core: what SPEC section 3 promises for every program, account and order.

The strategies (``tests/unit/strategies.py``) draw valid programs with tiers and rules of every
kind, accounts with volume history, point lots and deficits, codes of every status, and orders
with 4-decimal prices. Each test states one property; the examples are the search space, not
the point.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty.codes import DiscountCode
from loyalty.commit import cancel_order, commit_order
from loyalty.errors import InsufficientPoints
from loyalty.money import round_money
from loyalty.order import Order
from loyalty.program import DiscountEvent, FirstOrderDiscount, MarginPoints, MultiplierEvent, Program, Tiers
from loyalty.scoring import Scoring, score
from loyalty.tiers import VolumeBucket, held_level, review, start_of, window_volume
from loyalty.wallet import Lot, Wallet
from tests.unit.strategies import (
    EPOCH,
    STALE_TIER,
    Scenario,
    buckets,
    decimals,
    lots,
    moments,
    plain_tiers,
    scenarios,
    wallets,
    whole_cents,
)

ENGINE_RULES = frozenset({"base", "tier", "tier_bonus"})

scoring_settings = settings(max_examples=150, deadline=None)
commit_settings = settings(max_examples=120, deadline=None)
wallet_settings = settings(max_examples=200, deadline=None)


# --- helpers -----------------------------------------------------------------------------------


def minter() -> Callable[[str], str]:
    counter = itertools.count(1)
    return lambda kind: f"{kind}-{next(counter)}"


def scored(scenario: Scenario, order: Order | None = None) -> Scoring:
    return score(scenario.program, scenario.account, order or scenario.order, scenario.known_codes)


def redeeming(data: st.DataObject, scenario: Scenario) -> Scenario:
    """The scenario, its order now redeeming what is allowed: at most the balance and the amount left to pay."""
    decision = scored(scenario).decision
    payable = scenario.order.subtotal - decision.discount_total
    affordable = math.floor(Fraction(payable) / Fraction(scenario.program.point_value)) if payable > 0 else 0
    most = min(scenario.account.balance, affordable)
    if most <= 0:
        return scenario
    points = data.draw(st.one_of(st.integers(0, most), st.just(most)), label="redeem_points")
    return scenario.with_order(Order.parse({**scenario.payload, "redeem_points": points}))


def holdings(wallet: Wallet) -> tuple[dict[str, int], int]:
    """What a wallet holds, ignoring emptied lots: points left per lot, and the deficit."""
    return {lot.lot_id: lot.remaining for lot in wallet.lots if lot.remaining > 0}, wallet.deficit


def windows(program: Program) -> list[Tiers]:
    """The program's tier window and a few others on every basis: buckets must come back whole."""
    probes = [
        Tiers.model_validate({"basis": basis, "window_days": days, "levels": [{"name": "any", "threshold": 0}]})
        for basis in ("quantity", "spend", "orders")
        for days in (1, 30, 365)
    ]
    return [program.tiers, *probes] if program.tiers else probes


def volume_by_hand(tiers: Tiers, history: Iterable[VolumeBucket], moment: datetime) -> Decimal:
    today = moment.astimezone(UTC).date()
    return sum(
        (
            bucket.volume(tiers.basis)
            for bucket in history
            if bucket.day <= today < bucket.day + timedelta(days=tiers.window_days)
        ),
        Decimal(0),
    )


def rank_of(tiers: Tiers, name: str) -> int:
    return [level.name for level in tiers.levels].index(name)


def bumped(data: st.DataObject, payload: dict[str, Any], *, cents_only: bool) -> Order:
    """The same order with one line bought more of, or at a higher unit price."""
    lines = [dict(line) for line in payload["lines"]]
    index = data.draw(st.integers(0, len(lines) - 1), label="line")
    line = lines[index]
    if data.draw(st.booleans(), label="more quantity"):
        line["quantity"] += data.draw(st.integers(1, 50), label="extra quantity")
    else:
        extra = data.draw(whole_cents("0.01", "50") if cents_only else decimals("0.0001", "50"), label="extra price")
        line["unit_price"] = str(Decimal(line["unit_price"]) + extra)
    return Order.parse({**payload, "lines": lines})


# --- 1. points -----------------------------------------------------------------------------------


@scoring_settings
@given(scenario=scenarios(deficits=True, usable_codes_only=True))
def test_an_order_that_redeems_nothing_is_never_refused(scenario: Scenario) -> None:
    # GIVEN any account, a negative balance left by a cancel included, and any discounts
    # WHEN it orders without redeeming points
    # THEN the preview and the commit both go through: only a redemption can be refused (409)
    preview = scored(scenario).decision
    commit = commit_order(
        scenario.program,
        scenario.account,
        scenario.order,
        scenario.known_codes,
        mint=minter(),
        referrer=scenario.referrer,
    )
    assert commit.decision.points == preview.points
    assert commit.record.redeemed_from == {}


@scoring_settings
@given(data=st.data(), scenario=scenarios(deficits=True))
def test_points_are_never_negative_and_every_breakdown_line_earns_something(
    data: st.DataObject, scenario: Scenario
) -> None:
    scenario = redeeming(data, scenario)
    program = scenario.program
    scoring = scored(scenario)
    decision = scoring.decision

    assert scoring.eligible_amount >= 0
    assert decision.points >= 0
    assert all(line.points > 0 for line in decision.breakdown)
    assert decision.points == sum(line.points for line in decision.breakdown)
    rules = [line.rule for line in decision.breakdown]
    assert len(rules) == len(set(rules)), "one line per rule"
    assert set(rules) <= ENGINE_RULES | {rule.id for rule in program.rules}
    events = {rule.id for rule in program.rules_of(MultiplierEvent)}
    assert len(events & set(rules)) <= 1, "only the single strongest event counts"
    if scenario.account.excluded_from(program):
        assert decision.breakdown == ()


@scoring_settings
@given(data=st.data(), scenario=scenarios())
def test_only_the_strongest_multiplier_event_counts(data: st.DataObject, scenario: Scenario) -> None:
    # GIVEN one more event active at placed_at, listed first, weaker than the strongest one applying to the account
    placed_at = scenario.order.placed_at
    active = [
        rule.multiplier
        for rule in scenario.program.rules_of(MultiplierEvent)
        if rule.active_at(placed_at) and rule.applies_to(scenario.account.segment)
    ]
    strongest = max(active, default=Decimal(1))
    weaker = data.draw(
        decimals("1", str(strongest)).filter(lambda multiplier: multiplier < strongest or multiplier == 1)
    )
    event = MultiplierEvent(
        id="weaker-event",
        kind="multiplier_event",
        multiplier=weaker,
        starts_at=placed_at,
        ends_at=placed_at + timedelta(hours=1),
    )
    program = scenario.program.model_copy(update={"rules": [event, *scenario.program.rules]})
    # THEN the decision does not change
    decision = scored(scenario).decision
    assert score(program, scenario.account, scenario.order, scenario.known_codes).decision == decision


@scoring_settings
@given(data=st.data(), scenario=scenarios())
def test_a_margin_line_never_exceeds_the_floor_of_the_margin_times_its_points_per_unit(
    data: st.DataObject, scenario: Scenario
) -> None:
    # GIVEN any order, some lines with a unit cost, and any discounts and redemption
    scenario = redeeming(data, scenario)
    decision = scored(scenario).decision
    costed = [line for line in scenario.order.lines if line.unit_cost is not None]
    margins = [max(line.unit_price - (line.unit_cost or 0), Decimal(0)) * line.quantity for line in costed]
    margin = sum(margins, Decimal(0))
    earned = {line.rule: line.points for line in decision.breakdown}
    # THEN each margin line earns at most floor(margin x points_per_unit): the eligible share is at most 1
    for rule in scenario.program.rules_of(MarginPoints):
        assert 0 <= earned.get(rule.id, 0) <= math.floor(margin * rule.points_per_unit)


UNIT_COSTS = st.integers(100_0001, 999_9999).filter(lambda cost: cost % 10).map(lambda cost: Decimal(cost).scaleb(-4))
"""Costs of exactly four decimals from 100: ``ddd.dddd`` is no amount (2 decimals), percent (<= 100) nor point count."""


@commit_settings
@given(data=st.data(), scenario=scenarios(usable_codes_only=True))
def test_no_decision_nor_ledger_entry_carries_a_unit_cost(data: st.DataObject, scenario: Scenario) -> None:
    # GIVEN the order's lines, each with a unit cost of its own
    costs = [data.draw(UNIT_COSTS, label="unit_cost") for _ in scenario.payload["lines"]]
    lines = [{**line, "unit_cost": str(cost)} for line, cost in zip(scenario.payload["lines"], costs, strict=True)]
    order = Order.parse({**scenario.payload, "lines": lines})
    # WHEN it is previewed, committed and cancelled
    preview = scored(scenario, order).decision
    commit = commit_order(
        scenario.program, scenario.account, order, scenario.known_codes, mint=minter(), referrer=scenario.referrer
    )
    cancel = cancel_order(commit.account, commit.record, commit.issued_code)
    shown = [
        preview.model_dump_json(),
        commit.decision.model_dump_json(),
        cancel.record.decision.model_dump_json(),
        *(entry.model_dump_json() for entry in (*commit.ledger, *cancel.ledger)),
        *(entry.model_dump_json() for entry in (commit.referral.ledger if commit.referral else ())),
    ]
    # THEN no serialised decision or ledger entry names a unit cost or shows one
    for text in shown:
        assert "unit_cost" not in text
        assert not [cost for cost in costs if str(cost) in text], text


# --- 2. discounts ------------------------------------------------------------------------------


@scoring_settings
@given(scenario=scenarios())
def test_discounts_add_up_never_exceed_the_subtotal_nor_the_cap(scenario: Scenario) -> None:
    program, order = scenario.program, scenario.order
    decision = scored(scenario).decision
    percent = sum((line.percent for line in decision.discounts), Decimal(0))

    assert sum((line.amount for line in decision.discounts), Decimal(0)) == decision.discount_total
    assert all(line.amount >= 0 and line.percent >= 0 for line in decision.discounts)
    assert percent <= program.max_discount_percent
    assert decision.discount_total <= order.subtotal
    # SPEC: round-half-even(subtotal * percent / 100, 2). At 100 % (or close) a sub-cent subtotal
    # rounds *up* past itself (0.0051 -> 0.01): there the subtotal, not the formula, is the bound.
    formula = round_money(order.subtotal * percent / 100)
    if formula <= order.subtotal:
        assert decision.discount_total == formula


@scoring_settings
@given(scenario=scenarios())
def test_the_cap_trims_only_the_last_discount_sources(scenario: Scenario) -> None:
    # GIVEN the sources in order (tier, codes as given, referral, first_order, event), each with its own percent
    program = scenario.program
    decision = scored(scenario).decision
    held = (
        held_level(program.tiers, scenario.account.tier, scenario.account.buckets, scenario.order.placed_at)
        if program.tiers
        else None
    )
    wanted = []
    for line in decision.discounts:
        if line.source == "tier":
            assert held is not None
            wanted.append(held.discount_percent)
        elif line.source == "code":
            code = scenario.known_codes[line.code or ""]
            assert isinstance(code, DiscountCode)
            wanted.append(code.percent)
        elif line.source == "referral":
            assert program.referral is not None
            wanted.append(program.referral.referee_discount_percent)
        else:
            rule = next(rule for rule in program.rules if rule.id == line.rule)
            assert isinstance(rule, FirstOrderDiscount | DiscountEvent)
            wanted.append(rule.percent)
    sources = [line.source for line in decision.discounts]
    assert sources == sorted(sources, key=("tier", "code", "referral", "first_order", "event").index)
    # THEN each source gets what the cap leaves after the ones before it
    room = program.max_discount_percent
    for line, percent in zip(decision.discounts, wanted, strict=True):
        assert line.percent == min(percent, room)
        room -= line.percent


# --- 3. monotonic in spend ---------------------------------------------------------------------


@scoring_settings
@given(data=st.data(), scenario=scenarios(discounts=False))
def test_more_spend_never_earns_fewer_points(data: st.DataObject, scenario: Scenario) -> None:
    # GIVEN a program whose discounts are capped at 0 %, so the eligible amount is the subtotal
    # WHEN one line is bought more of, or dearer (same moment, same account, no redemption)
    # THEN the order earns at least as many points: base, category, tier and event lines, cart and
    #      milestone bonuses all grow with spend; the tier upgrade only counts from the next order
    more = bumped(data, scenario.payload, cents_only=False)
    assert more.subtotal >= scenario.order.subtotal
    assert scored(scenario, more).decision.points >= scored(scenario).decision.points


@scoring_settings
@given(data=st.data(), scenario=scenarios(cents_only=True, category_multipliers=False))
def test_more_spend_in_whole_cents_never_earns_fewer_points_despite_discounts(
    data: st.DataObject, scenario: Scenario
) -> None:
    # GIVEN discounts that are rounded to cents, prices in whole cents, no category multipliers
    # (with sub-cent prices, or a category share scaled by eligible / subtotal, a discount rounded
    # up by a cent may cost a point: the SPEC's rounding, not a defect)
    # WHEN the order grows by whole cents
    # THEN the eligible amount and the points never fall
    more = bumped(data, scenario.payload, cents_only=True)
    before, after = scored(scenario), scored(scenario, more)
    assert after.eligible_amount >= before.eligible_amount
    assert after.decision.points >= before.decision.points


@scoring_settings
@given(scenario=scenarios(tiered=True))
def test_a_tier_reached_by_this_order_only_pays_from_the_next_one(scenario: Scenario) -> None:
    # GIVEN the tier the account holds before the order: its recorded one, or what its window earns
    # when the program no longer has that level
    tiers = scenario.program.tiers
    assert tiers is not None
    names = [level.name for level in tiers.levels]
    volume = volume_by_hand(tiers, scenario.account.buckets, scenario.order.placed_at)
    held = (
        names.index(scenario.account.tier)
        if scenario.account.tier in names
        else max(rank for rank, level in enumerate(tiers.levels) if level.threshold <= volume)
    )
    # WHEN every level above it loses its benefits
    plain = [
        level.model_copy(
            update={
                "discount_percent": Decimal(0),
                "points_multiplier": Decimal(1),
                "free_shipping": False,
                "bonus_points_per_order": 0,
            }
        )
        for level in tiers.levels[held + 1 :]
    ]
    levels = [*tiers.levels[: held + 1], *plain]
    program = scenario.program.model_copy(update={"tiers": tiers.model_copy(update={"levels": levels})})
    # THEN this order's decision is the same, upgrade included: the upgrade pays from the next order
    decision = scored(scenario).decision
    assert score(program, scenario.account, scenario.order, scenario.known_codes).decision == decision


# --- 4. deterministic, blind to formatting -----------------------------------------------------


def reformatted_price(price: str, style: str, zeros: int) -> Any:
    value = Decimal(price)
    if style == "trailing zeros":
        return f"{price}{'.' if '.' not in price else ''}{'0' * zeros}"
    if style == "json number":
        return int(value) if value == value.to_integral_value() else float(value)
    return f"{value.normalize():E}"  # "4.5E-1"


@scoring_settings
@given(
    data=st.data(),
    scenario=scenarios(),
    offset_minutes=st.integers(-12 * 60, 14 * 60),
    style=st.sampled_from(["trailing zeros", "json number", "exponent"]),
)
def test_scoring_is_deterministic_and_blind_to_formatting(
    data: st.DataObject, scenario: Scenario, offset_minutes: int, style: str
) -> None:
    decision = scored(scenario).decision.model_dump_json()
    assert scored(scenario).decision.model_dump_json() == decision

    # GIVEN the same order written differently: "0.450" for "0.45", a number for a string, another UTC offset
    zeros = data.draw(st.integers(1, 3), label="zeros")
    payload = {
        **scenario.payload,
        "placed_at": scenario.order.placed_at.astimezone(timezone(timedelta(minutes=offset_minutes))).isoformat(),
        "lines": [
            {**line, "unit_price": reformatted_price(line["unit_price"], style, zeros)}
            for line in scenario.payload["lines"]
        ],
    }
    same = Order.parse(payload)
    # THEN it has the same fingerprint and earns the same decision
    assert same.fingerprint() == scenario.order.fingerprint()
    assert scored(scenario, same).decision.model_dump_json() == decision
    # and a different price is a different order
    other = bumped(data, scenario.payload, cents_only=False)
    assert other.fingerprint() != scenario.order.fingerprint()


# --- 5./6. commit and cancel -------------------------------------------------------------------


@commit_settings
@given(data=st.data(), scenario=scenarios(deficits=True, usable_codes_only=True))
def test_cancelling_an_order_restores_what_the_commit_changed(data: st.DataObject, scenario: Scenario) -> None:
    scenario = redeeming(data, scenario)
    before = scenario.account
    commit = commit_order(
        scenario.program, before, scenario.order, scenario.known_codes, mint=minter(), referrer=scenario.referrer
    )
    cancel = cancel_order(commit.account, commit.record, commit.issued_code)
    after = cancel.account

    assert after.balance == before.balance
    assert holdings(after.wallet) == holdings(before.wallet)
    assert after.lifetime_spend == before.lifetime_spend
    placed_at = scenario.order.placed_at
    for tiers in windows(scenario.program):
        for moment in (
            placed_at,
            placed_at - timedelta(days=1),
            placed_at + timedelta(days=29),
            start_of(EPOCH.date()),
        ):
            assert window_volume(tiers, after.buckets, moment) == window_volume(tiers, before.buckets, moment)
    assert after.milestones_reached == before.milestones_reached
    assert after.anniversaries_rewarded == before.anniversaries_rewarded
    assert sum(entry.points for entry in (*commit.ledger, *cancel.ledger)) == 0
    if commit.issued_code is not None:
        assert cancel.revoked_code == commit.issued_code.code


@commit_settings
@given(data=st.data(), scenario=scenarios(deficits=True, usable_codes_only=True))
def test_the_balance_after_a_commit_is_the_previous_balance_plus_the_ledger(
    data: st.DataObject, scenario: Scenario
) -> None:
    scenario = redeeming(data, scenario)
    before = scenario.account
    commit = commit_order(
        scenario.program, before, scenario.order, scenario.known_codes, mint=minter(), referrer=scenario.referrer
    )
    decision = commit.decision

    assert commit.account.balance == before.balance + sum(entry.points for entry in commit.ledger)
    assert decision.balance == commit.account.balance
    assert sum(entry.points for entry in commit.ledger if entry.kind == "earn") == decision.points
    assert sum(entry.points for entry in commit.ledger if entry.kind == "redeem") == -scenario.order.redeem_points
    assert len({entry.entry_id for entry in commit.ledger}) == len(commit.ledger), "entry ids are unique"
    if commit.referral is not None:
        referrer = scenario.referrer
        assert referrer is not None
        assert commit.referral.referrer.balance == referrer.balance + sum(e.points for e in commit.referral.ledger)


# --- 7. FIFO redemption ------------------------------------------------------------------------


@wallet_settings
@given(data=st.data(), wallet=wallets(deficits=False))
def test_redemption_takes_exactly_the_points_asked_from_the_oldest_lots_first(
    data: st.DataObject, wallet: Wallet
) -> None:
    points = data.draw(st.one_of(st.integers(0, wallet.balance), st.just(wallet.balance)), label="points")
    after, taken = wallet.redeem(points)

    assert sum(taken.values()) == points
    assert after.balance == wallet.balance - points
    assert after.deficit == wallet.deficit
    remaining = {lot.lot_id: lot.remaining for lot in wallet.lots}
    assert all(0 < take <= remaining[lot_id] for lot_id, take in taken.items())
    assert {lot.lot_id: lot.remaining for lot in after.lots} == {
        lot_id: left - taken.get(lot_id, 0) for lot_id, left in remaining.items() if left > taken.get(lot_id, 0)
    }, "what is left stays in its lot; the lots emptied leave the wallet"
    # THEN the lots drawn on are the oldest ones holding points, all drained but the last
    holding = sorted((lot for lot in wallet.lots if lot.remaining), key=lambda lot: (lot.earned_at, lot.lot_id))
    touched = [lot.lot_id in taken for lot in holding]
    assert touched == sorted(touched, reverse=True), "no lot is touched while an older one keeps points"
    drawn = holding[: sum(touched)]
    assert all(taken[lot.lot_id] == lot.remaining for lot in drawn[:-1])


@wallet_settings
@given(wallet=wallets(), extra=st.integers(1, 10_000))
def test_redeeming_more_than_the_balance_is_refused(wallet: Wallet, extra: int) -> None:
    requested = max(wallet.balance, 0) + extra
    with pytest.raises(InsufficientPoints) as refused:
        wallet.redeem(requested)
    assert (refused.value.requested, refused.value.balance) == (requested, wallet.balance)


# --- 8. expiry ---------------------------------------------------------------------------------


@wallet_settings
@given(data=st.data(), wallet=wallets())
def test_expiry_removes_exactly_what_is_due_and_a_second_run_changes_nothing(
    data: st.DataObject, wallet: Wallet
) -> None:
    ends = [lot.expires_at for lot in wallet.lots if lot.expires_at is not None]
    moment = data.draw(
        st.one_of(moments(EPOCH - timedelta(days=700), 1500), *([st.sampled_from(ends)] if ends else [])),
        label="moment",
    )
    after, expired = wallet.expire(moment)

    due = {
        lot.lot_id: lot.remaining
        for lot in wallet.lots
        if lot.remaining and lot.expires_at is not None and lot.expires_at <= moment
    }
    assert {item.lot.lot_id: item.points for item in expired} == due
    assert {lot.lot_id: lot.remaining for lot in after.lots} == {
        lot.lot_id: lot.remaining for lot in wallet.lots if lot.lot_id not in due
    }, "the expired lots leave the wallet, the others keep their points"
    assert after.deficit == wallet.deficit
    assert after.balance == wallet.balance - sum(due.values())
    assert after.balance == sum(lot.remaining for lot in after.lots) - after.deficit
    # WHEN the job runs again at the same moment THEN nothing more expires
    again, expired_again = after.expire(moment)
    assert expired_again == []
    assert again == after


@wallet_settings
@given(data=st.data(), wallet=wallets(), most=st.integers(1, 3))
def test_expiring_a_few_lots_at_a_time_ends_where_expiring_them_all_at_once_does(
    data: st.DataObject, wallet: Wallet, most: int
) -> None:
    moment = data.draw(moments(EPOCH - timedelta(days=700), 1500), label="moment")
    whole, expired_whole = wallet.expire(moment)

    # WHEN the lots are expired ``most`` at a time, as the job writes them, until none is due
    step, expired_steps = wallet, []
    while True:
        step, expired = step.expire(moment, most)
        assert len(expired) <= most
        if not expired:
            break
        expired_steps += expired

    # THEN the same lots expired, with the same points, oldest first, and the same wallet is left
    assert [(item.lot.lot_id, item.points) for item in expired_steps] == [
        (item.lot.lot_id, item.points) for item in expired_whole
    ]
    assert step.balance == whole.balance
    assert sorted(lot.lot_id for lot in step.lots) == sorted(lot.lot_id for lot in whole.lots)


@wallet_settings
@given(data=st.data(), most=st.integers(1, 4))
def test_a_wallet_past_its_most_lots_keeps_every_point_and_shortens_no_point_s_life(
    data: st.DataObject, most: int
) -> None:
    # GIVEN lots with points, earned one after the other, more of them than the wallet may hold
    drawn = [data.draw(lots(index, EPOCH), label=f"lot {index}") for index in range(data.draw(st.integers(0, 9)))]
    earned = sorted((lot.model_copy(update={"remaining": lot.points}) for lot in drawn), key=age)
    held = Wallet()
    with patch("loyalty.wallet.MOST_LOTS", most):
        for lot in earned:
            held = held.earn(lot)

    # THEN it holds at most that many, each the merge of lots earned one after the other
    kept = held.oldest_first()
    assert len(kept) == min(most, len(earned))
    assert held.balance == sum(lot.points for lot in earned)
    starts = [age(lot) for lot in kept]
    for index, lot in enumerate(kept):
        end = starts[index + 1] if index + 1 < len(starts) else None
        parts = [part for part in earned if age(part) >= starts[index] and (end is None or age(part) < end)]
        ends = [part.expires_at for part in parts]
        assert (lot.lot_id, lot.earned_at) == (parts[0].lot_id, parts[0].earned_at)
        assert lot.remaining == lot.points == sum(part.points for part in parts)
        # the merged lot ends when the last of its parts does: no point expires before it was to
        assert lot.expires_at == (None if None in ends else max(end for end in ends if end is not None))


def age(lot: Lot) -> tuple[datetime, str]:
    return lot.earned_at, lot.lot_id


# --- 9. tier review ----------------------------------------------------------------------------


@wallet_settings
@given(data=st.data(), tiers=plain_tiers(), moment=moments())
def test_a_review_grants_the_highest_level_reached_and_is_due_the_day_it_would_drop(
    data: st.DataObject, tiers: Tiers, moment: datetime
) -> None:
    today = moment.date()
    history = data.draw(buckets(today), label="history")
    names = [level.name for level in tiers.levels]
    result = review(tiers, data.draw(st.sampled_from([None, STALE_TIER, *names]), label="tier"), history, moment)

    volume = volume_by_hand(tiers, history, moment)
    assert result.volume == volume
    reached = [level for level in tiers.levels if level.threshold <= volume]
    assert result.after == max(reached, key=lambda level: level.threshold).name

    level = tiers.level(result.after)
    assert level is not None
    if tiers.rank(level) == 0:
        assert result.next_review_on is None
        return
    # THEN the level holds every day up to the review day, and no longer on it
    due = result.next_review_on
    assert due is not None
    assert due > today
    some_day = data.draw(st.integers(0, (due - today).days - 1).map(lambda days: today + timedelta(days=days)))
    for day in (some_day, due - timedelta(days=1)):
        assert volume_by_hand(tiers, history, start_of(day)) >= level.threshold
        assert rank_of(tiers, review(tiers, level.name, history, start_of(day)).after) >= tiers.rank(level)
    assert volume_by_hand(tiers, history, start_of(due)) < level.threshold
    assert review(tiers, level.name, history, start_of(due)).after != level.name
