"""A tiny stack for the gateway's own tests: a template and stub functions written into a temp directory.

The stubs show what the gateway handed them (event, context, environment) and misbehave on purpose
(raise, answer malformed results, deny), so routing, authorizers, jobs and the outbox are tested
without depending on the project's functions.
"""

from __future__ import annotations

from pathlib import Path

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: test}
  Greeting: {Type: String, Default: hello from globals}
Globals:
  Function:
    Runtime: python3.13
    Handler: app.lambda_handler
    Timeout: 5
    Layers: [!Ref StubLayer]
    Environment:
      Variables:
        GREETING: !Ref Greeting
        SHARED: from globals
Resources:
  StubLayer:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: layers/stub}
  TestApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: !Ref Stage
      BinaryMediaTypes: ["application~1x-custom-binary"]
      Auth:
        DefaultAuthorizer: KeyAuth
        Authorizers:
          KeyAuth:
            FunctionArn: !GetAtt KeyAuthFunction.Arn
            FunctionPayloadType: REQUEST
            Identity: {Headers: [x-api-key], ReauthorizeEvery: 300}
          NoCacheAuth:
            FunctionArn: !GetAtt NoCacheAuthFunction.Arn
            FunctionPayloadType: REQUEST
            Identity: {Headers: [x-api-key], ReauthorizeEvery: 0}
      GatewayResponses:
        UNAUTHORIZED:
          StatusCode: 401
          ResponseParameters:
            Headers: {x-gateway: "'local'"}
          ResponseTemplates:
            application/json: '{"error": {"code": "unauthorized", "message": $context.error.messageString}}'
  KeyAuthFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/authorizer
      Environment: {Variables: {ROLE: tester}}
  NoCacheAuthFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/authorizer
      Environment: {Variables: {ROLE: uncached}}
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/echo
      MemorySize: 256
      Timeout: 7
      Environment: {Variables: {GREETING: hello from echo}}
      Events:
        GetItem: {Type: Api, Properties: {RestApiId: !Ref TestApi, Path: "/items/{item_id}", Method: GET}}
        PostItems: {Type: Api, Properties: {RestApiId: !Ref TestApi, Path: /items, Method: POST}}
        Files: {Type: Api, Properties: {RestApiId: !Ref TestApi, Path: "/files/{path+}", Method: GET}}
        Anything: {Type: Api, Properties: {RestApiId: !Ref TestApi, Path: /anything, Method: ANY}}
        Public:
          Type: Api
          Properties: {RestApiId: !Ref TestApi, Path: /public, Method: GET, Auth: {Authorizer: NONE}}
        Uncached:
          Type: Api
          Properties: {RestApiId: !Ref TestApi, Path: /uncached, Method: GET, Auth: {Authorizer: NoCacheAuth}}
  OtherFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/echo
      Events:
        Other: {Type: Api, Properties: {RestApiId: !Ref TestApi, Path: /other, Method: GET}}
  BoomFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/boom
      Events:
        Boom: {Type: Api, Properties: {RestApiId: !Ref TestApi, Path: /boom, Method: GET}}
        Malformed: {Type: Api, Properties: {RestApiId: !Ref TestApi, Path: /malformed, Method: GET}}
  MailFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/mail
      Environment: {Variables: {SENDER: !Ref SenderAddress}}
      Events:
        Mail:
          Type: Api
          Properties: {RestApiId: !Ref TestApi, Path: /mail, Method: POST, Auth: {Authorizer: NONE}}
  SenderAddress:
    Type: AWS::SES::EmailIdentity
    Properties: {EmailIdentity: sender@example.com}
  JobFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/job
      Environment:
        Variables:
          WORK_QUEUE_URL: !Ref WorkQueue
          SECRET_ID: !Ref SigningSecret
      Events:
        Nightly: {Type: Schedule, Properties: {Schedule: "cron(0 2 * * ? *)"}}
  WorkerFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/worker
      Events:
        Work:
          Type: SQS
          Properties:
            Queue: !GetAtt WorkQueue.Arn
            BatchSize: 2
            FunctionResponseTypes: [ReportBatchItemFailures]
  WorkQueue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 30
      RedrivePolicy: {deadLetterTargetArn: !GetAtt WorkDeadLetterQueue.Arn, maxReceiveCount: 2}
  WorkDeadLetterQueue:
    Type: AWS::SQS::Queue
  SigningSecret:
    Type: AWS::SecretsManager::Secret
    Properties:
      GenerateSecretString: {PasswordLength: 40, ExcludePunctuation: true}
  ItemsTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: item_id, AttributeType: S}
        - {AttributeName: owner, AttributeType: S}
      KeySchema: [{AttributeName: item_id, KeyType: HASH}]
      GlobalSecondaryIndexes:
        - IndexName: OwnerIndex
          KeySchema: [{AttributeName: owner, KeyType: HASH}]
          Projection: {ProjectionType: ALL}
