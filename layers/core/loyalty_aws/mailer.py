"""Sending digests through SES v2: a MIME message with a text and an HTML part and one-click unsubscribe.

The List-Unsubscribe headers (RFC 2369, RFC 8058 one-click) are part of the message this adapter builds.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

from loyalty_aws import clients
from loyalty_service.ports import Email

ONE_CLICK = "List-Unsubscribe=One-Click"
_MAILBOX = re.compile(r"[^@:/]+@[^@:/]+\.[^@:/]+")


class SesMailer:
    """Sends at most ``rate`` emails a second from this worker; SES throttling is retried by botocore."""

    def __init__(
        self,
        default_sender: str,
        rate: float,
        client: Any | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._default_sender = default_sender
        self._interval = 1 / rate
        self._client = client
        self._monotonic = monotonic
        self._sleep = sleep
        self._last = float("-inf")

    def send(self, to: str, email: Email, *, sender: str | None, unsubscribe_url: str) -> None:
        source = sender or self._default_sender
        message = EmailMessage()
        message["From"] = formataddr((email.sender_name, source)) if getattr(email, "sender_name", None) else source
        message["To"] = to
        message["Subject"] = email.subject
        message["Message-ID"] = make_msgid(domain=source.rsplit("@", 1)[-1])
        for name, value in list_unsubscribe_headers(unsubscribe_url, None).items():
            message[name] = value
        message.set_content(email.text)
        message.add_alternative(email.html, subtype="html")
        self._pace()
        (self._client or clients.sesv2()).send_email(
            FromEmailAddress=source,
            Destination={"ToAddresses": [to]},
            Content={"Raw": {"Data": message.as_bytes()}},
        )

    def _pace(self) -> None:
        wait = self._last + self._interval - self._monotonic()
        if wait > 0:
            self._sleep(wait)
        self._last = self._monotonic()


def list_unsubscribe_headers(url: str, mailto: str | None = None) -> dict[str, str]:
    """``List-Unsubscribe`` (the HTTPS link, then the mailto if given) and RFC 8058's one-click ``-Post`` header.

    The link must accept a POST with the body ``List-Unsubscribe=One-Click`` and unsubscribe without
    any further step; mail providers send that POST, never a browser.
    """
    _check_header_uri(url, schemes=("https", "http"))
    targets = [f"<{url}>"]
    if mailto:
        address = mailto if mailto.lower().startswith("mailto:") else f"mailto:{mailto}"
        _check_header_uri(address, schemes=("mailto",))
        if not _MAILBOX.fullmatch(address.split(":", 1)[1].split("?", 1)[0]):
            raise ValueError(f"not a mailto URI for a List-Unsubscribe header: {mailto!r}")
        targets.append(f"<{address}>")
    return {"List-Unsubscribe": ", ".join(targets), "List-Unsubscribe-Post": ONE_CLICK}


def _check_header_uri(uri: str, *, schemes: tuple[str, ...]) -> None:
    scheme = uri.split(":", 1)[0].lower()
    if scheme not in schemes or any(char in uri for char in "<>, \t\r\n") or not uri.isprintable():
        raise ValueError(f"not a {'/'.join(schemes)} URI for a List-Unsubscribe header: {uri!r}")
