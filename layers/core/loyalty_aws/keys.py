"""API keys, stored as their SHA-256 only: a leaked table grants nothing, and no key is ever logged."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, Literal

from loyalty_aws import clients
from loyalty_aws.codec import from_item, key, to_item
from loyalty_aws.due import timestamp
from loyalty_aws.settings import Settings, settings

Role = Literal["storefront", "admin"]
ROLES: tuple[Role, ...] = ("storefront", "admin")


def key_hash(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


class ApiKeyStore:
    def __init__(self, client: Any | None = None, config: Settings | None = None) -> None:
        self._client = client
        self._config = config

    @property
    def client(self) -> Any:
        return self._client or clients.dynamodb()

    @property
    def table(self) -> str:
        return (self._config or settings()).api_keys_table

    def put(self, api_key: str, role: Role, label: str, *, at: datetime) -> None:
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        self.client.put_item(
            TableName=self.table,
            Item=to_item({"key_hash": key_hash(api_key), "role": role, "label": label, "created_at": timestamp(at)}),
        )

    def role_of(self, api_key: str) -> Role | None:
        response = self.client.get_item(TableName=self.table, Key=key(key_hash=key_hash(api_key)))
        item = response.get("Item")
        if not item:
            return None
        role = from_item(item).get("role")
        return role if role in ROLES else None
