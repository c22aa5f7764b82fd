"""Signed unsubscribe tokens and the List-Unsubscribe headers."""

from __future__ import annotations

import base64
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty_aws.mailer import list_unsubscribe_headers
from loyalty_digest.unsubscribe import InvalidToken, read, sign, verify
from tests.unit.builders import at

SECRET = b"k" * 32
ISSUED = at("2026-11-21T06:00:00Z")


def token_for(customer_id: str = "ACME") -> str:
    return sign(customer_id, SECRET, issued_at=ISSUED)


def raw(token: str) -> bytearray:
    return bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))


def text(data: bytes | bytearray) -> str:
    return base64.urlsafe_b64encode(bytes(data)).decode().rstrip("=")


# ---------------------------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("customer_id", ["ACME", "Müller & Söhne GmbH", "x" * 200, "客户-42", "a/b?c=d#e"])
def test_a_signed_token_verifies_to_its_customer(customer_id: str) -> None:
    # GIVEN a token signed for an account
    token = token_for(customer_id)

    # WHEN it is verified with the same secret
    # THEN it names the account
    assert verify(token, SECRET) == customer_id


def test_a_token_carries_when_it_was_issued_for_the_audit_trail() -> None:
    # GIVEN a token issued at T (with microseconds, which are not kept)
    token = sign("ACME", SECRET, issued_at=ISSUED.replace(microsecond=123456))

    # WHEN it is read
    content = read(token, SECRET)

    # THEN it tells when, to the second, and its version
    assert (content.customer_id, content.issued_at, content.version) == ("ACME", ISSUED, 1)


def test_a_token_is_compact_url_safe_and_starts_with_its_version() -> None:
    # GIVEN a token for a short id
    token = token_for()

    # WHEN it is looked at
    # THEN it is base64url without padding, short, and its first byte is version 1
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert len(token) <= 40
    assert raw(token)[0] == 1


def test_tokens_do_not_expire() -> None:
    # GIVEN a token issued years ago
    old = sign("ACME", SECRET, issued_at=at("2019-01-01T00:00:00Z"))

    # WHEN it is verified today
    # THEN it still works: an unsubscribe link in an old email must keep working
    assert verify(old, SECRET) == "ACME"


def test_signing_is_deterministic() -> None:
    # GIVEN the same account, secret and time
    # WHEN two tokens are signed
    # THEN they are the same text
    assert token_for() == token_for()


# ---------------------------------------------------------------------------------------------- refusals


def test_a_tampered_payload_is_refused() -> None:
    # GIVEN a token whose customer id was changed from ACME to ACMF, signature kept
    data = raw(token_for())
    data[9 + 3] ^= 0x07
    tampered = text(data)

    # WHEN it is verified
    # THEN it is refused
    with pytest.raises(InvalidToken):
        verify(tampered, SECRET)


def test_a_tampered_issue_time_is_refused() -> None:
    # GIVEN a token whose issued_at was moved
    data = raw(token_for())
    data[8] ^= 0x01

    # WHEN it is verified
    # THEN it is refused
    with pytest.raises(InvalidToken):
        verify(text(data), SECRET)


def test_a_tampered_signature_is_refused() -> None:
    # GIVEN a token whose last signature byte was flipped
    data = raw(token_for())
    data[-1] ^= 0x01

    # WHEN it is verified
    # THEN it is refused
    with pytest.raises(InvalidToken):
        verify(text(data), SECRET)


def test_a_token_moved_to_another_customer_is_refused() -> None:
    # GIVEN the payload of one account joined to the signature of another
    acme, beta = raw(token_for("ACME")), raw(token_for("BETA"))
    spliced = acme[:-16] + beta[-16:]

    # WHEN it is verified
    # THEN it is refused
    with pytest.raises(InvalidToken):
        verify(text(spliced), SECRET)


@pytest.mark.parametrize("cut", [1, 2, 5, 16, 22, 30])
def test_a_truncated_token_is_refused(cut: int) -> None:
    # GIVEN a token missing its last characters
    truncated = token_for()[:-cut]

    # WHEN it is verified
    # THEN it is refused
    with pytest.raises(InvalidToken):
        verify(truncated, SECRET)


def test_a_token_signed_with_another_secret_is_refused() -> None:
    # GIVEN a token signed with another key
    token = sign("ACME", b"another-secret-of-32-bytes-long!", issued_at=ISSUED)

    # WHEN it is verified with ours
    # THEN it is refused
    with pytest.raises(InvalidToken):
        verify(token, SECRET)


