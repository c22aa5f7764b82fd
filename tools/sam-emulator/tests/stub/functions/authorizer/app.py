"""A REQUEST authorizer: allows the known keys, denies ``deny-key``, breaks on ``crash`` and ``malformed``."""

import os

CALLS = []


def lambda_handler(event, context):
    CALLS.append(event)
    key = event["headers"].get("x-api-key")
    if key == "crash":
        raise RuntimeError("the authorizer broke")
    if key == "malformed":
        return {"principalId": "tester"}
    if key not in ("good-key", "other-key", "deny-key", "exact-key"):
        raise Exception("Unauthorized")
    api = event["methodArn"].split("/", 2)
    resource = event["methodArn"] if key == "exact-key" else f"{api[0]}/{api[1]}/*/*"
    effect = "Deny" if key == "deny-key" else "Allow"
    statement = {"Action": "execute-api:Invoke", "Effect": effect, "Resource": [resource]}
    return {
        "principalId": f"{key}-holder",
        "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
        "context": {"role": os.environ["ROLE"], "count": 3, "admin": False},
    }
