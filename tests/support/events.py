"""The events/ folder as the tests read it: real-shaped events, with the parts a test changes replaced."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

EVENTS = Path(__file__).resolve().parents[2] / "events"


@cache
def _stored(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))


def api_event(
    name: str,
    *,
    body: Any = ...,
    raw_body: str | None = None,
    path_parameters: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    drop_headers: tuple[str, ...] = (),
) -> dict[str, Any]:
    """``events/api/<name>.json`` with its body, path parameters, query or headers replaced."""
    event = copy.deepcopy(_stored(f"api/{name}"))
    if body is not ...:
        event["body"] = None if body is None else json.dumps(body)
    if raw_body is not None:
        event["body"] = raw_body
    if path_parameters is not None:
        # API Gateway REST APIs pass the path and its parameters percent-encoded, as the client sent them.
        encoded = {name_: quote(value, safe="") for name_, value in path_parameters.items()}
        event["pathParameters"] = encoded
        path = event["resource"]
        for name_, value in encoded.items():
            path = path.replace("{" + name_ + "}", value)
        event["path"] = path
        event["requestContext"]["path"] = f"/{event['requestContext']['stage']}{path}"
    if query is not None:
        event["queryStringParameters"] = query or None
        event["multiValueQueryStringParameters"] = {key: [value] for key, value in query.items()} or None
    merged = {key: value for key, value in {**event["headers"], **(headers or {})}.items() if key not in drop_headers}
    event["headers"] = merged
    event["multiValueHeaders"] = {key: [value] for key, value in merged.items()}
    return event


def scheduled_event(job: str, time: str) -> dict[str, Any]:
    """``events/jobs/<job>-scheduled.json`` fired at ``time`` (ISO-8601), as EventBridge would."""
    event = copy.deepcopy(_stored(f"jobs/{job}-scheduled"))
    event["time"] = time
    return event


def sqs_event(bodies: list[str], queue_arn: str = "arn:aws:sqs:eu-central-1:123456789012:work") -> dict[str, Any]:
    """An SQS event source mapping's batch carrying ``bodies``."""
    return {
        "Records": [
            {
                "messageId": f"00000000-0000-4000-8000-{number:012d}",
                "receiptHandle": f"handle-{number}",
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1795300000000",
                    "SenderId": "AIDAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": "1795300000001",
                },
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "eu-central-1",
            }
            for number, body in enumerate(bodies)
        ]
    }
