"""Business metrics of a decision: orders scored, points awarded and redeemed, codes rejected by reason."""

from __future__ import annotations

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from loyalty.decision import Decision


def record_decision(metrics: Metrics, decision: Decision, *, committed: bool) -> None:
    metrics.add_metric(name="OrdersCommitted" if committed else "OrdersPreviewed", unit=MetricUnit.Count, value=1)
    if committed:
        metrics.add_metric(name="PointsAwarded", unit=MetricUnit.Count, value=decision.points)
        metrics.add_metric(name="PointsRedeemed", unit=MetricUnit.Count, value=decision.points_redeemed)
    for rejected in decision.rejected_codes:
        metrics.add_metric(name=f"CodesRejected_{rejected.reason}", unit=MetricUnit.Count, value=1)
