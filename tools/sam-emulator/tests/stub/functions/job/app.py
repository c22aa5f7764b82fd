"""A scheduled job: fans four messages out to the work queue and reads the template's secret."""

import os

import boto3


def lambda_handler(event, context):
    queue = boto3.client("sqs")
    for body in ("ok-1", "ok-2", "fail-1", "ok-3"):
        queue.send_message(QueueUrl=os.environ["WORK_QUEUE_URL"], MessageBody=body)
    secret = boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["SECRET_ID"])["SecretString"]
    return {"time": event["time"], "resources": event["resources"], "secret_length": len(secret)}
