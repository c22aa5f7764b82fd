"""Unsubscribe: the signing key kept in Secrets Manager, read once per execution environment, and the opt-out.

Links and tokens are made and read by ``loyalty_service.unsubscribe``; this module only supplies the key.
"""

from __future__ import annotations

from functools import cache

from aws_lambda_powertools.utilities import parameters
from botocore.exceptions import ClientError

from loyalty_aws import clients
from loyalty_aws.settings import settings


@cache
def signing_key() -> bytes:
    arn = settings().unsubscribe_secret_arn
    if not arn:
        raise RuntimeError("UNSUBSCRIBE_SECRET_ARN is not set")
    secret = parameters.get_secret(arn, max_age=3600)
    return (secret if isinstance(secret, str) else secret.decode()).encode()


def opt_out(customer_id: str) -> bool:
    """Turn the account's digest off; False when there is no profile to turn it off for."""
    config = settings()
    try:
        clients.dynamodb().update_item(
            TableName=config.accounts_table,
            Key={"customer_id": {"S": customer_id}},
            UpdateExpression="SET profile.email_opt_in = :off, version = version + :one",
            ConditionExpression="attribute_exists(profile)",
            ExpressionAttributeValues={":off": {"BOOL": False}, ":one": {"N": "1"}},
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True
