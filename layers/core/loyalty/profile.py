"""An account's profile: who receives the digest, in which language. Personal data lives only here."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from loyalty.buyers import MAX_REDEEMERS, check_may_redeem
from loyalty.types import Flag, Identifier

Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[A-Za-z0-9-]{2,}$")
]
Locale = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")]


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    email: Email | None = None
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    segment: Identifier | None = None
    locale: Locale = "en"
    email_opt_in: Flag = False
    partner: Flag = False
    """A partner (distributor): orders it brings name it in ``partner_id`` and credit it."""
    redeemers: Annotated[tuple[Identifier, ...], Field(max_length=MAX_REDEEMERS)] | None = None
    """The buyers who may spend the company's points (``loyalty.buyers``); ``None``: any buyer, ``[]``: nobody."""

    def check_may_redeem(self, buyer_id: str | None) -> None:
        """``BuyerMayNotRedeem`` when the profile names its redeemers and ``buyer_id`` is not one of them."""
        check_may_redeem(self.redeemers, buyer_id)
