"""Issue 11 rules on a real database (SQLite and PostgreSQL): one medicine one schedule, the derived
blood-thinner status, time-zone moves in one transaction, limits, export and stored flows."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.reminders import ReminderOccurrence, ReminderPlan
from bot.db.state import ConversationState, ReminderSlot
from bot.domain.clock import FixedClock
from bot.domain.commands import AddMedRequest
from bot.domain.reminders import OccurrenceStatus
from bot.services.reminders import (
    MAX_PLANS_PER_USER,
    PlanAdded,
    PlanOverlaps,
    TimesChanged,
    TooManyPlans,
)
from tests.integration.test_dispatcher import D0, D1, T0, World, build_world, utc


@pytest.fixture
def world(engine: AsyncEngine) -> World:
    return build_world(engine, FixedClock(T0))


def _request(name: str, *times: time, dose: str | None = None) -> AddMedRequest:
    return AddMedRequest(name=name, dose=dose, times=times)


async def _count(world: World, model: type[ReminderPlan | ReminderSlot | ConversationState]) -> int:
    async with world.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(model)) or 0)


# ---------------------------------------------------------------- one medicine, one schedule


async def test_a_brand_name_is_the_same_medicine(world: World) -> None:
    await world.user(1)
    await world.add(1, "apixaban", time(8), time(20))
    outcome = await world.reminders.add_medication(1, _request("Eliquis", time(8), time(20)))
    assert isinstance(outcome, PlanOverlaps)
    assert outcome.existing.name == "apixaban"
    misspelt = await world.reminders.add_medication(1, _request("Apixiban", time(20)))
    assert isinstance(misspelt, PlanOverlaps)
    assert await _count(world, ReminderPlan) == 1


async def test_two_different_blood_thinners_are_added_with_a_warning(world: World) -> None:
    await world.user(1)
    await world.add(1, "apixaban", time(8))
    outcome = await world.reminders.add_medication(1, _request("Xarelto", time(8)))
    assert isinstance(outcome, PlanAdded)
    assert outcome.other_anticoagulant == "apixaban"
    vitamin = await world.reminders.add_medication(1, _request("vitamin D", time(8)))
    assert isinstance(vitamin, PlanAdded)
    assert vitamin.other_anticoagulant is None


async def test_new_times_go_through_the_same_rule(world: World) -> None:
    await world.user(1)
    await world.add(1, "apixaban", time(8))
    evening = await world.add(1, "apixaban", time(20))
    refused = await world.reminders.change_times(1, evening, (time(8),))
    assert isinstance(refused, PlanOverlaps)
    plan = await world.reminders.get_plan(1, evening)
    assert plan is not None
    assert plan.times == (time(20),)
    moved = await world.reminders.change_times(1, evening, (time(21),))
    assert isinstance(moved, TimesChanged)
    # The slot it left is free again for this medicine.
    assert isinstance(await world.reminders.add_medication(1, _request("apixaban", time(20))), PlanAdded)


async def test_delete_and_re_add_the_same_day_leaves_out_doses_already_reminded(world: World) -> None:
    await world.user(1)
    plan_id = await world.add(1, "apixaban", time(8), time(20))
    await world.tick(utc(D0, 7, 0))  # 08:00 in Berlin: the morning reminder goes out
    occurrence = await world.occurrence_id(1, D0, time(8))
    await world.reminders.record_taken(1, occurrence)
    assert await world.reminders.delete(1, plan_id) is not None
    world.clock.set(utc(D0, 8, 0))
    again = await world.reminders.add_medication(1, _request("Eliquis", time(10), time(20)))
    assert isinstance(again, PlanAdded)
    assert again.not_today == (time(10),)
    # No second morning prompt for a dose already taken; the evening dose is still reminded.
    today = [s for s in await world.statuses(1) if s[0] == D0 and s[2] == OccurrenceStatus.PENDING.value]
    assert today == [(D0, time(20), OccurrenceStatus.PENDING.value)]
    tomorrow = [s[1] for s in await world.statuses(1) if s[0] == D1]
    assert tomorrow[0] == time(10)  # from tomorrow, every time of the new plan


async def test_a_second_plan_of_a_medicine_the_same_day_is_not_cut(world: World) -> None:
    await world.user(1)
    await world.add(1, "apixaban", time(8))
    await world.tick(utc(D0, 7, 0))
    world.clock.set(utc(D0, 8, 0))
    evening = await world.reminders.add_medication(1, _request("apixaban", time(20)))
    assert isinstance(evening, PlanAdded)
    assert evening.not_today == ()
    assert (D0, time(20), OccurrenceStatus.PENDING.value) in await world.statuses(1)


async def test_identical_requests_at_once_store_one_plan(world: World) -> None:
    await world.user(1)
    request = _request("apixaban", time(8), time(20), dose="5 mg")
    outcomes = await asyncio.gather(*(world.reminders.add_medication(1, request) for _ in range(4)))
    assert sum(isinstance(o, PlanAdded) for o in outcomes) == 1
    assert all(isinstance(o, PlanAdded | PlanOverlaps) for o in outcomes)
    assert await _count(world, ReminderPlan) == 1
    assert await _count(world, ReminderSlot) == 2


async def test_the_slot_key_refuses_a_second_reminder_for_one_dose(world: World) -> None:
    """The database itself, not only the service's check: a second row for the same slot fails."""
    from sqlalchemy.exc import IntegrityError

    from bot.db.state import OPEN_START

    await world.user(1)
    plan_id = await world.add(1, "apixaban", time(8))
    async with world.engine.begin() as conn:
        with pytest.raises(IntegrityError):
            await conn.execute(
                insert(ReminderSlot).values(
                    user_id=1, medicine="apixaban", local_time=time(8), first_day=OPEN_START, plan_id=plan_id
                )
            )


