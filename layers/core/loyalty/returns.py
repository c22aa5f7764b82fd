"""Returns: some lines of a committed order given back, its points reversed in proportion (SPEC section 10).

With f = the amount returned so far / the order's subtotal, every earned breakdown line and the
redeemed points are brought down to floor(original x (1 - f)): each return reverses the difference
from what the previous ones left, so a full return reverses exactly everything and ends where a
cancel would. The eligible amount (tier volume, lifetime spend) shrinks by the same fraction,
kept to 4 decimals; items by the quantities returned. Each step is written as the cancel of an order
that earned, redeemed and weighed only what the step takes off: ``cancel_order`` does the wallet,
the volume and (on a full return) the milestones, the anniversary and the issued code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from loyalty.account import Account
from loyalty.canonical import digest
from loyalty.codes import DiscountCode
from loyalty.commit import Cancellation, OrderRecord, cancel_order
from loyalty.decision import BreakdownLine
from loyalty.errors import Conflict
from loyalty.ledger import LedgerEntry
from loyalty.money import EXACT, floor_points
from loyalty.order import MAX_LINES, Order
from loyalty.partners import PartnerUpdate, returned_points, reverse
from loyalty.returned import ReturnRecord
from loyalty.types import Identifier

ELIGIBLE_DECIMALS = 4
"""The remaining eligible amount is kept to the precision of a unit price."""
ELIGIBLE_SCALE = 10**ELIGIBLE_DECIMALS


class ReturnConflict(Conflict):
    """The same ``return_id`` sent again with other lines."""

    code = "return_conflict"


class ReturnExceedsOrder(Conflict):
    """More of a sku returned than the order holds after its earlier returns (or the order is cancelled)."""

    code = "return_exceeds_order"


class ReturnLine(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sku: Identifier
    quantity: Annotated[int, Field(strict=True, ge=1, le=1_000_000_000)]


class ReturnRequest(BaseModel):
    """``POST /orders/{order_id}/returns``: the lines given back."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    return_id: Identifier
    lines: Annotated[list[ReturnLine], Field(min_length=1, max_length=MAX_LINES)]

    def quantities(self) -> dict[str, int]:
        """Per sku, the quantity returned (a sku listed twice counts both)."""
        merged: dict[str, int] = {}
        for line in self.lines:
            merged[line.sku] = merged.get(line.sku, 0) + line.quantity
        return merged

    def fingerprint(self, order_id: str) -> str:
        return digest({"order_id": order_id, "return_id": self.return_id, "quantities": self.quantities()})


@dataclass(frozen=True)
class Returned:
    record: OrderRecord
    """The order's record with the return appended (``cancelled`` when everything is returned)."""
    account: Account
    ledger: tuple[LedgerEntry, ...]
    revoked_code: str | None
    result: ReturnRecord
    partner: PartnerUpdate | None = None
    """The partner that brought the order, its credit taken back in proportion."""

    @property
    def full(self) -> bool:
        return self.record.status == "cancelled"


def replayed_return(record: OrderRecord, request: ReturnRequest) -> ReturnRecord | None:
    """The stored return for a request sent again (``None`` for a new one); ``ReturnConflict`` for other lines."""
    stored = next((done for done in record.returns if done.return_id == request.return_id), None)
    if stored is not None and stored.fingerprint != request.fingerprint(record.order_id):
        raise ReturnConflict(f"return {request.return_id!r} of order {record.order_id!r} was made with other lines")
    return stored


