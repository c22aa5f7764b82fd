"""API keys, stored as their SHA-256 only: a leaked table grants nothing, and no key is ever logged."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from loyalty_aws.adapter import DynamoAdapter
from loyalty_aws.codec import from_item, key, to_item
from loyalty_aws.due import timestamp
from loyalty_aws.settings import Settings
from loyalty_service.access import ROLES
from loyalty_service.ports import KeyHolder, Role

__all__ = ["ROLES", "ApiKeyStore", "KeyHolder", "Role", "key_hash", "key_id", "usage_identifier"]


def key_hash(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def usage_identifier(api_key: str) -> str:
    """The value API Gateway meters a key by: the API Gateway API key of that value in a usage plan.

    With ``ApiKeySourceType: AUTHORIZER`` the authorizer answers ``usageIdentifierKey`` and API Gateway
    looks it up as the *value* (not the id) of an API key associated with a usage plan of the stage;
    none found is a 403 (``INVALID_API_KEY``). Values must be 20 to 128 characters. The key's SHA-256
    (64 hex digits, the hash the table already keeps) is used, not the key: API Gateway shows key
    values to anyone who may read them, and a hash sent as ``x-api-key`` grants nothing.
    """
    return key_hash(api_key)


def key_id(api_key: str) -> str:
    """A short, non-reversible handle of a key, safe to log: the first 8 hex digits of its SHA-256."""
    return key_hash(api_key)[:8]


class ApiKeyStore(DynamoAdapter):
    def __init__(self, client: Any | None = None, config: Settings | None = None, *, table: str | None = None) -> None:
        super().__init__(client, config)
        self._table = table

    @property
    def table(self) -> str:
        return self._table or self.config.api_keys_table

    def put(self, api_key: str, role: Role, label: str, *, at: datetime) -> None:
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        self.client.put_item(
            TableName=self.table,
            Item=to_item({"key_hash": key_hash(api_key), "role": role, "label": label, "created_at": timestamp(at)}),
        )

    def holder_of(self, api_key: str) -> KeyHolder | None:
        """The key's role and label, or ``None`` for a key never stored (or with a role no longer known)."""
        response = self.client.get_item(TableName=self.table, Key=key(key_hash=key_hash(api_key)))
        item = response.get("Item")
        if not item:
            return None
        values = from_item(item)
        role = values.get("role")
        if role not in ROLES:
            return None
        return KeyHolder(role=role, label=str(values.get("label") or role))

    def role_of(self, api_key: str) -> Role | None:
        holder = self.holder_of(api_key)
        return holder.role if holder else None
