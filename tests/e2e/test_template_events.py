"""template.yaml's events wiring: every streamed table feeds the publisher; the webhook exists only when asked for."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import project_stack

pytestmark = pytest.mark.e2e

WEBHOOK = {
    "WebhookUrl": "https://crm.example/hooks/loyalty",
    "WebhookSecretArn": "arn:aws:secretsmanager:eu:1:secret:x",
}


def conditional(stack_overrides: dict[str, str]) -> set[str]:
    stack = project_stack(**stack_overrides)
    return {
        name for name, spec in stack.resources.items() if "Condition" in spec and stack.condition(spec["Condition"])
    }


def test_without_a_webhook_url_no_webhook_resource_is_created() -> None:
    created = conditional({})

    assert not {name for name in created if name.startswith("Webhook")}


def test_a_webhook_url_creates_the_connection_destination_and_rule_to_it() -> None:
    stack = project_stack(**WEBHOOK)

    created = conditional(WEBHOOK)
    destination = stack.resolve(stack.properties("WebhookDestination"))
    connection = stack.resolve(stack.properties("WebhookConnection"))

    assert {"WebhookConnection", "WebhookDestination", "WebhookRule", "WebhookRole"} <= created
    assert destination["InvocationEndpoint"] == WEBHOOK["WebhookUrl"]
    assert WEBHOOK["WebhookSecretArn"] in connection["AuthParameters"]["ApiKeyAuthParameters"]["ApiKeyValue"]


def test_every_table_with_a_stream_feeds_the_events_publisher_with_partial_failures() -> None:
    stack = project_stack()

    streamed = {name for name, spec in stack.tables().items() if "StreamSpecification" in spec["Properties"]}
    mappings = [mapping for mapping in stack.stream_mappings() if mapping.function == "EventsFunction"]

    assert {mapping.table for mapping in mappings} == streamed
    assert all(mapping.report_batch_item_failures for mapping in mappings)
    assert all(mapping.on_failure_queue == "EventsDeadLetterQueue" for mapping in mappings)
