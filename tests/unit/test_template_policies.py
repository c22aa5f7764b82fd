"""The ledger is append-only where it counts: in the IAM policies template.yaml gives each function.

The integration tests run under moto, which checks no IAM, so this reads the policies themselves:
a SAM policy template that allows updates or deletes (``DynamoDBCrudPolicy``, ``DynamoDBWritePolicy``)
or an explicit statement with such an action, on the ledger table, fails the test, but for the one
documented exception: the GDPR erase in the customers function removes ``buyer_id`` from entries.
"""

from __future__ import annotations

from typing import Any

import pytest
from cfn_tools import load_yaml

from local.cloudformation import TEMPLATE

TEMPLATE_DOCUMENT: dict[str, Any] = load_yaml(TEMPLATE.read_text(encoding="utf-8"))
FUNCTIONS = {
    name: spec["Properties"]
    for name, spec in TEMPLATE_DOCUMENT["Resources"].items()
    if spec["Type"] == "AWS::Serverless::Function"
}
MAY_REWRITE_THE_LEDGER = {"CustomersFunction"}
REWRITING_TEMPLATES = {"DynamoDBCrudPolicy", "DynamoDBWritePolicy"}
REWRITING_ACTIONS = {"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:*"}


def names_the_ledger(value: Any) -> bool:
    return "LedgerTable" in repr(value)


def ledger_rewrites(properties: dict[str, Any]) -> list[str]:
    """What in a function's policies lets it change or remove a ledger entry."""
    found = []
    for policy in properties.get("Policies") or []:
        if not isinstance(policy, dict):
            continue
        for name, argument in policy.items():
            if name in REWRITING_TEMPLATES and names_the_ledger(argument):
                found.append(name)
            if name == "Statement":
                for statement in argument:
                    actions = statement.get("Action")
                    actions = {actions} if isinstance(actions, str) else set(actions or ())
                    if names_the_ledger(statement.get("Resource")) and actions & REWRITING_ACTIONS:
                        found.extend(sorted(actions & REWRITING_ACTIONS))
    return found


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_no_function_but_the_erasure_may_update_or_delete_ledger_entries(function: str) -> None:
    rewrites = ledger_rewrites(FUNCTIONS[function])

    if function in MAY_REWRITE_THE_LEDGER:
        assert rewrites, f"{function} erases buyer ids from the ledger and needs to rewrite entries"
    else:
        assert rewrites == [], f"{function} may rewrite ledger entries through {rewrites}"


def test_the_check_sees_a_crud_policy_on_the_ledger() -> None:
    assert ledger_rewrites({"Policies": [{"DynamoDBCrudPolicy": {"TableName": {"Ref": "LedgerTable"}}}]}) == [
        "DynamoDBCrudPolicy"
    ]
    assert ledger_rewrites(
        {
            "Policies": [
                {"Statement": [{"Action": ["dynamodb:UpdateItem"], "Resource": {"Fn::GetAtt": ["LedgerTable", "Arn"]}}]}
            ]
        }
    ) == ["dynamodb:UpdateItem"]
