"""Sends one email with SES v1 (simple) and one with SES v2 (raw MIME, with List-Unsubscribe)."""

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
