"""The work queue's consumer: reports the messages whose body starts with "fail" as batch item failures."""

BATCHES = []


def lambda_handler(event, context):
    BATCHES.append([record["body"] for record in event["Records"]])
    failed = [record["messageId"] for record in event["Records"] if record["body"].startswith("fail")]
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}