"""

FUNCTIONS = {
    "authorizer": """
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
""",
    "echo": """
import json
import os

import stub_settings

CALLS = 0


def lambda_handler(event, context):
    global CALLS
    CALLS += 1
    body = {
        "event": event,
        "calls": CALLS,
        "layer_greeting": stub_settings.greeting(),
        "environment": {name: os.environ.get(name) for name in ("GREETING", "SHARED", "AWS_LAMBDA_FUNCTION_NAME")},
        "context": {
            "function_name": context.function_name,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "invoked_function_arn": context.invoked_function_arn,
            "aws_request_id": context.aws_request_id,
            "remaining": context.get_remaining_time_in_millis(),
        },
    }
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json", "X-Echo": "yes"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }
""",
    "boom": """
def lambda_handler(event, context):
    if event["resource"] == "/malformed":
        return {"statusCode": 200, "body": {"a dict": "is not a string"}}
    raise ValueError("the handler broke")
""",
    "mail": """
import os
from email.message import EmailMessage

import boto3


def lambda_handler(event, context):
    sender = os.environ["SENDER"]
    boto3.client("ses").send_email(
        Source=sender,
        Destination={"ToAddresses": ["first@example.com"]},
        Message={"Subject": {"Data": "Sent with SES v1"}, "Body": {"Text": {"Data": "plain text only"}}},
    )
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "second@example.com"
    message["Subject"] = "Sent with SES v2"
    message["List-Unsubscribe"] = "<http://localhost/unsubscribe?token=t>"
    message.set_content("the text part")
    message.add_alternative("<p>the html part</p>", subtype="html")
    boto3.client("sesv2").send_email(
        FromEmailAddress=sender,
        Destination={"ToAddresses": ["second@example.com"]},
        Content={"Raw": {"Data": message.as_bytes()}},
    )
    return {"statusCode": 202, "body": ""}
""",
    "job": """
import os

import boto3


def lambda_handler(event, context):
    queue = boto3.client("sqs")
    for body in ("ok-1", "ok-2", "fail-1", "ok-3"):
        queue.send_message(QueueUrl=os.environ["WORK_QUEUE_URL"], MessageBody=body)
    secret = boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["SECRET_ID"])["SecretString"]
    return {"time": event["time"], "resources": event["resources"], "secret_length": len(secret)}
""",
    "worker": """
BATCHES = []


def lambda_handler(event, context):
    BATCHES.append([record["body"] for record in event["Records"]])
    failed = [record["messageId"] for record in event["Records"] if record["body"].startswith("fail")]
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}
""",
}


LAYER = """
import os
from functools import cache


@cache
def greeting():
    # read once per execution environment, as the project's settings are
    return os.environ.get("GREETING")
"""


def write_stub_stack(directory: Path, template: str = TEMPLATE) -> Path:
    """The stub template, its layer and its functions under ``directory``; returns the template's path."""
    layer = directory / "layers" / "stub"
    layer.mkdir(parents=True, exist_ok=True)
    (layer / "stub_settings.py").write_text(LAYER.lstrip(), encoding="utf-8")
    for name, source in FUNCTIONS.items():
        code = directory / "functions" / name
        code.mkdir(parents=True, exist_ok=True)
        (code / "app.py").write_text(source.lstrip(), encoding="utf-8")
    path = directory / "template.yaml"
    path.write_text(template, encoding="utf-8")
    return path