def return_lines(
    account: Account,
    record: OrderRecord,
    request: ReturnRequest,
    issued_code: DiscountCode | None,
    partner: Account | None = None,
) -> Returned:
    """The account and the record after returning ``request``'s lines; ``ReturnExceedsOrder`` for too many.

    ``partner``: the account of ``record.partner`` when the order had one.
    """
    order = _returnable(record)
    before = returned_quantities(record)
    wanted = request.quantities()
    ordered = _ordered(order)
    after = dict(before)
    for sku, quantity in wanted.items():
        after[sku] = after.get(sku, 0) + quantity
        if after[sku] > ordered.get(sku, 0):
            left = ordered.get(sku, 0) - before.get(sku, 0)
            raise ReturnExceedsOrder(
                f"{quantity} of {sku!r} returned, order {record.order_id!r} has {max(left, 0)} left to return"
            )
    full = after == ordered
    kept_before = remaining_view(record)
    share = _kept_share(order, after, full)
    lines = _step_lines(record, kept_before, share)
    restored_to = _restore(record, kept_before.redeemed_from, floor_points(record.decision.points_redeemed * share))
    eligible = Decimal(0) if full else _kept_amount(record.eligible_amount, share)
    step = kept_before.model_copy(
        update={
            "decision": kept_before.decision.model_copy(
                update={
                    "breakdown": lines,
                    "points": sum(line.points for line in lines),
                    "points_redeemed": sum(restored_to.values()),
                }
            ),
            "redeemed_from": restored_to,
            "items": sum(wanted.values()),
            "eligible_amount": EXACT.subtract(kept_before.eligible_amount, eligible),
            "milestones": kept_before.milestones if full else (),
            "anniversary": kept_before.anniversary if full else None,
            "partner": None,
        }
    )
    cancellation = cancel_order(account, step, issued_code if full else None, order_ends=full)
    partner_update = _return_partner(record, kept_before, step, partner, share, full, request.return_id)
    result = ReturnRecord(
        return_id=request.return_id,
        fingerprint=request.fingerprint(record.order_id),
        quantities=wanted,
        amount=EXACT.subtract(_amount(order, after), _amount(order, before)),
        items=step.items,
        eligible_amount=step.eligible_amount,
        reversed_lines={line.rule: line.points for line in lines},
        restored_to=restored_to,
        points_reversed=step.decision.points,
        points_restored=step.decision.points_redeemed,
        partner_points=partner_update.share.points if partner_update else 0,
        balance=cancellation.account.balance,
    )
    updated = record.model_copy(update={"returns": (*record.returns, result)})
    if full:
        updated = updated.model_copy(
            update={
                "status": "cancelled",
                "points_reversed": record.decision.points,
                "balance_after_cancel": result.balance,
            }
        )
    ledger = tuple(entry.model_copy(update={"ref": request.return_id}) for entry in cancellation.ledger)
    return Returned(
        record=updated,
        account=cancellation.account,
        ledger=ledger,
        revoked_code=cancellation.revoked_code,
        result=result,
        partner=partner_update,
    )


def _return_partner(
    record: OrderRecord,
    kept_before: OrderRecord,
    step: OrderRecord,
    partner: Account | None,
    share: Fraction,
    full: bool,
    return_id: str,
) -> PartnerUpdate | None:
    """The partner's credit brought down to floor(original x share), its volume and totals by the step's."""
    original, standing = record.partner, kept_before.partner
    if original is None or standing is None:
        return None
    if partner is None or partner.customer_id != original.partner_id:
        raise ValueError(f"the partner {original.partner_id} must be given to return its credit")
    taken = standing.points if full else returned_points(original.points, standing.points, share)
    return reverse(
        partner,
        standing.model_copy(update={"points": taken}),
        order_id=record.order_id,
        placed_at=record.placed_at,
        items=step.items,
        eligible=step.eligible_amount,
        whole=full,
        ref=return_id,
    )


def cancel_remaining(
    account: Account, record: OrderRecord, issued_code: DiscountCode | None, partner: Account | None = None
) -> Cancellation:
    """Cancel an order after its returns: what they left is reversed, the record keeps them."""
    if not record.returns:
        return cancel_order(account, record, issued_code, partner)
    cancellation = cancel_order(account, remaining_view(record), issued_code, partner)
    cancelled = record.model_copy(
        update={
            "status": "cancelled",
            "points_reversed": cancellation.record.points_reversed,
            "balance_after_cancel": cancellation.record.balance_after_cancel,
        }
    )
    return Cancellation(
        record=cancelled,
        account=cancellation.account,
        ledger=cancellation.ledger,
        revoked_code=cancellation.revoked_code,
        partner=cancellation.partner,
    )


