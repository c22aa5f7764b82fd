"""Answers what it was handed: the proxy event, its context, its environment and the layers it can import."""

import importlib.util
import json
import os

import stub_settings

CALLS = 0


def lambda_handler(event, context):
    global CALLS
    CALLS += 1
    body = {
        "event": event,
        "calls": CALLS,
        "layer_greeting": stub_settings.greeting(),
        "layers": [name for name in ("stub_settings", "stub_extra") if importlib.util.find_spec(name) is not None],
        "environment": {name: os.environ.get(name) for name in ("GREETING", "SHARED", "AWS_LAMBDA_FUNCTION_NAME")},
        "context": {
            "function_name": context.function_name,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "invoked_function_arn": context.invoked_function_arn,
            "aws_request_id": context.aws_request_id,
            "remaining": context.get_remaining_time_in_millis(),
        },
    }
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json", "X-Echo": "yes"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }
