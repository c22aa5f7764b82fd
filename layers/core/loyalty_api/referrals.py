"""The body of POST /customers/{customer_id}/referral-code."""

from __future__ import annotations

from loyalty_api.body import Body


class ReferralCodeBody(Body):
    code: str
    referrals: int
