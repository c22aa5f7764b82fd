"""Which key may call which route: admin keys open storefront routes, never the other way round."""

from __future__ import annotations

import pytest

from loyalty_service.access import KeyCheck, may_call
from loyalty_service.ports import KeyHolder, Role
from tests.fakes import InMemoryKeyDirectory

KEYS = InMemoryKeyDirectory(
    shop=KeyHolder(role="storefront", label="shop-eu"), ops=KeyHolder(role="admin", label="ops")
)


@pytest.mark.parametrize(
    ("required", "held", "allowed"),
    [
        ("storefront", "storefront", True),
        ("storefront", "admin", True),
        ("admin", "admin", True),
        ("admin", "storefront", False),
    ],
)
def test_who_may_call_what(required: Role, held: Role, allowed: bool) -> None:
    assert may_call(required, held) is allowed


def test_a_storefront_key_on_an_admin_route_is_known_but_not_allowed() -> None:
    grant = KeyCheck(KEYS, "admin").check("shop")

    assert grant is not None
    assert grant.allowed is False
    assert grant.holder.label == "shop-eu"


@pytest.mark.parametrize("api_key", [None, "", "nobody"])
def test_no_key_or_an_unknown_key_is_no_grant(api_key: str | None) -> None:
    assert KeyCheck(KEYS, "storefront").check(api_key) is None


def test_an_unknown_required_role_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="required role"):
        KeyCheck(KEYS, "root")  # type: ignore[arg-type]
