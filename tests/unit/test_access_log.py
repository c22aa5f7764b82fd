"""The API Gateway access log format of template.yaml: valid JSON, and nothing personal in it."""

from __future__ import annotations

import json
import re

from sam_emulator.template import Stack

# The request path carries customer ids (people's names) and the query the
# unsubscribe token; the source IP and the API key identify people or grant access.
PERSONAL = ("$context.path", "$context.identity.sourceIp", "$context.identity.apiKey", "$input.params")


def access_log_format() -> str:
    setting = Stack.load().resources["LoyaltyApi"]["Properties"]["AccessLogSetting"]
    return str(setting["Format"])


def test_access_log_format_is_one_json_object_per_request() -> None:
    # GIVEN the format with every $context variable replaced by a sample value
    line = re.sub(r"\$context\.[A-Za-z.]+", "x", access_log_format())
    # WHEN it is read as JSON
    entry = json.loads(line)
    # THEN it is one object naming the request and its route template
    assert {"requestId", "resourcePath", "status"} <= set(entry)


def test_access_log_format_carries_no_path_query_ip_or_key() -> None:
    # GIVEN the format as deployed
    fmt = access_log_format()
    # WHEN / THEN no variable that holds personal data or a secret appears in it
    assert [variable for variable in PERSONAL if variable in fmt] == []
