"""The control routes (``/_local/*``) on the stub stack: health, jobs on demand with their SQS fan-out, the outbox."""

from __future__ import annotations

import sys

import boto3
import pytest

from sam_emulator.emulator import Emulator
from sam_emulator.testing import Http

pytestmark = pytest.mark.e2e


def test_health_is_200_once_the_stack_is_ready(stub_http: Http) -> None:
    reply = stub_http.get("/_local/health", anonymous=True)
    assert reply.status == 200
    assert reply.body["status"] == "ready"


def test_health_is_503_before_the_stack_is_ready(stub: Emulator, stub_http: Http) -> None:
    stub.ready = False
    assert stub_http.get("/_local/health").status == 503
    assert stub_http.get("/items/1").status == 503


def test_unknown_job_is_404_listing_the_jobs_the_template_declares(stub_http: Http) -> None:
    reply = stub_http.post("/_local/jobs/nightly", {"time": "2026-11-21T02:00:00Z"}, anonymous=True)
    assert reply.status == 404
    assert reply.body["error"]["code"] == "not_found"
    assert reply.body["jobs"] == ["job"]


def test_job_time_must_be_an_iso_instant(stub_http: Http) -> None:
    reply = stub_http.post("/_local/jobs/job", {"time": "tomorrow night"})
    assert reply.status == 422
    assert reply.body["error"]["code"] == "validation_error"


def test_job_runs_with_the_scheduled_event_for_the_time_given(stub_http: Http) -> None:
    # WHEN the job named after JobFunction (schedule cron(0 2 * * ? *)) is run for a given time
    reply = stub_http.post("/_local/jobs/job", {"time": "2026-11-21T02:00:00+00:00"})
    # THEN it received EventBridge's Scheduled Event for that time, and read the template's secret
    assert reply.status == 200
    summary = reply.body
    assert summary["function"] == "JobFunction"
    event = summary["event"]
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["time"] == "2026-11-21T02:00:00Z"
    assert event["resources"] == ["arn:aws:events:eu-central-1:123456789012:rule/local-JobFunction-Nightly"]
    assert event["detail"] == {}
    assert summary["result"] == {"time": "2026-11-21T02:00:00Z", "resources": event["resources"], "secret_length": 40}


def test_job_fan_out_is_drained_with_partial_batch_failures_and_dead_letters(stub: Emulator, stub_http: Http) -> None:
    # GIVEN a job that enqueues ok-1, ok-2, fail-1, ok-3 for a worker with BatchSize 2, maxReceiveCount 2
    # WHEN the job runs
    fan_out = stub_http.post("/_local/jobs/job", {"time": "2026-11-21T02:00:00Z"}).body["fan_out"]
    # THEN the worker got batches of at most 2; the failing message was retried once, then dead-lettered
    assert fan_out["processed"] == 3
    assert fan_out["retried"] == 1
    assert fan_out["dead_lettered"] == 1
    assert fan_out["failed"] == 1
    batches = sys.modules[stub.functions["WorkerFunction"].load().__name__].BATCHES
    assert all(1 <= len(batch) <= 2 for batch in batches)
    assert sorted(body for batch in batches for body in batch) == ["fail-1", "fail-1", "ok-1", "ok-2", "ok-3"]
    sqs = boto3.client("sqs", region_name=stub.stack.region)
    dead = sqs.receive_message(QueueUrl=stub.stack.queue_url("WorkDeadLetterQueue"), MaxNumberOfMessages=10)
    assert [message["Body"] for message in dead["Messages"]] == ["fail-1"]
    left = sqs.receive_message(QueueUrl=stub.stack.queue_url("WorkQueue"), MaxNumberOfMessages=10)
    assert "Messages" not in left


def test_jobs_lists_the_declared_schedules(stub_http: Http) -> None:
    (job,) = stub_http.get("/_local/jobs").body["jobs"]
    assert job == {
        "name": "job",
        "function": "JobFunction",
        "schedule": "local-JobFunction-Nightly",
        "expression": "cron(0 2 * * ? *)",
        "enabled": True,
    }


def test_outbox_lists_the_emails_sent_through_ses_v1_and_v2(stub_http: Http) -> None:
    # GIVEN a function that sends a simple email (SES v1) and a raw MIME email (SES v2)
    assert stub_http.post("/mail").status == 202
    # WHEN the outbox is read
    first, second = stub_http.get("/_local/outbox").body
    # THEN both are there, with recipients, subject and their parts
    assert first["to"] == ["first@example.com"]
    assert first["subject"] == "Sent with SES v1"
    assert first["text"] == "plain text only"
    assert first["html"] is None
    assert second["to"] == ["second@example.com"]
    assert second["subject"] == "Sent with SES v2"
    assert second["text"].strip() == "the text part"
    assert second["html"].strip() == "<p>the html part</p>"
    assert second["headers"]["List-Unsubscribe"] == "<http://localhost/unsubscribe?token=t>"


def test_outbox_is_empty_before_any_email(stub_http: Http) -> None:
    assert stub_http.get("/_local/outbox").body == []


def test_local_routes_answer_405_for_other_methods(stub_http: Http) -> None:
    assert stub_http.delete("/_local/outbox").status == 405
