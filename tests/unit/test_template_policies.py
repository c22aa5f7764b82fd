"""Least privilege on the tables, and an append-only ledger, where it counts: in the IAM policies of each function.

The integration tests run under moto, which checks no IAM, so this reads the policies themselves:
a SAM policy template that allows updates or deletes (``DynamoDBCrudPolicy``, ``DynamoDBWritePolicy``)
or an explicit statement with such an action, on the ledger table, fails the test, but for the one
documented exception: the GDPR erase in the customers function removes ``buyer_id`` from entries.
``MAY`` states, per function, the actions its adapters call on each table (a policy that grants more,
or less, fails), so a widened policy cannot slip in.
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


# ------------------------------------------------------------------ every table, every function

READ = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "DescribeTable"})
"""SAM's DynamoDBReadPolicy."""
TEMPLATE_ACTIONS = {
    "DynamoDBReadPolicy": READ,
    "DynamoDBWritePolicy": frozenset({"PutItem", "UpdateItem", "BatchWriteItem"}),
    "DynamoDBCrudPolicy": READ | {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "ConditionCheckItem"},
}
R = "read"
PU = "GetItem BatchGetItem Query Scan DescribeTable PutItem UpdateItem"
"""Reads, and the writes a transaction of puts and updates needs: no DeleteItem, no BatchWriteItem."""

W = "PutItem UpdateItem"
"""Writes only (report counters, tier history entries)."""
APPEND = "PutItem"
"""The ledger: a conditional put of a new entry."""

MAY = {
    "StorefrontAuthorizerFunction": {"ApiKeysTable": R},
    "AdminAuthorizerFunction": {"ApiKeysTable": R},
    "OrdersFunction": {
        "AccountsTable": PU,
        "CodesTable": PU,
        "HistoryTable": W,
        "LedgerTable": APPEND,
        "OrdersTable": PU,
        "ProgramsTable": R,
        "StatsTable": W,
    },
    "CustomersFunction": {
        "AccountsTable": PU,
        "CodesTable": R,
        "HistoryTable": R,
        # Powertools idempotency deletes the record of a request that failed, so a retry runs again.
        "IdempotencyTable": f"{PU} DeleteItem",
        # The GDPR erase rewrites entries (buyer_id removed); it never adds one.
        "LedgerTable": "GetItem BatchGetItem Query Scan DescribeTable UpdateItem",
        "OrdersTable": PU,
        "ProgramsTable": R,
        "SurveysTable": PU,
    },
    "ReferralsFunction": {"AccountsTable": PU, "CodesTable": PU, "ProgramsTable": R},
    "AdminFunction": {"ProgramsTable": PU},
    "AdjustmentsFunction": {
        "AccountsTable": PU,
        "HistoryTable": PU,
        "LedgerTable": APPEND,
        "ProgramsTable": R,
        "StatsTable": W,
    },
    "HistoryFunction": {"AccountsTable": PU, "OrdersTable": PU, "ProgramsTable": R, "StatsTable": W},
    "RewardsFunction": {
        "AccountsTable": PU,
        "ClaimsTable": PU,
        "LedgerTable": APPEND,
        "ProgramsTable": R,
        "StatsTable": PU,
    },
    "ReportsFunction": {
        "AccountsTable": R,
        "CodesTable": R,
        "LedgerTable": R,
        "OrdersTable": R,
        "ProgramsTable": R,
        "StatsTable": R,
        "SurveysTable": R,
    },
    "TiersFunction": {"AccountsTable": PU, "HistoryTable": PU, "ProgramsTable": R, "StatsTable": W},
    "TiersWorkerFunction": {"AccountsTable": PU, "HistoryTable": PU, "ProgramsTable": R, "StatsTable": W},
    "ExpiryFunction": {"AccountsTable": PU, "CodesTable": PU, "LedgerTable": APPEND, "StatsTable": W},
    "ExpiryWorkerFunction": {"AccountsTable": PU, "CodesTable": PU, "LedgerTable": APPEND, "StatsTable": W},
    # A digest whose send failed deletes its day's claim (release_digest), so the next run sends it.
    "DigestFunction": {
        "AccountsTable": PU,
        "CodesTable": R,
        "HistoryTable": f"{PU} DeleteItem",
        "LedgerTable": R,
        "ProgramsTable": R,
    },
    "DigestWorkerFunction": {
        "AccountsTable": PU,
        "CodesTable": R,
        "HistoryTable": f"{PU} DeleteItem",
        "LedgerTable": R,
        "ProgramsTable": R,
    },
    "UnsubscribeFunction": {"AccountsTable": "UpdateItem"},  # public: it turns the opt-in off, no more
    "EventsFunction": {},
}
"""Per function, per table, the DynamoDB actions it may call: ``read`` (DynamoDBReadPolicy) or a list."""


def table_of(value: Any) -> str | None:
    text = repr(value)
    found = [name for name in TEMPLATE_DOCUMENT["Resources"] if name.endswith("Table") and f"'{name}" in text]
    return found[0] if len(found) == 1 else None


def table_actions(properties: dict[str, Any]) -> dict[str, set[str]]:
    """What a function's policies let it do on each table: DynamoDB action names, by table logical id."""
    granted: dict[str, set[str]] = {}
    for policy in properties.get("Policies") or []:
        if not isinstance(policy, dict):
            continue
        for name, argument in policy.items():
            if name in TEMPLATE_ACTIONS:
                table = table_of(argument)
                assert table is not None, f"{name}: which table? {argument!r}"
                granted.setdefault(table, set()).update(TEMPLATE_ACTIONS[name])
            elif name == "Statement":
                for statement in argument:
                    actions = statement.get("Action")
                    actions = [actions] if isinstance(actions, str) else actions
                    resources = statement.get("Resource")
                    for resource in resources if isinstance(resources, list) else [resources]:
                        table = table_of(resource)
                        if table is None:
                            continue
                        dynamodb = {
                            action.removeprefix("dynamodb:") for action in actions if action.startswith("dynamodb:")
                        }
                        granted.setdefault(table, set()).update(dynamodb)
    return granted


def stated(function: str) -> dict[str, set[str]]:
    return {
        table: set(READ) if actions == R else set(actions.split()) for table, actions in MAY.get(function, {}).items()
    }


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_each_function_may_use_exactly_the_table_actions_stated_for_it(function: str) -> None:
    granted = table_actions(FUNCTIONS[function])

    assert function in MAY, f"{function} is new: state the table actions its adapters call in MAY"
    assert granted == stated(function)


def test_no_function_may_batch_write_any_table() -> None:
    """BatchWriteItem deletes without DeleteItem, and no adapter calls it."""
    batch_writers = [
        name for name in FUNCTIONS if any("BatchWriteItem" in a for a in table_actions(FUNCTIONS[name]).values())
    ]

    assert batch_writers == []


def test_the_check_expands_sam_policy_templates_and_statements() -> None:
    properties = {
        "Policies": [
            {"DynamoDBWritePolicy": {"TableName": {"Ref": "StatsTable"}}},
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["dynamodb:DeleteItem"],
                        "Resource": {"Fn::GetAtt": ["HistoryTable", "Arn"]},
                    }
                ]
            },
        ]
    }

    assert table_actions(properties) == {
        "StatsTable": {"PutItem", "UpdateItem", "BatchWriteItem"},
        "HistoryTable": {"DeleteItem"},
    }