@pytest.mark.parametrize(
    "garbage",
    ["", "A", "not a token", "!!!!", "AQ", "AQ==", "====", "é", "AQAAAABrATNg\n", "A" * 5000, "%41%51", "Zm9v.YmFy"],
)
def test_garbage_is_refused(garbage: str) -> None:
    # GIVEN text that is not a token
    # WHEN it is verified
    # THEN it is refused, never crashing with another error
    with pytest.raises(InvalidToken):
        verify(garbage, SECRET)


def test_a_padded_copy_of_a_valid_token_is_refused() -> None:
    # GIVEN a valid token with base64 padding added
    token = token_for()
    padded = token + "=" * (-len(token) % 4 or 4)

    # WHEN it is verified
    # THEN it is refused: a token has exactly one spelling
    with pytest.raises(InvalidToken):
        verify(padded, SECRET)


@given(data=st.data())
def test_any_single_character_change_invalidates_a_token(data: st.DataObject) -> None:
    # GIVEN a valid token and one of its characters replaced by any other character
    token = token_for(data.draw(st.text(min_size=1, max_size=30), label="customer_id"))
    position = data.draw(st.integers(min_value=0, max_value=len(token) - 1), label="position")
    replacement = data.draw(st.characters().filter(lambda char: char != token[position]), label="replacement")
    changed = token[:position] + replacement + token[position + 1 :]

    # WHEN it is verified
    # THEN it is refused
    with pytest.raises(InvalidToken):
        verify(changed, SECRET)


@given(customer_id=st.text(min_size=1, max_size=200))
def test_any_customer_id_survives_the_round_trip(customer_id: str) -> None:
    # GIVEN any id of 1-200 characters
    # WHEN it is signed and verified
    # THEN it comes back unchanged
    assert verify(sign(customer_id, SECRET, issued_at=ISSUED), SECRET) == customer_id


def test_signing_refuses_a_time_without_offset_and_a_short_secret() -> None:
    # GIVEN a naive time, then a secret too short to be a key
    # WHEN a token is signed
    # THEN the mistake is named
    with pytest.raises(ValueError, match="aware"):
        sign("ACME", SECRET, issued_at=ISSUED.replace(tzinfo=None))
    with pytest.raises(ValueError, match="16 bytes"):
        sign("ACME", b"short", issued_at=ISSUED)


# ---------------------------------------------------------------------------------------------- headers


def test_the_headers_offer_one_click_unsubscribe() -> None:
    # GIVEN the HTTPS unsubscribe link of a digest
    url = "https://api.example.com/unsubscribe?token=AQAAAABr"

    # WHEN the headers are made
    headers = list_unsubscribe_headers(url, None)

    # THEN List-Unsubscribe names the link and List-Unsubscribe-Post asks for RFC 8058 one-click
    assert headers == {
        "List-Unsubscribe": "<https://api.example.com/unsubscribe?token=AQAAAABr>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


@pytest.mark.parametrize("mailto", ["unsubscribe@example.com", "mailto:unsubscribe@example.com"])
def test_a_mailto_address_is_offered_after_the_link(mailto: str) -> None:
    # GIVEN a link and an address (with or without its scheme)
    # WHEN the headers are made
    headers = list_unsubscribe_headers("https://api.example.com/unsubscribe?token=x", mailto)

    # THEN both are listed, the link first
    assert headers["List-Unsubscribe"] == (
        "<https://api.example.com/unsubscribe?token=x>, <mailto:unsubscribe@example.com>"
    )


@pytest.mark.parametrize(
    ("url", "mailto"),
    [
        ("ftp://example.com/unsubscribe", None),
        ("https://example.com/u?t=x>\r\nBcc: victim@example.com", None),
        ("https://example.com/u?t=a,b", None),
        ("https://example.com/u", "a@example.com>, <https://evil.example"),
        ("https://example.com/u", "javascript:alert(1)"),
    ],
)
def test_a_value_that_could_break_the_header_is_refused(url: str, mailto: str | None) -> None:
    # GIVEN a link or address that is not a plain http(s)/mailto URI
    # WHEN the headers are made
    # THEN they are refused rather than written
    with pytest.raises(ValueError, match="List-Unsubscribe"):
        list_unsubscribe_headers(url, mailto)
