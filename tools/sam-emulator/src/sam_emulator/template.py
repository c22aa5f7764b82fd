"""A SAM template as the emulator reads it: resources, parameters, Globals, intrinsic functions.

The template is the single source of truth; nothing here restates a table, a route or a schedule.
Intrinsics are resolved the way CloudFormation would for the functions templates commonly use
(Ref, GetAtt, Sub, If, Equals, Not, And, Or, Join, Select, Condition); physical names get a prefix
(``<prefix>-<LogicalId>``) unless the template names a resource itself (TableName, QueueName,
FunctionName). A serverless resource's properties have the template's ``Globals`` merged in as the
SAM translator merges them (``sam_emulator.merge``).

Besides tables, this module reads what SAM would turn into API Gateway, EventBridge and SQS wiring:
``api_routes()`` (``Type: Api`` events), ``apis()`` (stage, authorizers, gateway responses),
``schedules()`` (``Schedule`` / ``ScheduleV2`` events) and ``queue_mappings()`` (``Type: SQS``
events), plus ``create_queues()`` and ``create_email_identities()``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Self

from cfn_tools import load_yaml

from sam_emulator.merge import merge_globals
from sam_emulator.usage import UsagePlan

TEMPLATE = Path("template.yaml")
"""The template ``Stack.load`` reads by default: ``template.yaml`` in the working directory, as for ``sam``."""
ACCOUNT_ID = "123456789012"
"""moto's default account: every ARN the emulator builds names it."""
DEFAULT_REGION = "us-east-1"
DEFAULT_PREFIX = "local"
PSEUDO = {
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NoValue": None,
}
SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")
FUNCTION = "AWS::Serverless::Function"
IMPLICIT_API = "ServerlessRestApi"
"""The API SAM creates for ``Type: Api`` events that name no ``RestApiId``."""
NAME_PROPERTY = {"AWS::DynamoDB::Table": "TableName", "AWS::SQS::Queue": "QueueName", FUNCTION: "FunctionName"}
DEFAULT_REAUTHORIZE_SECONDS = 300


def api_id(logical_id: str) -> str:
    """A stable, readable stand-in for the 10-character id API Gateway gives an API (``!Ref`` of the API)."""
    return re.sub(r"[^a-z0-9]", "", logical_id.lower())[:10] or "localapi"


def flag(value: Any, default: bool = False) -> bool:
    """A template boolean: YAML ``true`` or the strings CloudFormation accepts (``"true"``, ``"True"``)."""
    if value is None:
        return default
    return value if isinstance(value, bool) else str(value).lower() == "true"


def logical_id_of(reference: Any) -> str | None:
    """The logical id a ``!Ref X`` or ``!GetAtt X.Attr`` points at (unresolved template value)."""
    if isinstance(reference, Mapping) and len(reference) == 1:
        ((key, argument),) = reference.items()
        if key == "Ref" and isinstance(argument, str):
            return argument
        if key == "Fn::GetAtt":
            return str(argument.split(".", 1)[0] if isinstance(argument, str) else argument[0])
    return None


@dataclass(frozen=True)
class Authorizer:
    """A Lambda authorizer of an ``AWS::Serverless::Api`` (``Auth.Authorizers.<name>``)."""

    name: str
    function: str
    payload_type: str
    identity_headers: tuple[str, ...]
    identity_query_strings: tuple[str, ...]
    reauthorize_seconds: int


@dataclass(frozen=True)
class Api:
    """What API Gateway needs of an API: its stage, authorizers and gateway responses."""

    logical_id: str
    stage: str
    authorizers: Mapping[str, Authorizer]
    default_authorizer: str | None
    gateway_responses: Mapping[str, Mapping[str, Any]]
    binary_media_types: tuple[str, ...] = ()
    stage_variables: Mapping[str, str] | None = None
    throttle: tuple[float, int] | None = None
    """Stage-wide (rate per second, burst) from ``MethodSettings`` on ``/*`` and ``*``, if declared."""
    api_key_source: str = "HEADER"
    """``ApiKeySourceType``: where a metered method's API key comes from (``HEADER`` or ``AUTHORIZER``)."""


