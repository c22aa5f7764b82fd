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
