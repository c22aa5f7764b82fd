"""Exactly-once execution of a request, with Powertools Idempotency on ``IdempotencyTable``.

A retried request (same key) within ``EXPIRES_AFTER_SECONDS`` is answered with the stored result of the
first execution; a duplicate arriving while the first still runs raises ``IdempotencyAlreadyInProgressError``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from loyalty_aws import clients
from loyalty_aws.settings import Settings, settings

EXPIRES_AFTER_SECONDS = 24 * 3600
"""How long a request is remembered: storefront retries come within minutes; a day is generous."""

IDEMPOTENCY = IdempotencyConfig(expires_after_seconds=EXPIRES_AFTER_SECONDS, raise_on_no_idempotency_key=True)
"""Shared by the functions' handlers, which register their Lambda context with it (in-progress expiry)."""


class PowertoolsOnce:
    """The ``Once`` port of the use cases: ``once(request, run)`` runs ``run`` at most once per ``request``."""

    def __init__(
        self,
        key_prefix: str,
        *,
        config: IdempotencyConfig = IDEMPOTENCY,
        client: Any | None = None,
        settings_: Settings | None = None,
    ) -> None:
        self._key_prefix = key_prefix
        self._config = config
        self._client = client
        self._settings = settings_

    @cached_property
    def persistence(self) -> DynamoDBPersistenceLayer:
        return DynamoDBPersistenceLayer(
            table_name=(self._settings or settings()).idempotency_table,
            boto3_client=self._client or clients.dynamodb(),
        )

    def __call__(self, request: Mapping[str, Any], run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        def execute(*, request: dict[str, Any]) -> dict[str, Any]:
            return run()

        guarded = idempotent_function(
            execute,
            data_keyword_argument="request",
            persistence_store=self.persistence,
            config=self._config,
            key_prefix=self._key_prefix,
        )
        result: dict[str, Any] = guarded(request=dict(request))
        return result