@dataclass(frozen=True)
class ApiRoute:
    """One ``Type: Api`` event: ``method`` (upper case, or ``ANY``) on a path template of an API."""

    function: str
    event: str
    api: str
    method: str
    path: str
    authorizer: str | None
    api_key_required: bool = False
    """The route's ``Auth.ApiKeyRequired``, else the API's: metered by a usage plan (``sam_emulator.usage``)."""


@dataclass(frozen=True)
class Schedule:
    """One ``Type: Schedule`` (EventBridge rule) or ``Type: ScheduleV2`` (EventBridge Scheduler) event."""

    function: str
    event: str
    kind: str
    expression: str
    enabled: bool
    name: str
    arn: str
    input: str | None = None
    timezone: str = "UTC"


@dataclass(frozen=True)
class QueueMapping:
    """One ``Type: SQS`` event: an event source mapping from a queue to a function."""

    function: str
    event: str
    queue: str
    batch_size: int
    report_batch_item_failures: bool
    enabled: bool


@dataclass(frozen=True)
class StreamMapping:
    """One ``Type: DynamoDB`` event: an event source mapping from a table's stream to a function."""

    function: str
    event: str
    table: str
    batch_size: int
    report_batch_item_failures: bool
    maximum_retry_attempts: int
    on_failure_queue: str | None
    enabled: bool