async def test_a_course_in_phases_is_still_possible(world: World) -> None:
    await world.user(1)
    await world.add(1, "apixaban", time(8), time(20), dose="10 mg", last_day=D0 + timedelta(days=6))
    later = await world.reminders.add_medication(
        1,
        AddMedRequest("apixaban", "5 mg", (time(8), time(20)), first_day=D0 + timedelta(days=7)),
    )
    assert isinstance(later, PlanAdded)


async def test_plans_are_capped_with_a_way_out(world: World) -> None:
    await world.user(1)
    for number in range(MAX_PLANS_PER_USER):
        await world.add(1, f"medicine {number}", time(8))
    outcome = await world.reminders.add_medication(1, _request("one more", time(9)))
    assert outcome == TooManyPlans(MAX_PLANS_PER_USER)
    plans = await world.reminders.list_plans(1)
    assert await world.reminders.delete(1, plans[0].plan_id) is not None
    assert isinstance(await world.reminders.add_medication(1, _request("one more", time(9))), PlanAdded)


# ---------------------------------------------------------------- the blood-thinner status


async def test_an_active_anticoagulant_plan_makes_the_status_true(world: World) -> None:
    await world.user(1)
    await world.users.set_on_blood_thinners(1, 1, value=False)
    assert (await world.users.safety_profile(1)).on_blood_thinners is False
    plan_id = await world.add(1, "Eliquis", time(8))
    profile = await world.users.safety_profile(1)
    assert profile.on_blood_thinners is True
    assert profile.anticoagulant == "Eliquis"
    assert profile.said_on_blood_thinners is False
    await world.reminders.pause(1, plan_id)
    assert (await world.users.safety_profile(1)).on_blood_thinners is False


async def test_the_status_falls_back_to_the_cache_when_the_database_is_down(world: World) -> None:
    from tests.integration.test_users import _dead_factory

    await world.user(1)
    await world.add(1, "warfarin", time(18))
    assert (await world.users.safety_profile(1)).on_blood_thinners is True
    from bot.db.uow import SqlUnitOfWork

    world.users._uow_factory = lambda: SqlUnitOfWork(_dead_factory())
    cached = await world.users.safety_profile(1)
    assert cached.from_cache
    assert cached.on_blood_thinners is True


# ---------------------------------------------------------------- time zones


