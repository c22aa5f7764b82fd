"""template.yaml as the local stack and the tests read it: resources, parameters, intrinsic functions.

The template is the single source of truth; nothing here restates a table, a route or a schedule.
Intrinsics are resolved the way CloudFormation would for the handful of functions the template
uses (Ref, GetAtt, Sub, If, Equals, Join, Select); physical names get a local prefix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from cfn_tools import load_yaml

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
ACCOUNT_ID = "123456789012"
PSEUDO = {
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NoValue": None,
}
SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


@dataclass
class Stack:
    """A template with its parameters bound: what a deployment of it would be called and configured with."""

    template: Mapping[str, Any]
    region: str = "eu-central-1"
    prefix: str = "loyalty-local"
    overrides: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = TEMPLATE, **kwargs: Any) -> Stack:
        return cls(template=load_yaml(path.read_text(encoding="utf-8")), **kwargs)

    @property
    def resources(self) -> Mapping[str, Any]:
        return self.template.get("Resources", {})

    def of_type(self, kind: str) -> dict[str, Mapping[str, Any]]:
        return {name: spec for name, spec in self.resources.items() if spec["Type"] == kind}

    @cached_property
    def parameters(self) -> dict[str, str]:
        declared = self.template.get("Parameters", {})
        return {name: str(self.overrides.get(name, spec.get("Default", ""))) for name, spec in declared.items()}

    def physical_name(self, logical_id: str) -> str:
        return f"{self.prefix}-{logical_id}"

    def arn(self, logical_id: str) -> str:
        kind = self.resources[logical_id]["Type"]
        name = self.physical_name(logical_id)
        if kind == "AWS::DynamoDB::Table":
            return f"arn:aws:dynamodb:{self.region}:{ACCOUNT_ID}:table/{name}"
        if kind == "AWS::SQS::Queue":
            return f"arn:aws:sqs:{self.region}:{ACCOUNT_ID}:{name}"
        if kind == "AWS::Serverless::Function":
            return f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{name}"
        return f"arn:aws:local:{self.region}:{ACCOUNT_ID}:{name}"

    def ref(self, name: str) -> Any:
        if name in self.parameters:
            return self.parameters[name]
        if name == "AWS::Region":
            return self.region
        if name in PSEUDO:
            return PSEUDO[name]
        if name not in self.resources:
            raise KeyError(f"!Ref {name}: no such parameter or resource")
        if self.resources[name]["Type"] == "AWS::SQS::Queue":
            return f"http://sqs.{self.region}.localhost/{ACCOUNT_ID}/{self.physical_name(name)}"
        return self.physical_name(name)

    def get_att(self, logical_id: str, attribute: str) -> Any:
        if attribute == "Arn":
            return self.arn(logical_id)
        if attribute == "QueueName":
            return self.physical_name(logical_id)
        return f"{self.physical_name(logical_id)}.{attribute}"

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template.get("Conditions", {})[name]))

    def resolve(self, value: Any) -> Any:
        """Evaluate intrinsic functions in ``value`` (a template fragment)."""
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, Mapping):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self.ref(argument)
            if key == "Fn::GetAtt":
                logical_id, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
                return self.get_att(logical_id, attribute)
            if key == "Fn::Sub":
                return self._sub(argument)
            if key == "Fn::If":
                name, when_true, when_false = argument
                return self.resolve(when_true if self.condition(name) else when_false)
            if key == "Fn::Equals":
                first, second = (self.resolve(item) for item in argument)
                return str(first) == str(second)
            if key == "Fn::Join":
                separator, items = argument
                return separator.join(str(item) for item in self.resolve(items))
            if key == "Fn::Select":
                index, items = argument
                return self.resolve(items)[int(self.resolve(index))]
            if key == "Condition":
                return self.condition(argument)
        return {key: self.resolve(item) for key, item in value.items()}

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name:
                logical_id, attribute = name.split(".", 1)
                return str(self.get_att(logical_id, attribute))
            return str(self.ref(name))

        return SUB_VARIABLE.sub(substitute, text)

    # ------------------------------------------------------------------ functions

    def function_properties(self, logical_id: str) -> dict[str, Any]:
        """A function's properties with the template's Globals merged in, as SAM does."""
        merged = dict(self.template.get("Globals", {}).get("Function", {}))
        own = self.resources[logical_id].get("Properties", {})
        for key, value in own.items():
            if key == "Environment":
                variables = {**merged.get("Environment", {}).get("Variables", {}), **value.get("Variables", {})}
                merged["Environment"] = {"Variables": variables}
            else:
                merged[key] = value
        return merged

    def function_environment(self, logical_id: str) -> dict[str, str]:
        variables = self.function_properties(logical_id).get("Environment", {}).get("Variables", {})
        return {name: str(self.resolve(value)) for name, value in variables.items()}

    # ------------------------------------------------------------------ tables

    def tables(self) -> dict[str, Mapping[str, Any]]:
        return self.of_type("AWS::DynamoDB::Table")

    def create_table_requests(self) -> list[dict[str, Any]]:
        """``CreateTable`` arguments for every table, from its template properties and nothing else."""
        requests = []
        for logical_id, spec in self.tables().items():
            properties = self.resolve(spec["Properties"])
            request: dict[str, Any] = {
                "TableName": self.physical_name(logical_id),
                "AttributeDefinitions": properties["AttributeDefinitions"],
                "KeySchema": properties["KeySchema"],
                "BillingMode": properties.get("BillingMode", "PROVISIONED"),
            }
            # SSESpecification is spelled differently in CloudFormation and means nothing on loopback.
            for optional in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes", "StreamSpecification"):
                if optional in properties:
                    request[optional] = properties[optional]
            requests.append(request)
        return requests

    def create_tables(self, dynamodb: Any) -> list[str]:
        """Create every table of the template with a boto3 DynamoDB client; returns their names."""
        names = []
        for request in self.create_table_requests():
            dynamodb.create_table(**request)
            names.append(request["TableName"])
        for logical_id, spec in self.tables().items():
            ttl = spec["Properties"].get("TimeToLiveSpecification")
            if ttl:
                dynamodb.update_time_to_live(
                    TableName=self.physical_name(logical_id), TimeToLiveSpecification=self.resolve(ttl)
                )
        return names
