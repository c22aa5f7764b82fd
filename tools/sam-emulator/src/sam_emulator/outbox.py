"""The emails the functions sent through SES (v1 or v2), read from the embedded SES in this process.

moto keeps every accepted message. Raw messages (MIME) are parsed into their text and HTML parts and
headers (List-Unsubscribe, ...). For "simple" messages moto keeps one body: the HTML part when the
sender gave both, else the text part; it is reported under ``html`` or ``text`` accordingly.
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

from moto.ses.models import Message, RawMessage, ses_backends

from sam_emulator.template import ACCOUNT_ID


def sent_emails(region: str) -> list[dict[str, Any]]:
    """Every email SES accepted so far, oldest first: ``{"to", "subject", "text", "html", ...}``."""
    backend = ses_backends[ACCOUNT_ID][region]
    emails = []
    for message in list(backend.sent_messages):
        if isinstance(message, RawMessage):
            emails.append(_raw(message))
        elif isinstance(message, Message):
            emails.append(_simple(message))
        else:  # templated sends: moto keeps the template's name and data, not a rendering
            emails.append(
                {
                    "id": getattr(message, "id", None),
                    "from": message.source,
                    "to": _addresses(message.destinations),
                    "subject": None,
                    "text": None,
                    "html": None,
                    "headers": {},
                    "template": message.template,
                    "template_data": message.template_data,
                }
            )
    return emails


def _addresses(destinations: Any) -> list[str]:
    if isinstance(destinations, dict):
        return [
            address for name in ("ToAddresses", "CcAddresses", "BccAddresses") for address in destinations.get(name, [])
        ]
    if isinstance(destinations, list):
        found: list[str] = []
        for item in destinations:
            found += _addresses(item.get("Destination", {})) if isinstance(item, dict) else [str(item)]
        return found
    return []


def _simple(message: Message) -> dict[str, Any]:
    looks_html = "<" in message.body and ">" in message.body and "</" in message.body
    return {
        "id": message.id,
        "from": message.source,
        "to": _addresses(message.destinations),
        "subject": message.subject,
        "text": None if looks_html else message.body,
        "html": message.body if looks_html else None,
        "headers": {},
    }


def _raw(message: RawMessage) -> dict[str, Any]:
    parsed = email.message_from_string(message.raw_data, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    recipients = [address for _, address in getaddresses([parsed.get("To", ""), parsed.get("Cc", "")]) if address]
    for destination in message.destinations:
        address = getaddresses([destination])[0][1]
        if address and address not in recipients:
            recipients.append(address)
    text = parsed.get_body(preferencelist=("plain",))
    html = parsed.get_body(preferencelist=("html",))
    return {
        "id": message.id,
        "from": message.source or parsed.get("From"),
        "to": recipients,
        "subject": parsed.get("Subject"),
        "text": text.get_content() if text is not None else None,
        "html": html.get_content() if html is not None else None,
        "headers": {name: str(value).strip() for name, value in parsed.items() if name.lower() != "content-type"},
    }
