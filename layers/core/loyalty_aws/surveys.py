"""Survey items (``SurveysTable``): one per answer, keyed by account and time."""

from __future__ import annotations

from loyalty_aws.adapter import DynamoAdapter
from loyalty_aws.codec import to_item
from loyalty_aws.daily import DAY_SHARD, day_shard
from loyalty_aws.due import timestamp
from loyalty_service.surveys import SurveyAnswer


class DynamoSurveyStore(DynamoAdapter):
    def put(self, answer: SurveyAnswer) -> None:
        """A plain put: the same answer written twice (same account, same time) is one item."""
        self.client.put_item(
            TableName=self.config.surveys_table,
            Item=to_item(
                {
                    "customer_id": answer.customer_id,
                    "answered_at": timestamp(answer.answered_at),
                    "score": answer.score,
                    DAY_SHARD: day_shard(answer.answered_at, answer.customer_id, self.config.report_shards),
                }
            ),
        )
