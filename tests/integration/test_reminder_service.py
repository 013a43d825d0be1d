"""Reminder use cases on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.reminders import ReminderOccurrence
from bot.db.session import create_engine, create_session_factory
from bot.db.uow import SqlUnitOfWork
from bot.domain.clock import FixedClock
from bot.domain.commands import AddMedRequest, StockingsRequest
from bot.domain.reminders import Action, OccurrenceStatus, ReminderKind
from bot.services.errors import StorageUnavailable
from bot.services.reminders import (
    AnswerStatus,
    Outcome,
    PlanAdded,
    PlanOverlaps,
    ReminderService,
    StockingsSet,
    TimesChanged,
    TimezoneRequired,
)
from tests.integration.test_dispatcher import D0, D1, POLICY, T0, World, build_world, utc


@pytest.fixture
def world(engine: AsyncEngine) -> World:
    return build_world(engine, FixedClock(T0))


async def _pending(world: World, plan_id: int) -> list[tuple[date, time]]:
    async with world.engine.connect() as conn:
        rows = await conn.execute(
            select(ReminderOccurrence.local_date, ReminderOccurrence.local_time)
            .where(
                ReminderOccurrence.plan_id == plan_id, ReminderOccurrence.status == OccurrenceStatus.PENDING
            )
            .order_by(ReminderOccurrence.due_at)
        )
        return [(r[0], r[1]) for r in rows]


async def test_reminders_need_a_time_zone(world: World) -> None:
    await world.users.register(1, 1, "en")
    request = AddMedRequest(name="apixaban", dose="5 mg", times=(time(8),))
    assert isinstance(await world.reminders.add_medication(1, request), TimezoneRequired)
    assert isinstance(await world.reminders.add_medication(404, request), TimezoneRequired)
    stockings = StockingsRequest(on=time(7), off=time(21))
    assert isinstance(await world.reminders.set_stockings(1, stockings), TimezoneRequired)
    assert await world.reminders.list_plans(1) == []


async def test_add_confirms_the_plan_and_its_first_reminder(world: World) -> None:
    await world.user(1)
    outcome = await world.reminders.add_medication(
        1, AddMedRequest(name="Apixaban", dose="10 mg", times=(time(8), time(20)), last_day=D1)
    )
    assert isinstance(outcome, PlanAdded)
    assert outcome.plan.timezone == "Europe/Berlin"
    assert outcome.plan.dose == "10 mg"
    assert outcome.next_due == utc(D0, 7, 0)
    (listed,) = await world.reminders.list_plans(1)
    assert listed == outcome.plan
    # Materialised at once: the reminders exist before the first tick.
    # Lookahead 26 h from 05:00 UTC: up to 08:00 Berlin tomorrow, exclusive.
    assert await _pending(world, listed.plan_id) == [(D0, time(8)), (D0, time(20))]


async def test_a_plan_that_would_double_a_dose_slot_is_refused(world: World) -> None:
    await world.user(1)
    await world.add(1, "apixaban", time(8), time(20), dose="10 mg", last_day=D1)
    clash = await world.reminders.add_medication(
        1, AddMedRequest(name="APIXABAN", dose="5 mg", times=(time(20),))
    )
    assert isinstance(clash, PlanOverlaps)
    assert clash.existing.dose == "10 mg"
    # The next phase, starting after the first ends, is fine; so are other medicines and other times.
    for request in (
        AddMedRequest(
            name="apixaban", dose="5 mg", times=(time(8), time(20)), first_day=D1 + timedelta(days=1)
        ),
        AddMedRequest(name="warfarin", dose=None, times=(time(8),)),
        AddMedRequest(name="apixaban", dose=None, times=(time(12),)),
    ):
        assert isinstance(await world.reminders.add_medication(1, request), PlanAdded)


async def test_pause_cancels_open_reminders_and_resume_starts_from_now(world: World) -> None:
    await world.user(1)
    plan_id = await world.add(1, "apixaban", time(8), time(20))
    await world.tick(utc(D0, 7, 0))
    sent = world.sender.messages[0].reminder.occurrence_id
    paused = await world.reminders.pause(1, plan_id)
    assert paused is not None
    assert not paused.active
    assert await _pending(world, plan_id) == []
    assert (await world.reminders.record_taken(1, sent)).status is AnswerStatus.GONE
    await world.run(utc(D0, 7, 5), utc(D0, 20, 0), step=timedelta(hours=1))
    assert len(world.sender.messages) == 1
    world.clock.set(utc(D0, 20, 0))
    resumed = await world.reminders.resume(1, plan_id)
    assert resumed is not None
    assert resumed.active
    # 21:00 in Berlin: today's 20:00 is not brought back.
    assert await _pending(world, plan_id) == [(D1, time(8)), (D1, time(20))]


async def test_plans_belong_to_their_user(world: World) -> None:
    await world.user(1)
    await world.user(2)
    plan_id = await world.add(1, "apixaban", time(8))
    assert await world.reminders.pause(2, plan_id) is None
    assert await world.reminders.delete(2, plan_id) is None
    assert await world.reminders.change_times(2, plan_id, (time(9),)) is None
    assert await world.reminders.get_plan(2, plan_id) is None
    assert [p.active for p in await world.reminders.list_plans(1)] == [True]


async def test_delete_hides_the_plan_but_keeps_its_history(world: World) -> None:
    await world.user(1)
    plan_id = await world.add(1, "apixaban", time(8))
    await world.tick(utc(D0, 7, 0))
    await world.reminders.record_taken(1, world.sender.messages[0].reminder.occurrence_id)
    assert await world.reminders.delete(1, plan_id) is not None
    assert await world.reminders.list_plans(1) == []
    assert await world.reminders.delete(1, plan_id) is None
    export = await world.reminders.export(1)
    assert [e.outcome for e in export.log] == [Outcome.TAKEN]


async def test_new_times_start_today_when_nothing_was_reminded_yet(world: World) -> None:
    await world.user(1)
    plan_id = await world.add(1, "apixaban", time(8), time(20))
    change = await world.reminders.change_times(1, plan_id, (time(9), time(21)))
    assert isinstance(change, TimesChanged)
    assert change.starts_today
    assert await _pending(world, plan_id) == [(D0, time(9)), (D0, time(21))]


async def test_new_times_wait_for_tomorrow_once_a_dose_was_reminded_today(world: World) -> None:
    await world.user(1)
    plan_id = await world.add(1, "apixaban", time(8), time(20))
    await world.tick(utc(D0, 7, 0))
    world.clock.set(utc(D0, 8, 0))
    change = await world.reminders.change_times(1, plan_id, (time(10), time(22)))
    assert isinstance(change, TimesChanged)
    assert not change.starts_today
    assert change.from_day == D1
    # Today's 10:00 would be a second morning dose: today keeps 20:00; tomorrow has the new times.
    assert await _pending(world, plan_id) == [(D0, time(20)), (D1, time(10))]


async def test_stockings_replace_the_previous_pair(world: World) -> None:
    await world.user(1)
    first = await world.reminders.set_stockings(1, StockingsRequest(on=time(7), off=time(21)))
    second = await world.reminders.set_stockings(1, StockingsRequest(on=time(7, 30), off=time(22)))
    assert isinstance(first, StockingsSet)
    assert isinstance(second, StockingsSet)
    plans = await world.reminders.list_plans(1)
    assert [(p.kind, p.times) for p in plans] == [
        (ReminderKind.STOCKINGS_ON, (time(7, 30),)),
        (ReminderKind.STOCKINGS_OFF, (time(22),)),
    ]
    await world.tick(utc(D0, 6, 30))
    assert [m.reminder.kind for m in world.sender.messages] == [ReminderKind.STOCKINGS_ON]
    assert await _pending(world, first.on.plan_id) == []


async def test_skip_and_taken_after_missed(world: World) -> None:
    await world.user(1)
    await world.add(1, "apixaban", time(8), time(20))
    await world.tick(utc(D0, 7, 0))
    morning = world.sender.messages[0].reminder.occurrence_id
    skipped = await world.reminders.record_skip(1, morning)
    assert skipped.status is AnswerStatus.RECORDED
    again = await world.reminders.record_skip(1, morning)
    assert (again.status, again.previous) == (AnswerStatus.CLOSED, OccurrenceStatus.SKIPPED)
    await world.run(utc(D0, 19, 0), utc(D0, 23, 0), step=timedelta(minutes=30))
    evening = world.sender.messages[-1]
    assert evening.action is Action.MARK_MISSED
    world.clock.set(utc(D0, 23, 10))
    late = await world.reminders.record_taken(1, evening.reminder.occurrence_id)
    assert (late.status, late.previous) == (AnswerStatus.RECORDED, OccurrenceStatus.MISSED)


async def test_history_counts_each_outcome_per_local_day(world: World) -> None:
    await world.user(1)
    await world.add(1, "apixaban", time(8), time(20))
    await world.tick(utc(D0, 7, 0))
    world.clock.set(utc(D0, 7, 5))
    await world.reminders.record_taken(1, world.sender.messages[-1].reminder.occurrence_id)  # on time
    await world.tick(utc(D0, 19, 0))
    await world.reminders.record_skip(1, world.sender.messages[-1].reminder.occurrence_id)
    await world.tick(utc(D1, 7, 0))
    world.clock.set(utc(D1, 8, 0))
    await world.reminders.record_taken(1, world.sender.messages[-1].reminder.occurrence_id)  # an hour late
    await world.run(utc(D1, 19, 0), utc(D1, 23, 30), step=timedelta(minutes=30))  # evening missed
    world.clock.set(utc(D1, 23, 45))
    history = await world.reminders.history(1)
    assert len(history.days) == 14
    assert history.days[-1].day == date(2026, 11, 29)  # 00:45 in Berlin
    by_day = {d.day: (d.taken, d.late, d.missed, d.skipped) for d in history.days}
    assert by_day[D0] == (1, 0, 0, 1)
    assert by_day[D1] == (0, 1, 1, 0)
    assert not history.empty


async def test_export_has_profile_plans_and_log(world: World) -> None:
    await world.user(1)
    await world.add(1, "apixaban", time(8), dose="5 mg")
    await world.tick(utc(D0, 7, 0))
    await world.reminders.record_taken(1, world.sender.messages[0].reminder.occurrence_id)
    data = await world.reminders.export(1)
    assert data.profile is not None
    assert data.profile.timezone == "Europe/Berlin"
    assert [(p.name, p.dose) for p in data.plans] == [("apixaban", "5 mg")]
    (entry,) = data.log  # upcoming reminders are not part of the log
    assert (entry.outcome, entry.answered_at, entry.sent_at) == (Outcome.TAKEN, utc(D0, 7, 0), utc(D0, 7, 0))


async def test_a_dead_database_is_reported_as_storage_unavailable(engine: AsyncEngine) -> None:
    dead = create_session_factory(create_engine("postgresql://nobody@127.0.0.1:1/none"))
    service = ReminderService(lambda: SqlUnitOfWork(dead), FixedClock(T0), POLICY)
    with pytest.raises(StorageUnavailable):
        await service.list_plans(1)
    with pytest.raises(StorageUnavailable):
        await service.record_taken(1, 1)
