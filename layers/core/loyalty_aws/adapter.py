"""What every DynamoDB adapter starts from: a client and settings, injected by tests, found lazily in Lambda."""

from __future__ import annotations

from typing import Any

from loyalty_aws import clients
from loyalty_aws.settings import Settings, settings


class DynamoAdapter:
    def __init__(self, client: Any | None = None, config: Settings | None = None) -> None:
        self._client = client
        self._config = config

    @property
    def client(self) -> Any:
        return self._client or clients.dynamodb()

    @property
    def config(self) -> Settings:
        return self._config or settings()

    def batch_get(self, request: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        """``BatchGetItem`` until nothing is left unprocessed: the items found, by table."""
        found: dict[str, list[dict[str, Any]]] = {}
        pending = request
        while pending:
            response = self.client.batch_get_item(RequestItems=pending)
            for table, items in response.get("Responses", {}).items():
                found.setdefault(table, []).extend(items)
            pending = response.get("UnprocessedKeys") or {}
        return found
