"""Survey items (``SurveysTable``): one per answer, keyed by account and time."""

from __future__ import annotations

from typing import Any

from loyalty_aws import clients
from loyalty_aws.codec import to_item
from loyalty_aws.due import timestamp
from loyalty_aws.settings import Settings, settings
from loyalty_service.surveys import SurveyAnswer


class DynamoSurveyStore:
    def __init__(self, client: Any | None = None, config: Settings | None = None) -> None:
        self._client = client
        self._config = config

    @property
    def client(self) -> Any:
        return self._client or clients.dynamodb()

    def put(self, answer: SurveyAnswer) -> None:
        """A plain put: the same answer written twice (same account, same time) is one item."""
        self.client.put_item(
            TableName=(self._config or settings()).surveys_table,
            Item=to_item(
                {
                    "customer_id": answer.customer_id,
                    "answered_at": timestamp(answer.answered_at),
                    "score": answer.score,
                }
            ),
        )
