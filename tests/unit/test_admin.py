"""Program versions: validated first, staged or in force at once, rolled back; races retried."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from loyalty.errors import InvalidInput, NotFound
from loyalty_service.admin import ConcurrentActivation, ProgramAdmin
from loyalty_service.programs import ProgramSource
from tests.fakes import InMemoryProgramStore
from tests.unit.builders import at, spec_document

NOW = at("2026-11-20T10:00:00Z")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def admin(versions: InMemoryProgramStore, clock: Clock | None = None) -> ProgramAdmin:
    clock = clock or Clock(NOW)
    return ProgramAdmin(ProgramSource(versions, clock=clock), clock=clock, pause=lambda _: None)


def test_a_lost_race_is_retried_as_the_next_version() -> None:
    versions = InMemoryProgramStore(lost_races=2)

    stored = admin(versions).activate(spec_document(), by="ops")

    assert (stored.version, stored.status, stored.activated_at, stored.activated_by) == (1, "active", NOW, "ops")


def test_an_activation_that_keeps_losing_is_a_conflict() -> None:
    with pytest.raises(ConcurrentActivation):
        admin(InMemoryProgramStore(lost_races=10)).activate(spec_document(), by="ops")


def test_an_invalid_document_is_refused_before_anything_is_stored() -> None:
    versions = InMemoryProgramStore()

    with pytest.raises(InvalidInput) as refused:
        admin(versions).activate({**spec_document(), "point_value": "0"}, by="ops")

    assert [detail.field for detail in refused.value.details] == ["point_value"]
    assert versions.stored == {}


def test_a_staging_time_in_the_past_is_refused_on_its_field() -> None:
    with pytest.raises(InvalidInput) as refused:
        admin(InMemoryProgramStore()).activate({**spec_document(), "activates_at": "2026-11-20T09:00:00Z"}, by="ops")

    assert [detail.field for detail in refused.value.details] == ["activates_at"]


def test_a_staging_time_without_a_zone_is_refused_on_its_field() -> None:
    with pytest.raises(InvalidInput) as refused:
        admin(InMemoryProgramStore()).activate({**spec_document(), "activates_at": "2026-12-01T00:00:00"}, by="ops")

    assert [detail.field for detail in refused.value.details] == ["activates_at"]


def test_a_staged_version_is_scheduled_until_its_instant_then_in_force_with_no_job() -> None:
    # GIVEN version 1 in force and version 2 staged for midnight
    versions = InMemoryProgramStore()
    clock = Clock(NOW)
    programs = admin(versions, clock)
    programs.activate(spec_document(), by="ops")
    staged = programs.activate({**spec_document(), "name": "Winter", "activates_at": "2026-12-01T00:00:00Z"}, by="pm")
    source = ProgramSource(versions, clock=clock)
    # THEN before midnight it is scheduled, and version 1 scores
    assert (staged.version, staged.status, staged.activated_at) == (2, "scheduled", None)
    assert source.active().version == 1
    # WHEN midnight comes
    clock.now = at("2026-12-01T00:00:00Z")
    # THEN version 2 scores, and the listing says so
    assert source.active().program.name == "Winter"
    assert [(view.version, view.status) for view in programs.versions()] == [(2, "active"), (1, "retired")]
    assert programs.version(2).activated_at == at("2026-12-01T00:00:00Z")
    assert programs.version(2).activates_at == at("2026-12-01T00:00:00Z")


def test_a_later_put_replaces_a_staged_version_that_has_not_begun() -> None:
    versions = InMemoryProgramStore()
    programs = admin(versions)
    programs.activate(spec_document(), by="ops")
    programs.activate({**spec_document(), "activates_at": "2026-12-01T00:00:00Z"}, by="pm")

    programs.activate({**spec_document(), "name": "Now"}, by="pm")

    assert [(view.version, view.status) for view in programs.versions()] == [
        (3, "active"),
        (2, "retired"),
        (1, "retired"),
    ]
    assert ProgramSource(versions, clock=lambda: at("2026-12-02T00:00:00Z")).active().version == 3


def test_a_rollback_puts_an_earlier_version_back_in_force_now_and_names_who_did_it() -> None:
    versions = InMemoryProgramStore()
    clock = Clock(NOW)
    programs = admin(versions, clock)
    programs.activate(spec_document(), by="ops")
    programs.activate({**spec_document(), "name": "Broken"}, by="pm")
    clock.now = NOW + timedelta(hours=1)

    restored = programs.rollback(1, by="ops-oncall")

    assert (restored.version, restored.status, restored.activated_at, restored.activated_by) == (
        1,
        "active",
        NOW + timedelta(hours=1),
        "ops-oncall",
    )
    assert ProgramSource(versions, clock=clock).active().version == 1
    assert programs.version(2).status == "retired"


def test_a_rollback_to_a_version_never_stored_is_not_found() -> None:
    programs = admin(InMemoryProgramStore())
    programs.activate(spec_document(), by="ops")

    with pytest.raises(NotFound):
        programs.rollback(7, by="ops")


def test_documents_are_read_once_per_version_and_the_timeline_on_every_request() -> None:
    versions = InMemoryProgramStore()
    admin(versions).activate(spec_document(), by="ops")
    source = ProgramSource(versions, clock=lambda: NOW)
    versions.reads = {"timeline": 0, "version": 0}

    for _ in range(3):
        source.active()

    assert versions.reads == {"timeline": 3, "version": 1}


def test_the_timeline_every_request_reads_stays_small_while_each_version_keeps_its_history() -> None:
    # GIVEN fifty versions stored one hour apart, then a rollback to the first
    versions = InMemoryProgramStore()
    clock = Clock(NOW)
    programs = admin(versions, clock)
    for number in range(50):
        clock.now = NOW + timedelta(hours=number)
        programs.activate({**spec_document(), "name": f"Program {number}"}, by="ops")
    clock.now = NOW + timedelta(hours=50)
    programs.rollback(1, by="ops-oncall")

    # THEN the timeline holds what decides the version in force, not every activation
    assert versions.current is not None
    assert [entry.version for entry in versions.current.activations] == [1]
    # AND every version still says when it last came into force
    assert programs.version(2).activated_at == NOW + timedelta(hours=1)
    assert programs.version(1).activated_at == NOW + timedelta(hours=50)
    assert [entry.by for entry in versions.stored[1].activations] == ["ops", "ops-oncall"]


def test_a_replaced_staging_leaves_no_activation_on_the_version_that_never_began() -> None:
    versions = InMemoryProgramStore()
    clock = Clock(NOW)
    programs = admin(versions, clock)
    programs.activate(spec_document(), by="ops")
    programs.activate({**spec_document(), "activates_at": "2026-12-01T00:00:00Z"}, by="pm")
    programs.activate(spec_document(), by="pm")

    clock.now = at("2026-12-02T00:00:00Z")

    assert (programs.version(2).status, programs.version(2).activated_at) == ("retired", None)
    assert versions.stored[2].activations == ()
