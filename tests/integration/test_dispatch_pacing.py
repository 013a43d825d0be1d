"""Slices, per-chat pacing and the lease heartbeat: one slow chat never costs others a duplicate or a wait."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.session import create_session_factory
from bot.db.uow import SqlUnitOfWork
from bot.domain.clock import FixedClock
from bot.domain.reminders import ReminderPolicy
from bot.services.dispatcher import SENT, ChatPace, Dispatcher, MissedSummary, ReminderMessage, SendResult
from bot.services.reminders import MAX_PLANS_PER_USER
from tests.integration.test_dispatcher import FakeSender, build_world

T0 = datetime(2026, 11, 27, 5, 0, tzinfo=UTC)  # 06:00 in Berlin
DUE = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)  # 08:00 in Berlin
BUSY = 700
OTHERS = range(701, 731)
# As many plans as one person may keep (MAX_PLANS_PER_USER), all due at once: more than a slice.
BUSY_PLANS = MAX_PLANS_PER_USER


def _key(message: ReminderMessage) -> tuple[int, str, object]:
    return (message.user_id, message.reminder.name, message.reminder.local_date)


async def test_a_chat_with_many_due_reminders_holds_no_one_up_and_gets_each_once(engine: AsyncEngine) -> None:
    clock = FixedClock(T0)
    world = build_world(
        engine, clock, batch_size=16, chat_pace=ChatPace(burst=3, period=timedelta(seconds=3))
    )
    await world.user(BUSY)
    for n in range(BUSY_PLANS):
        await world.add(BUSY, f"med{n:02d}", time(8))
    for user in OTHERS:
        await world.user(user)
        await world.add(user, "apixaban", time(8))

    await world.tick(DUE)
    first = list(world.sender.messages)
    # Every other user is served at the due instant; the busy chat gets its burst, the rest waits its turn.
    assert {m.user_id for m in first if m.user_id != BUSY} == set(OTHERS)
    assert sum(1 for m in first if m.user_id == BUSY) == 3

    due_next = await world.dispatcher.next_due()
    assert due_next is not None
    assert DUE < due_next <= DUE + timedelta(seconds=2)

    # Then about one a second, as Telegram allows in one chat; never a second copy of anything.
    at = DUE
    per_second: list[int] = []
    while len(world.sender.messages) < BUSY_PLANS + len(OTHERS):
        at += timedelta(seconds=1)
        assert at < DUE + timedelta(minutes=2), "the busy chat's reminders stopped coming"
        before = len(world.sender.messages)
        await world.tick(at)
        per_second.append(len(world.sender.messages) - before)
    assert max(per_second) <= 1
    copies = Counter(_key(m) for m in world.sender.messages)
    assert all(n == 1 for n in copies.values()), copies.most_common(3)
    assert len(copies) == BUSY_PLANS + len(OTHERS)


def _dispatcher(engine: AsyncEngine, policy: ReminderPolicy, clock: FixedClock) -> Dispatcher:
    factory = create_session_factory(engine)
    return Dispatcher(lambda: SqlUnitOfWork(factory), policy, clock=clock)


class SlowSender(FakeSender):
    """Takes ``delay`` real seconds per message (a chat under flood control, a hanging Telegram)."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    async def send_reminder(self, message: ReminderMessage) -> SendResult:
        await asyncio.sleep(self.delay)
        return await super().send_reminder(message)

    async def send_missed_summary(self, summary: MissedSummary) -> SendResult:
        await asyncio.sleep(self.delay)
        return await super().send_missed_summary(summary)


async def test_the_lease_of_a_slow_slice_is_extended_so_no_one_sends_it_again(engine: AsyncEngine) -> None:
    clock = FixedClock(T0)
    # A lease far shorter than the send: without the heartbeat the second dispatcher would re-send.
    policy = ReminderPolicy(claim_lease=timedelta(seconds=0.6))
    slow = build_world(engine, clock, policy)
    slow.sender = SlowSender(delay=2.0)
    slow.dispatcher = _dispatcher(engine, policy, clock)
    other = build_world(engine, clock, policy)
    other.dispatcher = _dispatcher(engine, policy, clock)
    for user in (801, 802, 803):
        await slow.user(user)
        await slow.add(user, "apixaban", time(8))
    clock.set(DUE)

    sending = asyncio.create_task(slow.dispatcher.tick(DUE, slow.sender))
    while not sending.done():
        await asyncio.sleep(0.2)
        clock.set(clock.now() + timedelta(seconds=0.1))  # 0.1 s of clock per 0.2 s of real time
        await other.dispatcher.tick(clock.now(), other.sender)
    await sending
    assert len(slow.sender.messages) == 3
    assert other.sender.messages == []
    assert (await other.tick(clock.now() + timedelta(seconds=5))).sent == 0


async def test_next_due_follows_the_queue(engine: AsyncEngine) -> None:
    world = build_world(engine, FixedClock(T0))
    assert await world.dispatcher.next_due() is None
    await world.user(901)
    await world.add(901, "apixaban", time(8))
    await world.tick(T0)  # materialises only: nothing is due yet
    assert await world.dispatcher.next_due() == DUE
    await world.tick(DUE)
    assert world.sender.messages
    # Next: the follow-up of the reminder just sent.
    assert await world.dispatcher.next_due() == DUE + ReminderPolicy().follow_up_after


_ = SENT  # re-exported for symmetry with test_dispatcher's senders
