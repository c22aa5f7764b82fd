"""Domain errors. Each names what went wrong in a stable ``code`` the API puts in its envelope."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:
    from collections.abc import Iterable


class FieldError(BaseModel):
    field: str
    message: str
    type: str


class LoyaltyError(Exception):
    code: str = "loyalty_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(LoyaltyError):
    """Input that fits the schema but not the program (the API answers 422)."""

    code = "validation_error"

    def __init__(self, message: str, details: Iterable[FieldError]) -> None:
        super().__init__(message)
        self.details = list(details)

    @classmethod
    def from_validation_error(cls, error: ValidationError, *, union_tags: frozenset[str] = frozenset()) -> InvalidInput:
        return cls(f"{error.title} is not valid", field_errors(error, union_tags=union_tags))


class Conflict(LoyaltyError):
    """A request that is well-formed but cannot be carried out in the current state (409)."""

    code = "conflict"


class InsufficientPoints(Conflict):
    code = "insufficient_points"

    def __init__(self, requested: int, balance: int) -> None:
        super().__init__(f"{requested} points requested, the balance is {balance}")
        self.requested = requested
        self.balance = balance


class RedemptionExceedsAmount(Conflict):
    code = "redemption_exceeds_amount"


class CodeRejected(Conflict):
    """A commit carrying a code that a preview lists in ``rejected_codes``; ``code`` is the reason."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"code {code!r} cannot be used: {reason}")
        self.rejected_code = code
        self.reason = reason
        self.code = reason


def field_errors(error: ValidationError, *, union_tags: frozenset[str] = frozenset()) -> list[FieldError]:
    """Pydantic's errors as ``{field, message, type}``, the field a dotted path into the input.

    Pydantic puts the tag of a discriminated union into the location (``rules.1.cart_amount_bonus.points``);
    the person who wrote ``rules[1].points`` should read exactly that, so ``union_tags`` are dropped.
    """
    details = []
    for item in error.errors(include_url=False):
        context: dict[str, Any] = item.get("ctx") or {}
        location = [part for part in (*item["loc"], *context.get("at", ())) if part not in union_tags]
        details.append(
            FieldError(field=".".join(str(part) for part in location), message=item["msg"], type=item["type"])
        )
    return details


class ItemTooLarge(Conflict):
    """A change that would make a stored item pass DynamoDB's 400 KB limit: refused whole, nothing written (409).

    Sending it again gives the same answer; the account needs an operator (docs/data-model.md, the account item).
    """

    code = "item_too_large"

    def __init__(self) -> None:
        super().__init__("the change would make the account's stored item larger than DynamoDB allows; nothing written")


class NotFound(LoyaltyError):
    """An account, order or code that does not exist (the API answers 404)."""

    code = "not_found"


class OrderConflict(Conflict):
    """The same ``order_id`` sent again with a different payload."""

    code = "order_conflict"


class NotConfigured(LoyaltyError):
    """The engine cannot answer yet: no program has been activated (the API answers 503)."""

    code = "no_active_program"