def remaining_view(record: OrderRecord) -> OrderRecord:
    """The order as its returns left it: the points, redemption, items and eligible amount still standing.

    What a cancel reverses and what the KPIs count (revenue after returns, rules net of returns).
    """
    if not record.returns:
        return record
    reversed_by_rule: dict[str, int] = {}
    restored: dict[str, int] = {}
    eligible = record.eligible_amount
    items = record.items
    partner_taken = 0
    for done in record.returns:
        partner_taken += done.partner_points
        for rule, points in done.reversed_lines.items():
            reversed_by_rule[rule] = reversed_by_rule.get(rule, 0) + points
        for lot_id, points in done.restored_to.items():
            restored[lot_id] = restored.get(lot_id, 0) + points
        eligible = EXACT.subtract(eligible, done.eligible_amount)
        items -= done.items
    lines = tuple(
        BreakdownLine(rule=line.rule, points=line.points - reversed_by_rule.get(line.rule, 0))
        for line in record.decision.breakdown
    )
    redeemed_from = {
        lot_id: points - restored.get(lot_id, 0)
        for lot_id, points in record.redeemed_from.items()
        if points - restored.get(lot_id, 0)
    }
    decision = record.decision.model_copy(
        update={
            "breakdown": lines,
            "points": sum(line.points for line in lines),
            "points_redeemed": sum(redeemed_from.values()),
        }
    )
    return record.model_copy(
        update={
            "decision": decision,
            "redeemed_from": redeemed_from,
            "eligible_amount": eligible,
            "items": items,
            "returns": (),
            "partner": record.partner.model_copy(update={"points": record.partner.points - partner_taken})
            if record.partner
            else None,
        }
    )


def remaining_order(record: OrderRecord) -> Order | None:
    """The order as its returns left it (what a backtest replays): its lines less what came back, first lines first.

    ``None`` when the record kept no lines or everything was returned.
    """
    order = record.order
    if order is None or not record.returns:
        return order
    left = returned_quantities(record)
    lines = []
    for line in order.lines:
        taken = min(left.get(line.sku, 0), line.quantity)
        left[line.sku] = left.get(line.sku, 0) - taken
        if line.quantity > taken:
            lines.append(line.model_copy(update={"quantity": line.quantity - taken}))
    return order.model_copy(update={"lines": lines}) if lines else None


def returned_quantities(record: OrderRecord) -> dict[str, int]:
    """Per sku, the quantity returned so far."""
    total: dict[str, int] = {}
    for done in record.returns:
        for sku, quantity in done.quantities.items():
            total[sku] = total.get(sku, 0) + quantity
    return total


def _returnable(record: OrderRecord) -> Order:
    if record.status != "committed":
        raise ReturnExceedsOrder(f"order {record.order_id!r} is cancelled: nothing is left to return")
    if record.order is None:
        raise ReturnExceedsOrder(f"order {record.order_id!r} was committed before its lines were kept")
    return record.order


def _ordered(order: Order) -> dict[str, int]:
    ordered: dict[str, int] = {}
    for line in order.lines:
        ordered[line.sku] = ordered.get(line.sku, 0) + line.quantity
    return ordered


def _amount(order: Order, returned: Mapping[str, int]) -> Decimal:
    """The value of ``returned`` (per sku): a sku on several lines is returned from its first lines first."""
    left = dict(returned)
    total = Decimal(0)
    for line in order.lines:
        taken = min(left.get(line.sku, 0), line.quantity)
        if taken:
            left[line.sku] -= taken
            total = EXACT.add(total, EXACT.multiply(taken, line.unit_price))
    return total


def _kept_share(order: Order, returned: Mapping[str, int], full: bool) -> Fraction:
    """1 - f: what stays of the order. An order worth nothing keeps all until all of it is returned."""
    if full:
        return Fraction(0)
    subtotal = order.subtotal
    if subtotal == 0:
        return Fraction(1)
    return (Fraction(subtotal) - Fraction(_amount(order, returned))) / Fraction(subtotal)


def _kept_amount(amount: Decimal, share: Fraction) -> Decimal:
    """``amount x share`` rounded half-even to 4 decimals, exactly (no decimal context involved)."""
    return Decimal(round(Fraction(amount) * share * ELIGIBLE_SCALE)).scaleb(-ELIGIBLE_DECIMALS)


def _step_lines(record: OrderRecord, kept_before: OrderRecord, share: Fraction) -> tuple[BreakdownLine, ...]:
    """Per earned line, the points this return reverses: from what was left down to floor(original x share)."""
    left = {line.rule: line.points for line in kept_before.decision.breakdown}
    lines = []
    for line in record.decision.breakdown:
        reverse = left[line.rule] - floor_points(line.points * share)
        if reverse:
            lines.append(BreakdownLine(rule=line.rule, points=reverse))
    return tuple(lines)


def _restore(record: OrderRecord, left: Mapping[str, int], keep: int) -> dict[str, int]:
    """Redeemed points given back, to the lots in the order they gave them, until ``keep`` stay redeemed."""
    give = sum(left.values()) - keep
    restored: dict[str, int] = {}
    for lot_id in record.redeemed_from:
        if give <= 0:
            break
        back = min(left.get(lot_id, 0), give)
        if back:
            restored[lot_id] = back
            give -= back
    return restored