async def test_tokyo_to_los_angeles_skips_no_day_and_says_the_gap(engine: AsyncEngine) -> None:
    clock = FixedClock(datetime(2026, 11, 30, 22, 0, tzinfo=UTC))  # 07:00 on 1 Dec in Tokyo
    world = build_world(engine, clock)
    await world.user(1, "Asia/Tokyo")
    await world.add(1, "apixaban", time(8))
    await world.tick(datetime(2026, 11, 30, 23, 0, tzinfo=UTC))  # 08:00 Tokyo: the dose reminder
    await world.reminders.record_taken(1, await world.occurrence_id(1, datetime(2026, 12, 1).date(), time(8)))
    clock.set(datetime(2026, 12, 1, 1, 0, tzinfo=UTC))  # 17:00 on 30 Nov in Los Angeles
    moved = await world.reminders.change_timezone(1, 1, "America/Los_Angeles")
    (move,) = moved.moves
    # 08:00 on 1 Dec in Los Angeles is 16:00 UTC: 17 hours after the last reminder, not 41.
    assert move.next_due == datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    assert move.gap == timedelta(hours=17)
    assert move.usual_gap == timedelta(hours=24)
    pending = [s for s in await world.statuses(1) if s[2] == OccurrenceStatus.PENDING.value]
    assert pending[0][:2] == (datetime(2026, 12, 1).date(), time(8))
    profile = await world.users.profile(1)
    assert profile is not None
    assert profile.timezone == "America/Los_Angeles"


async def test_zone_and_reminders_move_in_one_change(world: World) -> None:
    await world.user(1)
    await world.add(1, "apixaban", time(8))
    moved = await world.reminders.change_timezone(1, 1, "Asia/Tokyo")
    assert moved.old_zone == "Europe/Berlin"
    live = select(ReminderPlan.timezone).where(ReminderPlan.deleted_at.is_(None))
    pending = select(ReminderOccurrence.due_at).where(ReminderOccurrence.status == OccurrenceStatus.PENDING)
    async with world.engine.connect() as conn:
        zones_after = set((await conn.execute(live)).scalars())
        due = list((await conn.execute(pending)).scalars())
    assert zones_after == {"Asia/Tokyo"}
    assert due
    assert all(d.astimezone(UTC).hour == 23 for d in due)  # 08:00 in Tokyo
    (plan,) = await world.reminders.list_plans(1)
    assert (plan.name, plan.timezone) == ("apixaban", "Asia/Tokyo")
    # Still one medicine, one slot: the same dose cannot be added again in the new zone.
    assert isinstance(await world.reminders.add_medication(1, _request("Eliquis", time(8))), PlanOverlaps)


# ---------------------------------------------------------------- export and stored flows


async def test_export_keeps_deleted_plans_and_flags_one_that_never_fires(world: World) -> None:
    await world.user(1)
    gone = await world.add(1, "apixaban", time(8))
    await world.reminders.delete(1, gone)
    world.clock.set(utc(D0, 21, 0))  # 22:00 in Berlin: today's 20:00 is past
    never = await world.reminders.add_medication(
        1, AddMedRequest("dalteparin", None, (time(20),), last_day=D0)
    )
    assert isinstance(never, PlanAdded)
    assert never.next_due is None
    assert never.plan.never_fires
    data = await world.reminders.export(1)
    assert [p.name for p in data.plans] == ["apixaban", "dalteparin"]
    assert data.plans[0].deleted_at is not None
    assert data.profile is not None
    assert data.profile.chat_id == 1


async def test_a_flow_is_stored_until_ended(world: World) -> None:
    await world.user(1)
    await world.users.flows.save(1, "rem.dose", {"name": "apixaban"})
    record = await world.users.flows.load(1)
    assert record is not None
    assert (record.flow, record.data) == ("rem.dose", {"name": "apixaban"})
    await world.users.flows.save(1, "rem.times", {"name": "apixaban", "dose": "5 mg"})
    assert await _count(world, ConversationState) == 1
    exported = (await world.reminders.export(1)).flow
    assert exported is not None
    assert (exported.flow, exported.data) == ("rem.times", {"name": "apixaban", "dose": "5 mg"})
    await world.users.flows.clear(1)
    assert await world.users.flows.load(1) is None
    await world.users.flows.save(999, "rem.name", {})  # never registered: nothing to attach it to
    assert await _count(world, ConversationState) == 0
