"""API keys of API Gateway usage plans: how a key issued here gets its rate limit and daily quota.

The API's key source is ``AUTHORIZER``: API Gateway meters a request by the ``usageIdentifierKey`` the
authorizer answers, looked up as the *value* of an API Gateway API key associated with a usage plan of
the stage. Registering a key therefore creates an API Gateway API key whose value is the key's usage
identifier (``loyalty_aws.keys.usage_identifier``, its SHA-256: never the key itself) and links it to
the plan with a usage plan key. Only the operator's tools call this; no function needs API Gateway rights.
"""

from __future__ import annotations

from typing import Any

from loyalty_aws.keys import key_id, usage_identifier


class UsagePlans:
    def __init__(self, client: Any | None = None) -> None:
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3  # AWS_ENDPOINT_URL (the local stack) is honoured by boto3 itself

            self._client = boto3.client("apigateway")
        return self._client

    def register(self, api_key: str, label: str, usage_plan_id: str) -> str:
        """Meter ``api_key`` by the usage plan ``usage_plan_id``; the API Gateway API key's id."""
        self.client.get_usage_plan(usagePlanId=usage_plan_id)  # an unknown plan fails before a key is made
        created = self.client.create_api_key(
            name=f"{label} {key_id(api_key)}",
            description=f"usage identifier of the loyalty API key {key_id(api_key)}... ({label})",
            enabled=True,
            value=usage_identifier(api_key),
        )
        self.client.create_usage_plan_key(usagePlanId=usage_plan_id, keyId=created["id"], keyType="API_KEY")
        return str(created["id"])

    def plan_of(self, api_key: str) -> str | None:
        """The id of the usage plan that meters ``api_key``, or ``None`` when none does."""
        value = usage_identifier(api_key)
        keys = self.client.get_api_keys(includeValues=True).get("items", [])
        for item in keys:
            if item.get("value") == value:
                plans = self.client.get_usage_plans(keyId=item["id"]).get("items", [])
                return str(plans[0]["id"]) if plans else None
        return None
