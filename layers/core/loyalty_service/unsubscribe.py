"""Unsubscribe links for the digest, and the account a link names: tokens signed with a key the caller supplies.

The token format is ``loyalty_digest.unsubscribe``'s; the key (kept in Secrets Manager) and the public base URL
come from the functions' wiring, so nothing here knows where they are stored.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlencode

from loyalty_digest.unsubscribe import sign, verify


class SignedLinks:
    """``UnsubscribeLinks``: the public unsubscribe endpoint with a token for the account, signed with ``key()``.

    Both ``key`` and ``base_url`` are called for every link, so what they read is read at first use.
    """

    def __init__(self, key: Callable[[], bytes], base_url: Callable[[], str]) -> None:
        self._key = key
        self._base_url = base_url

    def url(self, customer_id: str, at: datetime) -> str:
        base = self._base_url().rstrip("/")
        token = sign(customer_id, self._key(), issued_at=at)
        return f"{base}/unsubscribe?{urlencode({'token': token})}"


def customer_of(token: str, key: bytes) -> str:
    """The account a token was issued for; raises the digest package's ``InvalidToken`` when forged."""
    return verify(token, key)
