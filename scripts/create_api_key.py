"""Issue an API key: generate it, store its SHA-256 with a role and a label, print the key once.

Usage: ``loyalty create-api-key`` (``cli/loyalty_cli/tools.py``) runs this, adding the local stack's
defaults; run directly (with the dev venv, AWS credentials or an endpoint in the environment):

    .venv/bin/loyalty create-api-key --role storefront --label "shop-eu"
    python scripts/create_api_key.py --role admin --label "ops" --table loyalty-dev-ApiKeysTable-XYZ

The table comes from ``--table`` or ``API_KEYS_TABLE`` (the stack's ``ApiKeysTable``). boto3 finds the
region and credentials as usual; ``AWS_ENDPOINT_URL`` points it at the local stack's emulation instead.
The key is printed on stdout and nowhere else: it is not stored, so it cannot be shown again.

``--usage-plan ID`` (the stack's ``StorefrontUsagePlanId`` or ``AdminUsagePlanId`` output) also registers
the key with API Gateway: an API key whose value is the key's usage identifier, linked to that plan.
Every keyed route requires it (a key in no plan is refused with 403), so deployed keys need it.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from loyalty_aws.keys import ROLES, ApiKeyStore, key_id
from loyalty_aws.usage_plans import UsagePlans


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Issue an API key for the loyalty API and print it once.")
    parser.add_argument("--role", required=True, choices=ROLES, help="storefront: storefront routes; admin: all")
    parser.add_argument("--label", required=True, help="who holds the key (shown as the principal; no secrets)")
    parser.add_argument(
        "--table",
        default=os.environ.get("API_KEYS_TABLE"),
        help="the ApiKeysTable's physical name (default: $API_KEYS_TABLE)",
    )
    parser.add_argument(
        "--usage-plan",
        default=os.environ.get("USAGE_PLAN_ID"),
        help="also register the key with this API Gateway usage plan (rate and quota; default: $USAGE_PLAN_ID)",
    )
    arguments = parser.parse_args(argv)
    if not arguments.table:
        parser.error("no table: pass --table or set API_KEYS_TABLE")
    if not arguments.label.strip():
        parser.error("--label must not be empty")
    return arguments


def main(argv: Sequence[str] | None = None, *, client: Any | None = None, apigateway: Any | None = None) -> int:
    arguments = parse_arguments(argv)
    if client is None:
        import boto3  # the script's only AWS entry point; AWS_ENDPOINT_URL is honoured by boto3 itself

        client = boto3.client("dynamodb")
    api_key = secrets.token_urlsafe(32)
    # The gateway first: a key stored but in no plan would be refused on every route; a plan key
    # left behind by a failed store holds only a hash and meters nothing.
    if arguments.usage_plan:
        gateway_key = UsagePlans(apigateway).register(api_key, arguments.label.strip(), arguments.usage_plan)
        print(f"registered with usage plan {arguments.usage_plan} (API Gateway key {gateway_key})", file=sys.stderr)
    ApiKeyStore(client, table=arguments.table).put(
        api_key, arguments.role, arguments.label.strip(), at=datetime.now(UTC)
    )
    print(f"issued a {arguments.role} key {key_id(api_key)}... for {arguments.label!r}", file=sys.stderr)
    print(api_key)
    return 0


if __name__ == "__main__":
    sys.exit(main())