@dataclass
class Stack:
    """A template with its parameters bound: what a deployment of it would be called and configured with."""

    template: Mapping[str, Any]
    region: str = DEFAULT_REGION
    prefix: str = DEFAULT_PREFIX
    """Physical names are ``<prefix>-<LogicalId>`` (unless the template names the resource)."""
    overrides: Mapping[str, str] = field(default_factory=dict)
    """Parameter values, as ``sam deploy --parameter-overrides`` gives them; the rest take their Default."""
    base_dir: Path = field(default_factory=Path.cwd)
    """Where ``CodeUri`` and ``ContentUri`` are relative to: the template's directory, as for ``sam build``."""
    path: Path | None = None
    """The template's file, when it was loaded from one."""

    @classmethod
    def load(cls, path: Path | str = TEMPLATE, **kwargs: Any) -> Self:
        """The template at ``path`` (YAML or JSON); ``kwargs`` are the other fields (region, prefix, ...)."""
        path = Path(path)
        kwargs.setdefault("base_dir", path.resolve().parent)
        kwargs.setdefault("path", path)
        return cls(template=load_yaml(path.read_text(encoding="utf-8")), **kwargs)

    @property
    def resources(self) -> Mapping[str, Any]:
        return self.template.get("Resources", {})

    def of_type(self, kind: str) -> dict[str, Mapping[str, Any]]:
        return {name: spec for name, spec in self.resources.items() if spec["Type"] == kind}

    def properties(self, logical_id: str) -> dict[str, Any]:
        """A resource's properties, unresolved; a serverless resource's with the template's Globals merged in."""
        return merge_globals(self.template, self.resources[logical_id])

    @cached_property
    def parameters(self) -> dict[str, str]:
        declared = self.template.get("Parameters", {})
        return {name: str(self.overrides.get(name, spec.get("Default", ""))) for name, spec in declared.items()}

    def physical_name(self, logical_id: str) -> str:
        spec = self.resources.get(logical_id, {})
        explicit = spec.get("Properties", {}).get(NAME_PROPERTY.get(spec.get("Type", ""), ""))
        if explicit is not None:
            return str(self.resolve(explicit))
        name = f"{self.prefix}-{logical_id}"
        if spec.get("Type") == "AWS::SQS::Queue" and flag(self.resolve(spec.get("Properties", {}).get("FifoQueue"))):
            return f"{name}.fifo"
        return name

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
        if self.resources[name]["Type"] == "AWS::Serverless::Api":
            return api_id(name)
        if self.resources[name]["Type"] == "AWS::Events::EventBus":
            return self.resolve(self.resources[name].get("Properties", {}).get("Name")) or self.physical_name(name)
        if self.resources[name]["Type"] == "AWS::SES::EmailIdentity":
            return self.resolve(self.resources[name]["Properties"]["EmailIdentity"])
        # A secret's Ref is its ARN in AWS; its name serves every Secrets Manager call just as well.
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
            if key == "Fn::Not":
                return not self.resolve(argument[0])
            if key == "Fn::And":
                return all(self.resolve(item) for item in argument)
            if key == "Fn::Or":
                return any(self.resolve(item) for item in argument)
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
        """A function's properties with the template's Globals merged in, as the SAM translator merges them."""
        return self.properties(logical_id)

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
            for optional in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
                if optional in properties:
                    request[optional] = properties[optional]
            if "StreamSpecification" in properties:  # CloudFormation's has no StreamEnabled: declaring it enables it
                request["StreamSpecification"] = {"StreamEnabled": True, **properties["StreamSpecification"]}
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

    # ------------------------------------------------------------------ functions and their events

    def functions(self) -> dict[str, Mapping[str, Any]]:
        return self.of_type(FUNCTION)

    def events(self, logical_id: str, *kinds: str) -> dict[str, Mapping[str, Any]]:
        """A function's events of the given ``Type``s, by event name, with their properties resolved lazily."""
        declared = self.resources[logical_id].get("Properties", {}).get("Events", {}) or {}
        return {name: event for name, event in declared.items() if event.get("Type") in kinds}

    def job_name(self, logical_id: str) -> str:
        """``NightlyFunction`` -> ``nightly``: the name ``POST /_local/jobs/{name}`` runs a scheduled function by."""
        return logical_id.removesuffix("Function").lower()

    # ------------------------------------------------------------------ API Gateway

    def apis(self) -> dict[str, Api]:
        """Every API the functions' ``Type: Api`` events attach to, the implicit one included when used."""
        apis = {logical_id: self._api(logical_id, self.properties(logical_id)) for logical_id in self.serverless_apis()}
        if any(route.api == IMPLICIT_API for route in self.api_routes()) and IMPLICIT_API not in apis:
            apis[IMPLICIT_API] = self._api(IMPLICIT_API, self._implicit_api_properties())
        return apis

    def serverless_apis(self) -> dict[str, Mapping[str, Any]]:
        return self.of_type("AWS::Serverless::Api")

    def _implicit_api_properties(self) -> dict[str, Any]:
        """SAM's implicit API: stage ``Prod``, configured by ``Globals.Api`` alone."""
        return merge_globals(self.template, {"Type": "AWS::Serverless::Api", "Properties": {}})

    def _api_properties(self, logical_id: str) -> dict[str, Any]:
        if logical_id in self.serverless_apis():
            return self.properties(logical_id)
        return self._implicit_api_properties() if logical_id == IMPLICIT_API else {}

    def _api(self, logical_id: str, properties: Mapping[str, Any]) -> Api:
        auth = properties.get("Auth", {}) or {}
        authorizers = {}
        for name, declared in (auth.get("Authorizers", {}) or {}).items():
            function = logical_id_of(declared.get("FunctionArn"))
            if function is None:
                continue  # Cognito and IAM authorizers have no function to run locally
            identity = declared.get("Identity", {}) or {}
            payload_type = str(declared.get("FunctionPayloadType", "TOKEN"))
            headers = identity.get("Headers") or (
                [] if payload_type == "REQUEST" else [identity.get("Header", "Authorization")]
            )
            authorizers[name] = Authorizer(
                name=name,
                function=function,
                payload_type=payload_type,
                identity_headers=tuple(str(header).lower() for header in headers),
                identity_query_strings=tuple(str(query) for query in identity.get("QueryStrings", []) or []),
                reauthorize_seconds=int(self.resolve(identity.get("ReauthorizeEvery", DEFAULT_REAUTHORIZE_SECONDS))),
            )
        variables = properties.get("Variables")
        return Api(
            logical_id=logical_id,
            stage=str(self.resolve(properties.get("StageName", "Prod"))),
            authorizers=authorizers,
            default_authorizer=self.resolve(auth.get("DefaultAuthorizer")),
            gateway_responses=self.resolve(properties.get("GatewayResponses", {}) or {}),
            binary_media_types=tuple(
                str(kind).replace("~1", "/") for kind in self.resolve(properties.get("BinaryMediaTypes", []) or [])
            ),
            stage_variables={name: str(value) for name, value in self.resolve(variables).items()}
            if variables
            else None,
            throttle=self._stage_throttle(properties.get("MethodSettings") or []),
            api_key_source=str(self.resolve(properties.get("ApiKeySourceType", "HEADER"))),
        )

    def _stage_throttle(self, method_settings: list[Any]) -> tuple[float, int] | None:
        for setting in self.resolve(method_settings):
            stage_wide = setting.get("ResourcePath") == "/*" and setting.get("HttpMethod") == "*"
            if stage_wide and "ThrottlingRateLimit" in setting:
                rate = float(setting["ThrottlingRateLimit"])
                return rate, int(setting.get("ThrottlingBurstLimit", max(1, int(rate))))
        return None

    def api_routes(self) -> list[ApiRoute]:
        """Every ``Type: Api`` event of every function, with the authorizer that guards it (None: public)."""
        routes = []
        for function in self.functions():
            for event_name, event in self.events(function, "Api").items():
                properties = event.get("Properties", {})
                api = logical_id_of(properties.get("RestApiId")) or IMPLICIT_API
                api_auth = self._api_properties(api).get("Auth") or {}
                route_auth = properties.get("Auth", {}) or {}
                authorizer = route_auth.get("Authorizer", api_auth.get("DefaultAuthorizer"))
                key_required = route_auth.get("ApiKeyRequired", api_auth.get("ApiKeyRequired", False))
                routes.append(
                    ApiRoute(
                        function=function,
                        event=event_name,
                        api=api,
                        method=str(properties["Method"]).upper(),
                        path=str(self.resolve(properties["Path"])),
                        authorizer=None if authorizer in (None, "NONE") else str(authorizer),
                        api_key_required=flag(self.resolve(key_required)),
                    )
                )
        return routes

    def usage_plans(self) -> dict[str, UsagePlan]:
        """The ``AWS::ApiGateway::UsagePlan`` resources, limits resolved (``ApiStages`` by API logical id)."""
        plans = {}
        for logical_id, spec in self.of_type("AWS::ApiGateway::UsagePlan").items():
            properties = spec.get("Properties", {}) or {}
            throttle = self.resolve(properties.get("Throttle")) or {}
            quota = self.resolve(properties.get("Quota")) or {}
            stages = properties.get("ApiStages", []) or []
            apis = tuple(api for api in (logical_id_of(stage.get("ApiId")) for stage in stages) if api is not None)
            plans[logical_id] = UsagePlan(
                logical_id=logical_id,
                name=str(self.resolve(properties.get("UsagePlanName")) or self.physical_name(logical_id)),
                apis=apis,
                rate=float(throttle["RateLimit"]) if "RateLimit" in throttle else None,
                burst=int(throttle["BurstLimit"]) if "BurstLimit" in throttle else None,
                quota=int(quota["Limit"]) if "Limit" in quota else None,
                period=str(quota.get("Period", "DAY")),
            )
        return plans

    # ------------------------------------------------------------------ EventBridge

    def schedules(self) -> list[Schedule]:
        """Every ``Schedule`` / ``ScheduleV2`` event; names and ARNs as the deployed rule or schedule would have."""
        found = []
        for function in self.functions():
            for event_name, event in self.events(function, "Schedule", "ScheduleV2").items():
                properties = self.resolve(event.get("Properties", {}))
                name = str(properties.get("Name") or f"{self.physical_name(function)}-{event_name}")
                if event["Type"] == "Schedule":
                    arn = f"arn:aws:events:{self.region}:{ACCOUNT_ID}:rule/{name}"
                    enabled = flag(
                        properties.get("Enabled"), default=str(properties.get("State", "ENABLED")) == "ENABLED"
                    )
                else:
                    group = properties.get("GroupName", "default")
                    arn = f"arn:aws:scheduler:{self.region}:{ACCOUNT_ID}:schedule/{group}/{name}"
                    enabled = str(properties.get("State", "ENABLED")) == "ENABLED"
                found.append(
                    Schedule(
                        function=function,
                        event=event_name,
                        kind=str(event["Type"]),
                        expression=str(properties["Schedule" if event["Type"] == "Schedule" else "ScheduleExpression"]),
                        enabled=enabled,
                        name=name,
                        arn=arn,
                        input=properties.get("Input"),
                        timezone=str(properties.get("ScheduleExpressionTimezone", "UTC")),
                    )
                )
        return found

    # ------------------------------------------------------------------ SQS

    def queues(self) -> dict[str, Mapping[str, Any]]:
        return self.of_type("AWS::SQS::Queue")

    def queue_url(self, logical_id: str) -> str:
        return str(self.ref(logical_id))

    def queue_mappings(self) -> list[QueueMapping]:
        """Every ``Type: SQS`` event: which function consumes which queue, in batches of what size."""
        found = []
        for function in self.functions():
            for event_name, event in self.events(function, "SQS").items():
                raw = event.get("Properties", {})
                queue = logical_id_of(raw.get("Queue"))
                if queue is None:
                    raise ValueError(f"{function}.{event_name}: Queue must be !GetAtt <queue>.Arn of this template")
                properties = self.resolve(raw)
                found.append(
                    QueueMapping(
                        function=function,
                        event=event_name,
                        queue=queue,
                        batch_size=int(properties.get("BatchSize", 10)),
                        report_batch_item_failures="ReportBatchItemFailures"
                        in properties.get("FunctionResponseTypes", []),
                        enabled=flag(properties.get("Enabled"), default=True),
                    )
                )
        return found

    def stream_mappings(self) -> list[StreamMapping]:
        """Every ``Type: DynamoDB`` event: which function consumes which table's stream, and how it retries."""
        found = []
        for function in self.functions():
            for event_name, event in self.events(function, "DynamoDB").items():
                raw = event.get("Properties", {})
                table = logical_id_of(raw.get("Stream"))
                if table is None:
                    raise ValueError(f"{function}.{event_name}: Stream must be !GetAtt <table>.StreamArn")
                on_failure = ((raw.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
                properties = self.resolve({name: value for name, value in raw.items() if name != "DestinationConfig"})
                found.append(
                    StreamMapping(
                        function=function,
                        event=event_name,
                        table=table,
                        batch_size=int(properties.get("BatchSize", 100)),
                        report_batch_item_failures="ReportBatchItemFailures"
                        in properties.get("FunctionResponseTypes", []),
                        maximum_retry_attempts=int(properties.get("MaximumRetryAttempts", 2)),
                        on_failure_queue=logical_id_of(on_failure),
                        enabled=flag(properties.get("Enabled"), default=True),
                    )
                )
        return found

    def create_event_buses(self, events: Any) -> list[str]:
        """Create every ``AWS::Events::EventBus`` of the template; returns their names."""
        names = []
        for logical_id in self.of_type("AWS::Events::EventBus"):
            name = str(self.ref(logical_id))
            events.create_event_bus(Name=name)
            names.append(name)
        return names

    def create_queues(self, sqs: Any) -> list[str]:
        """Create every queue with a boto3 SQS client, dead-letter queues first; returns their URLs."""
        pending = dict(self.queues())
        urls = []
        while pending:
            ready = [
                logical_id
                for logical_id, spec in pending.items()
                if logical_id_of((spec.get("Properties", {}).get("RedrivePolicy") or {}).get("deadLetterTargetArn"))
                not in pending
            ]
            if not ready:
                raise ValueError(f"queues whose dead-letter queues form a cycle: {sorted(pending)}")
            for logical_id in ready:
                properties = self.resolve(pending.pop(logical_id).get("Properties", {}))
                attributes = {
                    name: json.dumps(value)
                    if isinstance(value, Mapping)
                    else str(value).lower()
                    if isinstance(value, bool)
                    else str(value)
                    for name, value in properties.items()
                    if name not in ("QueueName", "Tags")
                }
                urls.append(
                    sqs.create_queue(QueueName=self.physical_name(logical_id), Attributes=attributes)["QueueUrl"]
                )
        return urls

    # ------------------------------------------------------------------ Secrets Manager

    def create_secrets(self, secretsmanager: Any) -> list[str]:
        """Create every ``AWS::SecretsManager::Secret``: its ``SecretString``, or one generated as declared."""
        names = []
        for logical_id, spec in self.of_type("AWS::SecretsManager::Secret").items():
            properties = self.resolve(spec.get("Properties", {}))
            secret = properties.get("SecretString")
            if secret is None:
                secret = self._generated_secret(secretsmanager, properties.get("GenerateSecretString") or {})
            name = str(properties.get("Name") or self.physical_name(logical_id))
            secretsmanager.create_secret(Name=name, SecretString=secret)
            names.append(name)
        return names

    @staticmethod
    def _generated_secret(secretsmanager: Any, generate: Mapping[str, Any]) -> str:
        options: dict[str, Any] = {}
        for name, value in generate.items():
            if name == "PasswordLength":
                options[name] = int(value)
            elif name == "ExcludeCharacters":
                options[name] = str(value)
            elif name.startswith(("Exclude", "Include", "Require")):
                options[name] = flag(value)
        password = str(secretsmanager.get_random_password(**options)["RandomPassword"])
        if "SecretStringTemplate" in generate:
            document = json.loads(generate["SecretStringTemplate"])
            document[generate["GenerateStringKey"]] = password
            return json.dumps(document)
        return password

    # ------------------------------------------------------------------ SES

    def email_identities(self) -> list[str]:
        """``AWS::SES::EmailIdentity`` resources, and the identities the functions' SES policy templates name
        (an operator verifies those in SES; locally, creating them verifies them)."""
        identities = [
            str(self.resolve(spec["Properties"]["EmailIdentity"]))
            for spec in self.of_type("AWS::SES::EmailIdentity").values()
        ]
        for logical_id in self.functions():
            for policy in self.function_properties(logical_id).get("Policies", []) or []:
                for name, arguments in policy.items() if isinstance(policy, Mapping) else ():
                    identity = arguments.get("IdentityName") if isinstance(arguments, Mapping) else None
                    if name.startswith("SES") and identity is not None:
                        identities.append(str(self.resolve(identity)))
        return list(dict.fromkeys(identities))

    def create_email_identities(self, sesv2: Any) -> list[str]:
        """Create (and, locally, thereby verify) every ``AWS::SES::EmailIdentity`` of the template."""
        identities = self.email_identities()
        for identity in identities:
            sesv2.create_email_identity(EmailIdentity=identity)
        for logical_id, spec in self.of_type("AWS::SES::ConfigurationSet").items():
            name = self.resolve(spec.get("Properties", {}).get("Name")) or self.physical_name(logical_id)
            sesv2.create_configuration_set(ConfigurationSetName=str(name))
        return identities
