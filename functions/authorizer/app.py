"""API key authorizer (REQUEST): ``x-api-key`` -> its role -> an IAM policy for the whole stage, or 401.

One function, two deployments: ``REQUIRED_ROLE`` is ``storefront`` (storefront and admin keys pass) or
``admin`` (admin keys only). API Gateway caches the answer per key for ``ReauthorizeEvery`` seconds and
reuses it for every route behind the same authorizer, so an Allow names every method of the stage, not
the one being called. A key that is known but of the wrong role gets a Deny (403); no key or an unknown
key raises ``Unauthorized`` (401). The key itself is never logged, only a short prefix of its SHA-256.

An Allow carries the key's usage identifier as ``usageIdentifierKey`` (``loyalty_aws.keys.usage_identifier``):
the API's key source is ``AUTHORIZER``, so API Gateway meters the request against the usage plan whose
API key has that value (throttle and daily quota: 429), and refuses it (403) if no plan has it.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerResponse,
    parse_api_gateway_arn,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty_aws.keys import ApiKeyStore, key_id, usage_identifier
from loyalty_aws.settings import Settings
from loyalty_service.access import KeyCheck

logger = Logger()
metrics = Metrics()

HEADER = "x-api-key"


@cache
def key_check() -> KeyCheck:
    """Built at first use from this function's own environment (two functions share this code)."""
    required = Settings.from_environment().required_role
    if required is None:
        raise RuntimeError("REQUIRED_ROLE is not set: the authorizer does not know which role its routes need")
    return KeyCheck(ApiKeyStore(), required)


def api_key_of(event: Mapping[str, Any]) -> str | None:
    """The ``x-api-key`` header, whatever its case (REST API REQUEST events keep the client's spelling)."""
    headers = event.get("headers") or {}
    return next((value for name, value in headers.items() if name.lower() == HEADER and value), None)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    check = key_check()
    api_key = api_key_of(event)
    grant = check.check(api_key)
    if grant is None:
        metrics.add_metric(name="ApiKeysRejected", unit=MetricUnit.Count, value=1)
        logger.info("unauthorized", extra={"key_id": key_id(api_key) if api_key else None})
        raise Exception("Unauthorized")  # the exact message API Gateway turns into a 401
    holder = grant.holder
    arn = parse_api_gateway_arn(event["methodArn"])
    policy = APIGatewayAuthorizerResponse(
        principal_id=holder.label,
        region=arn.region,
        aws_account_id=arn.aws_account_id,
        api_id=arn.api_id,
        stage=arn.stage,
        context={"role": holder.role, "label": holder.label},
        partition=arn.partition,
        usage_identifier_key=usage_identifier(api_key) if grant.allowed and api_key else None,
    )
    if grant.allowed:
        policy.allow_all_routes()
    else:
        metrics.add_metric(name="ApiKeysDenied", unit=MetricUnit.Count, value=1)
        policy.deny_all_routes()
    logger.info(
        "api key checked",
        extra={
            "key_id": key_id(api_key or ""),
            "role": holder.role,
            "required_role": check.required,
            "allowed": grant.allowed,
        },
    )
    return policy.asdict()
