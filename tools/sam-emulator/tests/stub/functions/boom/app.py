"""A handler that raises, or answers what is not a Lambda proxy response (``/malformed``)."""


def lambda_handler(event, context):
    if event["resource"] == "/malformed":
        return {"statusCode": 200, "body": {"a dict": "is not a string"}}
    raise ValueError("the handler broke")
