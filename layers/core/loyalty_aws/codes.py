"""Code items (docs/data-model.md): discount codes and referral codes in one table, keyed by the code."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from loyalty.codes import Code, DiscountCode, ReferralCode
from loyalty_aws.codec import from_item, to_item
from loyalty_aws.daily import DAY_SHARD, day_shard
from loyalty_aws.due import moment_key, shard, timestamp

REFERRAL = "referral"


def code_from_item(item: Mapping[str, Any]) -> Code:
    values = from_item(item)
    if values["kind"] == REFERRAL:
        return ReferralCode(
            code=values["code"], customer_id=values["customer_id"], referrals=values.get("referrals", 0)
        )
    return DiscountCode.model_validate(
        {name: values.get(name) for name in DiscountCode.model_fields if values.get(name) is not None}
    )


def discount_code_item(code: DiscountCode, shards: int) -> dict[str, Any]:
    values: dict[str, Any] = {
        **code.model_dump(mode="json"),
        "issued_at": timestamp(code.issued_at),
        "expires_at": timestamp(code.expires_at),
        "percent": code.percent,
    }
    if code.status == "active":
        values |= {
            "owner_id": code.customer_id,
            "expiry_shard": shard(code.code, shards),
            "expiry_key": moment_key(code.expires_at, code.code),
        }
    return to_item(values)


def referral_code_item(code: ReferralCode, issued_at: datetime, shards: int) -> dict[str, Any]:
    """A referral code; ``day_shard`` (the day it was created) counts it in the KPIs' referrals issued."""
    return to_item(
        {
            "code": code.code,
            "kind": REFERRAL,
            "customer_id": code.customer_id,
            "owner_id": code.customer_id,
            "referrals": code.referrals,
            "issued_at": timestamp(issued_at),
            DAY_SHARD: day_shard(issued_at, code.code, shards),
        }
    )
