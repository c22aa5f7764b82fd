"""Signed unsubscribe tokens: what the digest's unsubscribe link carries.

A token is ``base64url(payload || mac)`` without padding, where
``payload = version (1 byte) || issued_at (8 bytes, Unix seconds, big-endian) || customer_id (UTF-8)``
and ``mac`` is the first 16 bytes of HMAC-SHA256(secret, ``b"loyalty-unsubscribe\\x00" || payload)``.
The label keeps a MAC made for another purpose with the same secret from passing as a token.

Tokens do not expire: an unsubscribe link in a two-year-old email must still work. ``issued_at``
is carried for the audit trail. A token is bound to its exact text: decoding is strict (no padding,
no stray characters, canonical base64), so changing any character invalidates it.

Standard library only: the unsubscribe endpoint imports this module without Jinja2 or Babel.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

VERSION = 1
_LABEL = b"loyalty-unsubscribe\x00"
_MAC_BYTES = 16
_TIME_BYTES = 8
_HEADER_BYTES = 1 + _TIME_BYTES
MAX_CUSTOMER_ID_BYTES = 800
"""200 characters (the API's limit) of up to 4 UTF-8 bytes each."""


class InvalidToken(Exception):
    """The token was not made by us with this secret: tampered, truncated, malformed or signed with another key."""


@dataclass(frozen=True)
class UnsubscribeToken:
    customer_id: str
    issued_at: datetime
    version: int = VERSION


def sign(customer_id: str, secret: bytes, *, issued_at: datetime) -> str:
    """A URL-safe token naming ``customer_id``, for an unsubscribe link."""
    _check_secret(secret)
    if issued_at.tzinfo is None:
        raise ValueError("issued_at must carry its offset (an aware datetime)")
    encoded = customer_id.encode("utf-8")
    if not encoded or len(encoded) > MAX_CUSTOMER_ID_BYTES:
        raise ValueError("customer_id must be 1-200 characters")
    seconds = int(issued_at.timestamp())
    if seconds < 0:
        raise ValueError("issued_at must be after 1970")
    payload = bytes([VERSION]) + seconds.to_bytes(_TIME_BYTES, "big") + encoded
    return _encode(payload + _mac(secret, payload))


def verify(token: str, secret: bytes) -> str:
    """The customer_id a token was signed for; ``InvalidToken`` for anything we did not sign with ``secret``."""
    return read(token, secret).customer_id


def read(token: str, secret: bytes) -> UnsubscribeToken:
    """The whole verified token, ``issued_at`` included (for the audit log)."""
    _check_secret(secret)
    raw = _decode(token)
    if len(raw) < _HEADER_BYTES + 1 + _MAC_BYTES:
        raise InvalidToken("token too short")
    payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
    if not hmac.compare_digest(mac, _mac(secret, payload)):
        raise InvalidToken("signature does not match")
    if payload[0] != VERSION:
        raise InvalidToken(f"unknown token version {payload[0]}")
    seconds = int.from_bytes(payload[1:_HEADER_BYTES], "big")
    try:
        customer_id = payload[_HEADER_BYTES:].decode("utf-8")
        issued_at = datetime.fromtimestamp(seconds, tz=UTC)
    except (UnicodeDecodeError, ValueError, OverflowError, OSError) as error:
        raise InvalidToken("malformed payload") from error
    return UnsubscribeToken(customer_id=customer_id, issued_at=issued_at, version=payload[0])


def _mac(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, _LABEL + payload, hashlib.sha256).digest()[:_MAC_BYTES]


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode(token: object) -> bytes:
    if not isinstance(token, str) or not token.isascii() or len(token) > 2 * (MAX_CUSTOMER_ID_BYTES + 64):
        raise InvalidToken("not a token")
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as error:
        raise InvalidToken("not base64url") from error
    if _encode(raw) != token:
        # Padding in the token, or unused low bits set in its last character: the same bytes, other text.
        raise InvalidToken("not in canonical form")
    return raw


def _check_secret(secret: bytes) -> None:
    if not isinstance(secret, bytes | bytearray) or len(secret) < 16:
        raise ValueError("the signing secret must be at least 16 bytes")
