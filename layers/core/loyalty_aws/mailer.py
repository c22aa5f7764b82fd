"""Sending digests through SES v2: a MIME message with a text and an HTML part and one-click unsubscribe."""

from __future__ import annotations

import time
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

from loyalty_aws import clients
from loyalty_digest.render import RenderedEmail
from loyalty_digest.unsubscribe import list_unsubscribe_headers


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

    def send(self, to: str, email: RenderedEmail, *, sender: str | None, unsubscribe_url: str) -> None:
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
