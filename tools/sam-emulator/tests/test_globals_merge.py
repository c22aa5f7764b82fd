"""Globals merged into a resource's properties as the SAM translator merges them, checked against the translator."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from cfn_tools import load_yaml

from sam_emulator.lambdas import LambdaFunction
from sam_emulator.merge import merge, merge_globals
from sam_emulator.template import IMPLICIT_API, Stack
from sam_emulator.testing import merged_functions, translated_functions

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  LogLevel: {Type: String, Default: INFO}
Globals:
  Function:
    Runtime: python3.13
    Handler: app.lambda_handler
    Timeout: 5
    Architectures: [arm64]
    Tracing: Active
    Layers: [!Ref SharedLayer]
    Environment:
      Variables:
        LOG_LEVEL: !Ref LogLevel
        TABLE: !Ref ItemsTable
        OWNER: globals
Resources:
  SharedLayer:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: layers/shared}
  OwnLayer:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: layers/own}
  ItemsTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
  PlainFunction:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: functions/plain}
  OwnFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/own
      Timeout: 9
      Architectures: [x86_64]
      Layers: [!Ref OwnLayer, "arn:aws:lambda:eu-central-1:123456789012:layer:vendor:3"]
      Environment:
        Variables:
          OWNER: own
          EXTRA: !Sub "${AWS::Region}-extra"
  IgnoringFunction:
    Type: AWS::Serverless::Function
    IgnoreGlobals: [Layers, Tracing]
    Properties: {CodeUri: functions/ignoring}
"""


@pytest.fixture
def stack(tmp_path: Path) -> Stack:
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE, encoding="utf-8")
    for directory in ("layers/shared", "layers/own"):
        (tmp_path / directory).mkdir(parents=True)
    return Stack.load(path, region="eu-central-1")


def test_a_function_adding_layers_keeps_the_global_ones_first(stack: Stack) -> None:
    assert stack.function_properties("OwnFunction")["Layers"] == [
        {"Ref": "SharedLayer"},
        {"Ref": "OwnLayer"},
        "arn:aws:lambda:eu-central-1:123456789012:layer:vendor:3",
    ]
    assert stack.function_properties("PlainFunction")["Layers"] == [{"Ref": "SharedLayer"}]


def test_a_functions_own_layers_are_importable_with_the_global_ones(stack: Stack, tmp_path: Path) -> None:
    function = LambdaFunction(stack, "OwnFunction", threading.RLock())
    assert function.layer_dirs == (str(tmp_path / "layers/shared"), str(tmp_path / "layers/own"))


def test_environment_variables_are_merged_and_the_functions_own_win(stack: Stack) -> None:
    assert stack.function_properties("OwnFunction")["Environment"] == {
        "Variables": {
            "LOG_LEVEL": {"Ref": "LogLevel"},
            "TABLE": {"Ref": "ItemsTable"},
            "OWNER": "own",
            "EXTRA": {"Fn::Sub": "${AWS::Region}-extra"},
        }
    }
    assert stack.function_environment("OwnFunction") == {
        "LOG_LEVEL": "INFO",
        "TABLE": "local-ItemsTable",
        "OWNER": "own",
        "EXTRA": "eu-central-1-extra",
    }


def test_scalars_and_architectures_are_the_functions_own(stack: Stack) -> None:
    own = stack.function_properties("OwnFunction")
    assert (own["Timeout"], own["Architectures"], own["Runtime"]) == (9, ["x86_64"], "python3.13")


def test_ignore_globals_leaves_those_properties_out(stack: Stack) -> None:
    ignoring = stack.function_properties("IgnoringFunction")
    assert "Layers" not in ignoring
    assert "Tracing" not in ignoring
    assert ignoring["Timeout"] == 5


@pytest.mark.parametrize(
    ("global_value", "own_value", "expected"),
    [
        ({"Ref": "A"}, {"Ref": "B"}, {"Ref": "B"}),  # intrinsics are scalars: never merged key by key
        ({"Variables": {"A": "1"}}, {"Ref": "Env"}, {"Ref": "Env"}),  # different kinds: the own value
        (["a"], {"Fn::Split": [",", "b,c"]}, {"Fn::Split": [",", "b,c"]}),
        ({"A": ["x"], "B": {"C": "1"}}, {"A": ["y"], "B": {"D": "2"}}, {"A": ["x", "y"], "B": {"C": "1", "D": "2"}}),
        (["same"], ["same"], ["same", "same"]),  # concatenated without de-duplication, as SAM does
    ],
)
def test_merge_rules(global_value: Any, own_value: Any, expected: Any) -> None:
    assert merge(global_value, own_value, "Function.Anything") == expected


def test_resources_that_globals_do_not_cover_keep_their_properties() -> None:
    template = load_yaml(TEMPLATE)
    assert (
        merge_globals(template, template["Resources"]["ItemsTable"])
        == template["Resources"]["ItemsTable"]["Properties"]
    )


def test_the_merge_is_the_sam_translators(stack: Stack) -> None:
    assert merged_functions(stack) == translated_functions(stack)


def test_the_stub_templates_merge_is_the_sam_translators(stub_template: Path) -> None:
    stub = Stack.load(stub_template, region="eu-central-1")
    assert merged_functions(stub) == translated_functions(stub)


def test_api_globals_configure_the_declared_and_the_implicit_api(tmp_path: Path) -> None:
    # GIVEN Globals.Api, one declared API with its own binary types, and a function on the implicit API
    path = tmp_path / "template.yaml"
    path.write_text(
        """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Api:
    BinaryMediaTypes: ["image~1png"]
    GatewayResponses:
      UNAUTHORIZED: {StatusCode: 401}
Resources:
  DeclaredApi:
    Type: AWS::Serverless::Api
    Properties: {StageName: live, BinaryMediaTypes: ["application~1pdf"]}
  Function:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/any
      Handler: app.handler
      Runtime: python3.13
      Events:
        Declared: {Type: Api, Properties: {RestApiId: !Ref DeclaredApi, Path: /declared, Method: GET}}
        Implicit: {Type: Api, Properties: {Path: /implicit, Method: GET}}
""",
        encoding="utf-8",
    )
    # WHEN the APIs are read
    apis = Stack.load(path).apis()
    # THEN both have the global gateway response; the declared one both binary types, Globals' first
    assert apis["DeclaredApi"].binary_media_types == ("image/png", "application/pdf")
    assert apis["DeclaredApi"].stage == "live"
    assert apis[IMPLICIT_API].binary_media_types == ("image/png",)
    assert apis[IMPLICIT_API].stage == "Prod"
    assert all(api.gateway_responses == {"UNAUTHORIZED": {"StatusCode": 401}} for api in apis.values())
