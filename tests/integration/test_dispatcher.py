"""The reminder tick on a real database (SQLite and PostgreSQL): nothing lost, late or doubled."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.reminders import ReminderOccurrence, ReminderPlan
from bot.db.session import create_session_factory
from bot.db.uow import SqlUnitOfWork
from bot.domain.clock import FixedClock
from bot.domain.commands import AddMedRequest, StockingsRequest
from bot.domain.reminders import Action, OccurrenceStatus, OccurrenceView, ReminderPolicy, decide
from bot.services.dispatcher import (
    SENT,
    Dispatcher,
    MissedSummary,
    ReminderMessage,
    SendOutcome,
    SendResult,
    TickReport,
)
from bot.services.reminders import AnswerStatus, PlanAdded, ReminderService, next_action_time
from bot.services.users import UserService

BERLIN = "Europe/Berlin"
T0 = datetime(2026, 11, 27, 5, 0, tzinfo=UTC)  # 06:00 in Berlin
POLICY = ReminderPolicy()


@dataclass
class FakeSender:
    """Records what would reach Telegram; per-user results simulate blocked users and outages."""

    messages: list[ReminderMessage] = field(default_factory=list)
    summaries: list[MissedSummary] = field(default_factory=list)
    results: dict[int, SendResult] = field(default_factory=dict)

    async def send_reminder(self, message: ReminderMessage) -> SendResult:
        result = self.results.get(message.user_id, SENT)
        if result.outcome is SendOutcome.SENT:
            self.messages.append(message)
        return result

    async def send_missed_summary(self, summary: MissedSummary) -> SendResult:
        result = self.results.get(summary.user_id, SENT)
        if result.outcome is SendOutcome.SENT:
            self.summaries.append(summary)
        return result

    def actions(self) -> list[tuple[Action, time, date]]:
        return [(m.action, m.reminder.local_time, m.reminder.local_date) for m in self.messages]


@dataclass
class World:
    """Services on one database, as the composition root wires them."""

    engine: AsyncEngine
    clock: FixedClock
    users: UserService
    reminders: ReminderService
    dispatcher: Dispatcher
    sender: FakeSender

    async def tick(self, at: datetime | None = None) -> TickReport:
        if at is not None:
            self.clock.set(at)
        return await self.dispatcher.tick(self.clock.now(), self.sender)

    async def run(self, start: datetime, end: datetime, step: timedelta = timedelta(minutes=5)) -> TickReport:
        total = TickReport()
        at = start
        while at <= end:
            total = total + await self.tick(at)
            at += step
        return total

    async def user(self, user_id: int, zone: str = BERLIN) -> None:
        await self.users.set_timezone(user_id, user_id, zone)

    async def add(self, user_id: int, name: str, *times: time, dose: str | None = None, **days: date) -> int:
        outcome = await self.reminders.add_medication(
            user_id, AddMedRequest(name=name, dose=dose, times=tuple(times), **days)
        )
        assert isinstance(outcome, PlanAdded), outcome
        return outcome.plan.plan_id

    async def statuses(self, user_id: int | None = None) -> list[tuple[date, time, str]]:
        async with self.engine.connect() as conn:
            query = select(
                ReminderOccurrence.local_date, ReminderOccurrence.local_time, ReminderOccurrence.status
            )
            if user_id is not None:
                query = query.where(ReminderOccurrence.user_id == user_id)
            rows = await conn.execute(query.order_by(ReminderOccurrence.due_at, ReminderOccurrence.id))
            return [(r[0], r[1], r[2]) for r in rows]

    async def occurrence_id(self, user_id: int, local_date: date, local_time: time) -> int:
        async with self.engine.connect() as conn:
            found = await conn.scalar(
                select(ReminderOccurrence.id).where(
                    ReminderOccurrence.user_id == user_id,
                    ReminderOccurrence.local_date == local_date,
                    ReminderOccurrence.local_time == local_time,
                )
            )
        assert found is not None
        return int(found)


def build_world(
    engine: AsyncEngine, clock: FixedClock, policy: ReminderPolicy = POLICY, **kwargs: Any
) -> World:
    factory = create_session_factory(engine)
    users = UserService(lambda: SqlUnitOfWork(factory), clock)
    reminders = ReminderService(
        lambda: SqlUnitOfWork(factory), clock, policy, on_forget=[users.forget_cached]
    )
    users.on_timezone_changed(reminders.on_timezone_changed)
    dispatcher = Dispatcher(lambda: SqlUnitOfWork(factory), policy, on_blocked=users.deactivate, **kwargs)
    return World(engine, clock, users, reminders, dispatcher, FakeSender())


@pytest.fixture
def world(engine: AsyncEngine) -> World:
    return build_world(engine, FixedClock(T0))


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


D0 = date(2026, 11, 27)
D1 = date(2026, 11, 28)
D2 = date(2026, 11, 29)


async def test_a_due_dose_is_sent_once_with_its_scheduled_time(world: World) -> None:
    await world.user(1)
    await world.add(1, "apixaban", time(8), dose="5 mg")
    assert (await world.tick(utc(D0, 6, 59))).sent == 0
    report = await world.tick(utc(D0, 7, 0))
    assert report.sent == 1
    again = await world.tick(
        utc(
            D0,
            7,
            0,
        )
    )
    assert again.claimed == 0
    (message,) = world.sender.messages
    assert message.action is Action.SEND
    assert (message.reminder.name, message.reminder.dose, message.reminder.local_time) == (
        "apixaban",
        "5 mg",
        time(8),
    )
    assert message.chat_id == 1
    assert message.snooze_minutes == POLICY.snooze_choices


async def test_reminders_go_to_the_private_chat_even_after_talking_in_a_group(world: World) -> None:
    await world.user(1)
    await world.users.register(1, -100123, "en")  # the user last wrote to the bot in a group
    await world.add(1, "apixaban", time(8))
    await world.tick(utc(D0, 7, 0))
    assert [m.chat_id for m in world.sender.messages] == [1]


async def test_follow_up_exactly_once_then_missed_with_safe_wording(world: World) -> None:
    await world.user(1)
    await world.add(1, "rivaroxaban", time(8))
    await world.run(utc(D0, 7, 0), utc(D0, 11, 30), step=timedelta(minutes=1))
    actions = [a for a, _, _ in world.sender.actions()]
    assert actions == [Action.SEND, Action.SEND_FOLLOW_UP, Action.MARK_MISSED]
    follow_up = world.sender.messages[1]
    assert follow_up.reminder.local_time == time(8)
    assert (await world.statuses(1))[0][2] == OccurrenceStatus.MISSED


async def test_follow_up_comes_at_the_configured_minute(engine: AsyncEngine) -> None:
    policy = ReminderPolicy(follow_up_after=timedelta(minutes=20), missed_after=timedelta(minutes=90))
    world = build_world(engine, FixedClock(T0), policy)
    await world.user(1)
    await world.add(1, "apixaban", time(8))
    await world.tick(utc(D0, 7, 0))
    assert (await world.tick(utc(D0, 7, 19))).follow_ups == 0
    assert (await world.tick(utc(D0, 7, 20))).follow_ups == 1
    assert (await world.tick(utc(D0, 8, 29))).missed == 0
    assert (await world.tick(utc(D0, 8, 30))).missed == 1


async def test_missed_is_never_later_than_the_next_dose(world: World) -> None:
    await world.user(1)
    await world.add(1, "enoxaparin", time(8), time(10))
    await world.run(utc(D0, 7, 0), utc(D0, 8, 59), step=timedelta(minutes=1))
    assert [a for a, _, _ in world.sender.actions()] == [Action.SEND, Action.SEND_FOLLOW_UP]
    # 10:00 Berlin: the 08:00 dose is missed at the moment the 10:00 one falls due, not four hours later.
    await world.tick(utc(D0, 9, 0))
    assert world.sender.actions()[2:] == [(Action.MARK_MISSED, time(8), D0), (Action.SEND, time(10), D0)]


async def test_taken_stops_follow_up_and_a_second_taken_changes_nothing(world: World) -> None:
    await world.user(1)
    await world.add(1, "apixaban", time(8), dose="5 mg")
    await world.tick(utc(D0, 7, 0))
    occ = world.sender.messages[0].reminder.occurrence_id
    world.clock.set(utc(D0, 7, 3))
    first = await world.reminders.record_taken(1, occ)
    assert first.status is AnswerStatus.RECORDED
    assert first.at == utc(D0, 7, 3)
    world.clock.set(utc(D0, 7, 40))
    second = await world.reminders.record_taken(1, occ)
    assert second.status is AnswerStatus.ALREADY_TAKEN
    assert second.at == utc(D0, 7, 3)
    await world.run(utc(D0, 7, 5), utc(D0, 12, 0))
    assert len(world.sender.messages) == 1
    assert (await world.statuses(1))[0][2] == OccurrenceStatus.TAKEN


async def test_concurrent_taken_presses_record_one_dose(engine: AsyncEngine) -> None:
    world = build_world(engine, FixedClock(T0))
    await world.user(1)
    await world.add(1, "apixaban", time(8))
    await world.tick(utc(D0, 7, 0))
    occ = world.sender.messages[0].reminder.occurrence_id
    # Separate service objects, separate sessions: as if two app instances handled the two presses.
    others = [build_world(engine, world.clock) for _ in range(6)]
    results = await asyncio.gather(*(w.reminders.record_taken(1, occ) for w in others))
    statuses = sorted(r.status for r in results)
    assert statuses.count(AnswerStatus.RECORDED) == 1
    assert statuses.count(AnswerStatus.ALREADY_TAKEN) == 5


async def test_someone_elses_reminder_changes_nothing(world: World) -> None:
    await world.user(1)
    await world.user(2)
    await world.add(1, "apixaban", time(8))
    await world.tick(utc(D0, 7, 0))
    occ = world.sender.messages[0].reminder.occurrence_id
    for answer in (
        world.reminders.record_taken(2, occ),
        world.reminders.record_skip(2, occ),
        world.reminders.snooze(2, occ, 15),
        world.reminders.record_taken(2, 999_999),
    ):
        assert (await answer).status is AnswerStatus.NOT_FOUND
    assert (await world.statuses(1))[0][2] == OccurrenceStatus.SENT


async def test_snooze_brings_it_back_once(world: World) -> None:
    await world.user(1)
    await world.add(1, "apixaban", time(8))
    await world.tick(utc(D0, 7, 0))
    occ = world.sender.messages[0].reminder.occurrence_id
    world.clock.set(utc(D0, 7, 2))
    assert (await world.reminders.snooze(1, occ, 7)).status is AnswerStatus.INVALID
    snoozed = await world.reminders.snooze(1, occ, 15)
    assert snoozed.status is AnswerStatus.RECORDED
    assert snoozed.at == utc(D0, 7, 17)
    await world.run(utc(D0, 7, 3), utc(D0, 7, 46), step=timedelta(minutes=1))
    assert [a for a, _, _ in world.sender.actions()] == [Action.SEND, Action.RESEND_SNOOZED]
    assert world.sender.messages[1].reminder.occurrence_id == occ
    # The follow-up counts from the snoozed delivery.
    await world.tick(utc(D0, 7, 47))
    assert [a for a, _, _ in world.sender.actions()][-1] is Action.SEND_FOLLOW_UP


async def test_snooze_cannot_run_past_the_next_dose(world: World) -> None:
    await world.user(1)
    await world.add(1, "apixaban", time(8), time(9))
    await world.tick(utc(D0, 7, 0))
    occ = world.sender.messages[0].reminder.occurrence_id
    world.clock.set(utc(D0, 7, 50))
    assert (await world.reminders.snooze(1, occ, 10)).status is AnswerStatus.INVALID
    assert world.sender.messages[0].snooze_minutes == (10, 15, 30)


async def test_spring_forward_gap_reminds_at_the_end_of_the_gap_once(world: World) -> None:
    await world.user(1)
    world.clock.set(datetime(2026, 3, 28, 12, 0, tzinfo=UTC))
    await world.add(1, "warfarin", time(2, 30))
    spring = date(2026, 3, 29)
    await world.run(datetime(2026, 3, 28, 23, 0, tzinfo=UTC), datetime(2026, 3, 29, 3, 0, tzinfo=UTC))
    sends = [m for m in world.sender.messages if m.action is Action.SEND]
    assert [(m.reminder.local_date, m.reminder.due_at) for m in sends] == [
        (spring, datetime(2026, 3, 29, 1, 0, tzinfo=UTC))  # 03:00 CEST, the first instant after the gap
    ]


async def test_autumn_overlap_reminds_once_at_the_first_0230(world: World) -> None:
    await world.user(1)
    world.clock.set(datetime(2026, 10, 24, 12, 0, tzinfo=UTC))
    await world.add(1, "warfarin", time(2, 30))
    autumn = date(2026, 10, 25)
    await world.run(datetime(2026, 10, 24, 22, 0, tzinfo=UTC), datetime(2026, 10, 25, 6, 0, tzinfo=UTC))
    on_the_day = [m for m in world.sender.messages if m.reminder.local_date == autumn]
    assert [m.action for m in on_the_day] == [Action.SEND, Action.SEND_FOLLOW_UP, Action.MARK_MISSED]
    assert on_the_day[0].reminder.due_at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST


async def test_restart_with_new_objects_continues_without_loss_or_duplicates(engine: AsyncEngine) -> None:
    clock = FixedClock(T0)
    first = build_world(engine, clock)
    for user_id in range(1, 6):
        await first.user(user_id)
        await first.add(user_id, "apixaban", time(8), time(20))
    await first.tick(utc(D0, 7, 0))
    assert len(first.sender.messages) == 5
    second = build_world(engine, clock)  # a new process on the same database
    await second.run(utc(D0, 7, 5), utc(D0, 19, 0))
    sends = [m for m in first.sender.messages + second.sender.messages if m.action is Action.SEND]
    keys = [(m.user_id, m.reminder.local_date, m.reminder.local_time) for m in sends]
    assert len(keys) == len(set(keys)) == 10


async def test_a_crash_mid_send_is_retried_after_the_lease(engine: AsyncEngine) -> None:
    clock = FixedClock(T0)
    first = build_world(engine, clock)
    await first.user(1)
    await first.add(1, "apixaban", time(8))
    started, never = asyncio.Event(), asyncio.Event()

    class HangingSender(FakeSender):
        async def send_reminder(self, message: ReminderMessage) -> SendResult:
            started.set()
            await never.wait()
            return SENT

    clock.set(utc(D0, 7, 0))
    crashed = asyncio.create_task(first.dispatcher.tick(clock.now(), HangingSender()))
    await started.wait()
    crashed.cancel()  # the process dies while Telegram is being called
    with pytest.raises(asyncio.CancelledError):
        await crashed
    second = build_world(engine, clock)
    assert (await second.tick(utc(D0, 7, 1))).claimed == 0  # still leased to the dead process
    report = await second.tick(utc(D0, 7, 0) + POLICY.claim_lease)
    assert report.sent == 1
    assert len(second.sender.messages) == 1


async def test_downtime_sends_the_latest_late_and_summarises_the_rest_once(world: World) -> None:
    for user_id in (1, 2):
        await world.user(user_id)
        await world.add(user_id, "apixaban", time(8), time(20), dose="5 mg")
    await world.tick(utc(D0, 5, 0))
    # Down from 06:00 on day 0 until 08:10 (Berlin) on day 2.
    report = await world.tick(utc(D2, 7, 10))
    assert report.late == 2
    assert report.summaries == 2
    assert report.missed == 8
    late = world.sender.messages
    assert {(m.action, m.reminder.local_date, m.reminder.local_time) for m in late} == {
        (Action.SEND_LATE, D2, time(8))
    }
    for summary in world.sender.summaries:
        assert [(i.local_date, i.local_time) for i in summary.items] == [
            (D0, time(8)),
            (D0, time(20)),
            (D1, time(8)),
            (D1, time(20)),
        ]
    again = await world.tick(utc(D2, 7, 11))
    assert again.summaries == 0
    assert again.late == 0
    assert len(world.sender.summaries) == 2


async def test_downtime_longer_than_the_lookahead_drops_nothing(world: World) -> None:
    await world.user(1)
    await world.add(1, "dabigatran", time(8))
    await world.tick(utc(D0, 5, 0))
    report = await world.tick(datetime(2026, 12, 27, 7, 2, tzinfo=UTC))
    (summary,) = world.sender.summaries
    assert len(summary.items) == 30  # 27 Nov .. 26 Dec, every one accounted for
    assert report.sent == 1  # today's is due now (two minutes ago counts as on time)


async def test_time_zone_change_moves_future_pending_reminders(world: World) -> None:
    await world.user(1)
    await world.add(1, "apixaban", time(8))
    await world.tick(utc(D0, 7, 0))  # today's 08:00 Berlin delivered
    world.clock.set(utc(D0, 9, 0))  # 10:00 in Berlin, 04:00 in New York
    await world.users.set_timezone(1, 1, "America/New_York")
    await world.tick(utc(D1, 5, 0))
    async with world.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(
                    ReminderOccurrence.local_date, ReminderOccurrence.due_at, ReminderOccurrence.status
                ).order_by(ReminderOccurrence.due_at)
            )
        ).all()
    new_york = ZoneInfo("America/New_York")
    # Delivered in Berlin (and missed since, unanswered): left alone, not duplicated.
    assert [(r[0], r[2]) for r in rows if r[0] == D0] == [(D0, OccurrenceStatus.MISSED)]
    pending = [r for r in rows if r[2] == OccurrenceStatus.PENDING]
    # Today's 08:00 was already reminded in Berlin, so it is not created again for New York.
    assert [r[0] for r in pending] == [D1]
    assert all(r[1].astimezone(new_york).time() == time(8) for r in pending)


async def test_blocked_user_has_plans_paused_and_is_not_retried(world: World) -> None:
    await world.user(1)
    await world.user(2)
    await world.add(1, "apixaban", time(8))
    await world.add(2, "apixaban", time(8))
    world.sender.results[1] = SendResult(SendOutcome.BLOCKED)
    report = await world.tick(utc(D0, 7, 0))
    assert (report.blocked, report.sent) == (1, 1)
    profile = await world.users.profile(1)
    assert profile is not None
    assert not profile.active
    assert [p.active for p in await world.reminders.list_plans(1)] == [False]
    await world.run(utc(D0, 7, 5), utc(D1, 12, 0), step=timedelta(minutes=30))
    assert all(m.user_id == 2 for m in world.sender.messages)
    assert OccurrenceStatus.PENDING not in {s for _, _, s in await world.statuses(1)}


async def test_network_trouble_leaves_the_reminder_to_be_retried(world: World) -> None:
    await world.user(1)
    await world.add(1, "apixaban", time(8))
    world.sender.results[1] = SendResult(SendOutcome.RETRY)
    assert (await world.tick(utc(D0, 7, 0))).failed == 1
    assert (
        await world.tick(
            utc(
                D0,
                7,
                0,
            )
        )
    ).claimed == 0  # backing off
    del world.sender.results[1]
    report = await world.tick(utc(D0, 7, 1))
    assert report.sent == 1
    world.sender.results[1] = SendResult(SendOutcome.RETRY, timedelta(seconds=90))
    assert (await world.tick(utc(D0, 7, 31))).failed == 1  # the follow-up hits flood control
    assert (await world.tick(utc(D0, 7, 32))).claimed == 0
    del world.sender.results[1]
    assert (await world.tick(utc(D0, 7, 33))).follow_ups == 1


async def test_doses_go_before_stockings_when_the_queue_is_long(engine: AsyncEngine) -> None:
    world = build_world(engine, FixedClock(T0), batch_size=3, max_batches=1)
    for user_id in range(1, 5):
        await world.user(user_id)
        await world.reminders.set_stockings(user_id, StockingsRequest(on=time(8), off=time(21)))
    for user_id in range(5, 8):
        await world.user(user_id)
        await world.add(user_id, "apixaban", time(8, 5))
    await world.tick(utc(D0, 7, 10))
    assert [m.reminder.kind.value for m in world.sender.messages] == ["dose"] * 3
    await world.tick(utc(D0, 7, 10))
    assert [m.reminder.kind.value for m in world.sender.messages][3:] == ["stockings_on"] * 3


async def test_the_day_before_a_phase_ends_the_reminder_says_what_comes_next(world: World) -> None:
    await world.user(1)
    await world.add(1, "apixaban", time(8), time(20), dose="10 mg", last_day=D2)
    await world.add(1, "Apixaban", time(8), time(20), dose="5 mg", first_day=D2 + timedelta(days=1))
    await world.run(utc(D1, 6, 55), utc(D1, 19, 5))
    with_notice = [m for m in world.sender.messages if m.phase_end is not None]
    assert len(with_notice) == 1
    notice = with_notice[0]
    assert (notice.reminder.local_date, notice.reminder.local_time) == (D1, time(8))
    assert notice.phase_end is not None
    assert notice.phase_end.last_day == D2
    assert notice.phase_end.next_plan is not None
    assert notice.phase_end.next_plan.dose == "5 mg"


async def test_two_dispatchers_at_once_never_send_twice(engine: AsyncEngine) -> None:
    clock = FixedClock(T0)
    setup = build_world(engine, clock)
    for user_id in range(1, 41):
        await setup.user(user_id)
        await setup.add(user_id, "apixaban", time(8))
    clock.set(utc(D0, 7, 0))
    workers = [build_world(engine, clock, batch_size=7) for _ in range(3)]
    await asyncio.gather(*(w.dispatcher.tick(clock.now(), w.sender) for w in workers))
    keys = [m.reminder.occurrence_id for w in workers for m in w.sender.messages]
    assert len(keys) == len(set(keys)) == 40


async def test_forget_leaves_no_row_about_the_user(world: World) -> None:
    from bot.db.base import Base

    for user_id in (1, 2):
        await world.user(user_id)
        await world.add(user_id, "apixaban", time(8))
        await world.reminders.set_stockings(user_id, StockingsRequest(on=time(7), off=time(21)))
        # A half-finished guided flow is stored too, and must go with the rest.
        await world.users.flows.save(user_id, "rem.dose", {"name": "apixaban"})
    await world.tick(utc(D0, 7, 0))
    await world.reminders.record_taken(1, await world.occurrence_id(1, D0, time(8)))
    before = len(world.sender.messages)
    counts = await world.reminders.forget(1)
    assert counts["users"] == 1
    tables = [t for t in Base.metadata.sorted_tables if "user_id" in t.c]
    assert {t.name for t in tables} >= {"users", "reminder_plans", "reminder_occurrences"}
    async with world.engine.connect() as conn:
        for table in tables:
            mine = await conn.scalar(select(func.count()).select_from(table).where(table.c.user_id == 1))
            theirs = await conn.scalar(select(func.count()).select_from(table).where(table.c.user_id == 2))
            assert mine == 0, table.name
            assert theirs, table.name
    await world.run(utc(D0, 7, 5), utc(D1, 12, 0), step=timedelta(hours=1))
    assert all(m.user_id == 2 for m in world.sender.messages[before:])


async def test_materialisation_is_idempotent(world: World) -> None:
    await world.user(1)
    plan_id = await world.add(1, "apixaban", time(8), time(20))
    for _ in range(3):
        await world.tick(utc(D0, 5, 0))
    await world.dispatcher.materialise(utc(D0, 20, 0))
    async with world.engine.connect() as conn:
        count = await conn.scalar(
            select(func.count()).select_from(ReminderOccurrence).where(ReminderOccurrence.plan_id == plan_id)
        )
        until = await conn.scalar(select(ReminderPlan.materialised_until).where(ReminderPlan.id == plan_id))
    assert count == 4  # 27 Nov 08:00 and 20:00, 28 Nov 08:00 and 20:00 (lookahead 26 h from 20:00 UTC)
    assert until is not None


_instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
)
_offsets = st.none() | st.integers(min_value=0, max_value=300)


@st.composite
def _views(draw: st.DrawFn) -> OccurrenceView:
    due = draw(_instants)

    def later(minutes: int | None) -> datetime | None:
        return None if minutes is None else due + timedelta(minutes=minutes)

    return OccurrenceView(
        status=draw(
            st.sampled_from([OccurrenceStatus.PENDING, OccurrenceStatus.SENT, OccurrenceStatus.TAKEN])
        ),
        due_at=due,
        deadline=due + timedelta(minutes=draw(st.integers(min_value=1, max_value=600))),
        sent_at=later(draw(_offsets)),
        snoozed_until=later(draw(st.none() | st.integers(min_value=1, max_value=300))),
        follow_up_sent_at=later(draw(_offsets)),
    )


@given(view=_views(), probe=st.integers(min_value=0, max_value=900))
def test_next_action_time_is_when_decide_first_acts(view: OccurrenceView, probe: int) -> None:
    first = next_action_time(view, POLICY)
    at = view.due_at + timedelta(minutes=probe)
    if first is None:
        assert decide(view, at, POLICY) is Action.NOTHING
        return
    assert decide(view, first, POLICY) is not Action.NOTHING
    if at < first:
        assert decide(view, at, POLICY) is Action.NOTHING
