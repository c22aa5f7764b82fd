"""The process environment of an emulated AWS: dummy credentials, the region, nothing of a real account."""

from __future__ import annotations

import os

import boto3
import pytest

from sam_emulator.environment import environment, offline_aws


def test_environment_is_set_for_the_block_and_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN one variable set and one absent
    monkeypatch.setenv("SAM_EMULATOR_KEPT", "before")
    monkeypatch.setenv("SAM_EMULATOR_REMOVED", "before")
    monkeypatch.delenv("SAM_EMULATOR_ADDED", raising=False)
    # WHEN a block changes, adds and removes variables
    with environment({"SAM_EMULATOR_KEPT": "inside", "SAM_EMULATOR_ADDED": "inside"}, unset=["SAM_EMULATOR_REMOVED"]):
        inside = {
            name: os.environ.get(name) for name in ("KEPT", "ADDED", "REMOVED") for name in [f"SAM_EMULATOR_{name}"]
        }
    # THEN each was as asked inside, and is as before afterwards
    assert inside == {"SAM_EMULATOR_KEPT": "inside", "SAM_EMULATOR_ADDED": "inside", "SAM_EMULATOR_REMOVED": None}
    assert os.environ["SAM_EMULATOR_KEPT"] == os.environ["SAM_EMULATOR_REMOVED"] == "before"
    assert "SAM_EMULATOR_ADDED" not in os.environ


def test_offline_aws_keeps_a_real_account_out(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a shell configured for a real account
    for name, value in {
        "AWS_PROFILE": "production",
        "AWS_SESSION_TOKEN": "real-token",
        "AWS_ACCESS_KEY_ID": "AKIAREAL",
        "AWS_ENDPOINT_URL": "https://example.com",
        "AWS_ENDPOINT_URL_DYNAMODB": "https://dynamodb.example.com",
    }.items():
        monkeypatch.setenv(name, value)
    # WHEN boto3 is configured inside offline_aws, for moto's in-process mock (no endpoint)
    with offline_aws("eu-west-1"):
        session = boto3.Session()
        region, credentials = session.region_name, session.get_credentials()
        seen = {name: os.environ.get(name) for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL")}
        seen["AWS_ENDPOINT_URL_DYNAMODB"] = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
    # THEN only dummy credentials and the region are seen; everything comes back afterwards
    assert region == "eu-west-1"
    assert credentials is not None
    assert (credentials.access_key, credentials.token) == ("testing", None)
    assert set(seen.values()) == {None}
    assert os.environ["AWS_PROFILE"] == "production"
    assert os.environ["AWS_ENDPOINT_URL_DYNAMODB"] == "https://dynamodb.example.com"


def test_offline_aws_with_an_endpoint_points_every_client_at_it() -> None:
    with offline_aws("eu-west-1", "http://127.0.0.1:5000", extra={"TABLE": "items"}):
        client = boto3.client("sqs")
        assert os.environ["TABLE"] == "items"
    assert client.meta.endpoint_url == "http://127.0.0.1:5000"
    assert client.meta.region_name == "eu-west-1"
