"""Unsubscribe links: tokens signed with the key kept in Secrets Manager, read once per execution environment."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from urllib.parse import urlencode

from aws_lambda_powertools.utilities import parameters
from botocore.exceptions import ClientError

from loyalty_aws import clients
from loyalty_aws.settings import settings
from loyalty_digest.unsubscribe import sign, verify


@cache
def signing_key() -> bytes:
    arn = settings().unsubscribe_secret_arn
    if not arn:
        raise RuntimeError("UNSUBSCRIBE_SECRET_ARN is not set")
    secret = parameters.get_secret(arn, max_age=3600)
    return (secret if isinstance(secret, str) else secret.decode()).encode()


class SignedLinks:
    def __init__(self, base_url: str | None = None) -> None:
        self._base_url = base_url

    def url(self, customer_id: str, at: datetime) -> str:
        base = (self._base_url if self._base_url is not None else settings().public_base_url).rstrip("/")
        token = sign(customer_id, signing_key(), issued_at=at)
        return f"{base}/unsubscribe?{urlencode({'token': token})}"


def customer_of(token: str) -> str:
    """The account a token was issued for; raises the digest package's ``InvalidToken`` when forged."""
    return verify(token, signing_key())


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
