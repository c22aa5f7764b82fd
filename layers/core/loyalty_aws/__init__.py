"""The AWS adapters of the loyalty core: DynamoDB stores and the SES mailer. The only boto3 code."""
