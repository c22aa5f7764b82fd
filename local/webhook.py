"""The local webhook: each event put on the bus POSTed to ``LOCAL_WEBHOOK_URL``, as the deployed API destination does.

The body is the event's ``detail`` (the rule's ``InputPath: $.detail``); the signing key goes in
``x-loyalty-signature`` (``LOCAL_WEBHOOK_SECRET``), as the EventBridge connection sends the secret.
A failing receiver is logged and does not stop the stack (EventBridge would retry, then dead-letter).
"""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Any

log = logging.getLogger("local.webhook")

HEADER = "x-loyalty-signature"


class Webhook:
    def __init__(self, url: str, secret: str, timeout: float = 5) -> None:
        self.url = url
        self.secret = secret
        self.timeout = timeout

    def __call__(self, event: dict[str, Any]) -> None:
        request = urllib.request.Request(
            self.url,
            data=json.dumps(event["detail"]).encode(),
            method="POST",
            headers={
                "content-type": "application/json",
                HEADER: self.secret,
                "x-loyalty-event-type": str(event["detail-type"]),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                log.info("webhook %s <- %s: %s", self.url, event["detail-type"], answer.status)
        except OSError as error:
            log.warning("webhook %s refused %s: %s", self.url, event["detail-type"], error)
