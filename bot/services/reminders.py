"""Reminder use cases: plans (add, stockings, pause, resume, delete, new times), answers, history, export.

Every use case is one unit of work. The answers (taken, skip, snooze) are single conditional UPDATEs
that also check the occurrence belongs to the user pressing the button, so forged, foreign or stale
buttons change nothing, and two presses of "Taken" can never both record a dose.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from itertools import pairwise
from zoneinfo import ZoneInfo

from bot.domain.clock import Clock
from bot.domain.commands import (
    AddMedRequest,
    ErrorKey,
    ParseError,
    StockingsRequest,
    parse_addmed,
    parse_times,
)
from bot.domain.medicines import is_anticoagulant, medicine_key
from bot.domain.reminders import (
    InvalidSnoozeError,
    OccurrenceStatus,
    OccurrenceView,
    ReminderKind,
    ReminderPolicy,
    missed_deadline,
    snooze_until,
)
from bot.domain.schedule import local_day_bounds, next_occurrence, occurrences_between
from bot.domain.users import UserProfile
from bot.services.errors import SlotTaken
from bot.services.ports import (
    FlowRecord,
    NewOccurrence,
    NewPlan,
    OccurrenceRecord,
    PlanRecord,
    UnitOfWork,
)

log = logging.getLogger(__name__)

UowFactory = Callable[[], UnitOfWork]
ForgetListener = Callable[[int], None]

# A plan whose last day is over is parked here so the tick stops looking at it.
FINISHED = datetime(9999, 1, 1, tzinfo=UTC)
# One materialisation step covers at most this much time, so a long outage is caught up in bounded steps.
MAX_MATERIALISE_STEP = timedelta(days=7)
STOCKINGS_NAME = "stockings"
MAX_FREE_TEXT = 32
# Limits with a way out: enough for any real regimen, few enough that /reminders stays usable.
MAX_PLANS_PER_USER = 30


# ---------------------------------------------------------------------- value objects


@dataclass(frozen=True, slots=True)
class PlanInfo:
    """A reminder plan as handlers and views see it."""

    plan_id: int
    kind: ReminderKind
    name: str
    dose: str | None
    times: tuple[time, ...]
    timezone: str
    first_day: date | None
    last_day: date | None
    active: bool
    ended: bool = False
    # The user's local date when this view was made, so views can say "5 Jan 2027" vs "Mon 30 Nov".
    today: date | None = None
    never_fires: bool = False  # not ended, yet no reminder is ahead (e.g. "until" before the next time)
    created_at: datetime | None = None
    deleted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ReminderInfo:
    """One occurrence as a message shows it: what, and the wall-clock slot it was scheduled for."""

    occurrence_id: int
    kind: ReminderKind
    name: str
    dose: str | None
    local_date: date
    local_time: time
    timezone: str
    due_at: datetime
    deadline: datetime


@dataclass(frozen=True, slots=True)
class PlanAdded:
    """A plan was stored; ``next_due`` is its first reminder (UTC), if any is ahead.

    ``other_anticoagulant`` names a different blood thinner already active (worth a word with a
    pharmacist); ``not_today`` lists today's times left out because a deleted plan of the same
    medicine already reminded that many doses today (delete and re-add: no second prompt for a dose
    that may have been taken).
    """

    plan: PlanInfo
    next_due: datetime | None
    other_anticoagulant: str | None = None
    not_today: tuple[time, ...] = ()


@dataclass(frozen=True, slots=True)
class TooManyPlans:
    """The user has reached the plan limit; they can delete or pause one in /reminders."""

    limit: int


@dataclass(frozen=True, slots=True)
class TimezoneRequired:
    """Reminders need the user's time zone first."""


@dataclass(frozen=True, slots=True)
class PlanOverlaps:
    """An existing plan of the same medicine already reminds at one of these times on these days."""

    existing: PlanInfo


AddOutcome = PlanAdded | TimezoneRequired | PlanOverlaps | TooManyPlans


@dataclass(frozen=True, slots=True)
class ZoneMove:
    """Where one plan's next reminder lands after a time-zone change, and the gap since the last one."""

    plan: PlanInfo
    next_due: datetime | None
    last_due: datetime | None
    usual_gap: timedelta

    @property
    def gap(self) -> timedelta | None:
        """Return the time from the last reminder to the next (None when either is unknown)."""
        return None if self.next_due is None or self.last_due is None else self.next_due - self.last_due


@dataclass(frozen=True, slots=True)
class TimezoneMoved:
    """The user's zone changed; reminders moved in the same transaction."""

    old_zone: str | None
    new_zone: str
    moves: tuple[ZoneMove, ...]


@dataclass(frozen=True, slots=True)
class StockingsSet:
    """The put-on and take-off reminders now in place."""

    on: PlanInfo
    off: PlanInfo


StockingsOutcome = StockingsSet | TimezoneRequired


@dataclass(frozen=True, slots=True)
class TimesChanged:
    """New times for a plan, in force from ``from_day`` (local); today's reminders may keep the old ones."""

    plan: PlanInfo
    from_day: date
    starts_today: bool


class AnswerStatus(StrEnum):
    """How a button press on a reminder ended."""

    RECORDED = "recorded"
    ALREADY_TAKEN = "already_taken"  # double-dose guard: nothing changed
    CLOSED = "closed"  # already answered or missed; nothing changed
    GONE = "gone"  # the plan was paused or deleted
    NOT_FOUND = "not_found"  # unknown, or someone else's
    INVALID = "invalid"  # a snooze the policy does not offer, or past the deadline


@dataclass(frozen=True, slots=True)
class AnswerResult:
    """The outcome of Taken / Skip / Snooze: ``at`` is the taken time or the snooze end (UTC)."""

    status: AnswerStatus
    reminder: ReminderInfo | None = None
    at: datetime | None = None
    previous: OccurrenceStatus | None = None


@dataclass(frozen=True, slots=True)
class DayTally:
    """Dose outcomes on one local day."""

    day: date
    taken: int = 0
    late: int = 0
    missed: int = 0
    skipped: int = 0
    open: int = 0


@dataclass(frozen=True, slots=True)
class History:
    """The last days of dose outcomes, oldest first, in the user's zone."""

    timezone: str
    days: tuple[DayTally, ...]

    @property
    def empty(self) -> bool:
        """Tell whether there is nothing to show."""
        return not any(d.taken or d.late or d.missed or d.skipped or d.open for d in self.days)


class Outcome(StrEnum):
    """What happened to one reminder, as the dose log says it."""

    TAKEN = "taken"
    TAKEN_LATE = "taken late"
    SKIPPED = "skipped"
    MISSED = "missed"
    NO_ANSWER_YET = "no answer yet"
    UPCOMING = "upcoming"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One line of the dose log."""

    reminder: ReminderInfo
    outcome: Outcome
    answered_at: datetime | None
    sent_at: datetime | None
    delivered_late: bool


@dataclass(frozen=True, slots=True)
class ExportData:
    """Everything ClotCare stores about a user, for /export."""

    profile: UserProfile | None
    plans: tuple[PlanInfo, ...]
    log: tuple[LogEntry, ...]
    flow: FlowRecord | None = None  # a half-finished guided step, kept so it survives a restart


# ---------------------------------------------------------------------- pure helpers


def next_action_time(view: OccurrenceView, policy: ReminderPolicy) -> datetime | None:
    """Return the earliest instant at which ``decide`` stops answering NOTHING (None when final)."""
    if view.status is OccurrenceStatus.PENDING:
        return min(view.due_at, view.deadline)
    if view.status is OccurrenceStatus.SENT:
        if view.snoozed_until is not None:
            return min(view.snoozed_until, view.deadline)
        if view.follow_up_sent_at is not None:
            return view.deadline
        delivered = view.sent_at if view.sent_at is not None else view.due_at
        return min(delivered + policy.follow_up_after, view.deadline)
    return None


def plan_occurrences(
    plan: PlanRecord, start: datetime, end: datetime, policy: ReminderPolicy
) -> list[NewOccurrence]:
    """Return the plan's occurrences due in ``[start, end)``, each with its missed deadline."""
    tz = ZoneInfo(plan.timezone)
    # A successor due later than end + missed_after cannot shorten any deadline, so look no further.
    found = occurrences_between(
        plan.times, tz, start, end + policy.missed_after, first_day=plan.first_day, last_day=plan.last_day
    )
    rows: list[NewOccurrence] = []
    for index, occ in enumerate(found):
        if occ.due_at >= end:
            break
        # Slots collapsed into one DST gap share an instant; the next dose is the next later instant.
        following = next((o.due_at for o in found[index + 1 :] if o.due_at > occ.due_at), None)
        rows.append(
            NewOccurrence(
                plan_id=plan.plan_id,
                user_id=plan.user_id,
                kind=plan.kind,
                local_date=occ.local_date,
                local_time=occ.local_time,
                due_at=occ.due_at,
                deadline=missed_deadline(occ.due_at, following, policy),
            )
        )
    return rows


def materialise_step(
    plan: PlanRecord, target: datetime, policy: ReminderPolicy
) -> tuple[list[NewOccurrence], datetime]:
    """Return the plan's next occurrences up to ``target`` (one bounded step) and the new cursor."""
    start = plan.materialised_until
    if start >= target:
        return [], start
    if plan.last_day is not None:
        last_end = local_day_bounds(plan.last_day, ZoneInfo(plan.timezone))[1]
        if start >= last_end:
            return [], FINISHED
    end = min(target, start + MAX_MATERIALISE_STEP)
    return plan_occurrences(plan, start, end, policy), end


async def materialise_plans(
    uow: UnitOfWork, plans: Sequence[PlanRecord], target: datetime, policy: ReminderPolicy
) -> list[tuple[int, datetime]]:
    """Store the plans' occurrences up to ``target`` (in bounded steps); return the new cursors."""
    rows: list[NewOccurrence] = []
    marks: list[tuple[int, datetime]] = []
    for plan in plans:
        found, cursor = materialise_step(plan, target, policy)
        rows += found
        marks.append((plan.plan_id, cursor))
    await uow.reminders.add_occurrences(rows)
    await uow.reminders.set_materialised(marks)
    return marks


async def materialise_fully(
    uow: UnitOfWork, plan: PlanRecord, target: datetime, policy: ReminderPolicy
) -> None:
    """Store one plan's occurrences all the way up to ``target``."""
    current = plan
    while current.materialised_until < target:
        ((_, cursor),) = await materialise_plans(uow, [current], target, policy)
        if cursor <= current.materialised_until:
            break
        current = replace(current, materialised_until=cursor)


def local_today(zone: str, now: datetime) -> date:
    """Return the local date in ``zone`` at instant ``now``."""
    return now.astimezone(ZoneInfo(zone)).date()


def plan_info(plan: PlanRecord, now: datetime) -> PlanInfo:
    """Return the view of a stored plan."""
    today = local_today(plan.timezone, now)
    ended = plan.last_day is not None and plan.last_day < today
    ahead = next_occurrence(
        plan.times, ZoneInfo(plan.timezone), now, first_day=plan.first_day, last_day=plan.last_day
    )
    return PlanInfo(
        plan_id=plan.plan_id,
        kind=plan.kind,
        name=plan.name,
        dose=plan.dose,
        times=plan.times,
        timezone=plan.timezone,
        first_day=plan.first_day,
        last_day=plan.last_day,
        active=plan.active,
        ended=ended,
        today=today,
        never_fires=not ended and ahead is None and plan.deleted_at is None,
        created_at=plan.created_at,
        deleted_at=plan.deleted_at,
    )


def reminder_info(occ: OccurrenceRecord, plan: PlanRecord) -> ReminderInfo:
    """Return the view of one occurrence."""
    return ReminderInfo(
        occurrence_id=occ.occurrence_id,
        kind=occ.kind,
        name=plan.name,
        dose=plan.dose,
        local_date=occ.local_date,
        local_time=occ.local_time,
        timezone=plan.timezone,
        due_at=occ.due_at,
        deadline=occ.deadline,
    )


def is_taken_late(occ: OccurrenceRecord, policy: ReminderPolicy) -> bool:
    """Tell whether a taken dose came late: after it was marked missed, or after the follow-up was due."""
    if occ.status is not OccurrenceStatus.TAKEN or occ.answered_at is None:
        return False
    return (
        occ.answered_from is OccurrenceStatus.MISSED or occ.answered_at - occ.due_at > policy.follow_up_after
    )


def outcome_of(occ: OccurrenceRecord, now: datetime, policy: ReminderPolicy) -> Outcome:
    """Return how the dose log describes an occurrence at ``now``."""
    if occ.status is OccurrenceStatus.TAKEN:
        return Outcome.TAKEN_LATE if is_taken_late(occ, policy) else Outcome.TAKEN
    if occ.status is OccurrenceStatus.SKIPPED:
        return Outcome.SKIPPED
    if occ.status is OccurrenceStatus.MISSED:
        return Outcome.MISSED
    if occ.status is OccurrenceStatus.CANCELLED:
        return Outcome.CANCELLED
    return Outcome.NO_ANSWER_YET if occ.due_at <= now else Outcome.UPCOMING


def clean_free_text(text: str, limit: int = MAX_FREE_TEXT) -> str | None:
    """Return typed text without controls or invisible characters, spaces collapsed (None if unusable)."""
    kept = "".join(
        " " if unicodedata.category(ch) == "Cc" else ch
        for ch in text
        if unicodedata.category(ch) not in {"Cf", "Cs", "Co"}
    )
    cleaned = " ".join(kept.split())
    if not cleaned or not any(ch.isalnum() for ch in cleaned) or len(cleaned) > limit:
        return None
    return cleaned


# A medicine name is a few words at most and never a question; a dose always has a number in it.
MAX_NAME_WORDS = 4


def looks_like_a_name(text: str) -> bool:
    """Tell whether typed text can be a medicine name (not a question or a sentence)."""
    return "?" not in text and len(text.split()) <= MAX_NAME_WORDS


def looks_like_a_dose(text: str) -> bool:
    """Tell whether typed text can be a dose as printed on a label ("5 mg", "1 tablet", "½")."""
    return any(unicodedata.numeric(ch, -1) >= 0 for ch in text) and "?" not in text


def parse_times_text(text: str) -> tuple[time, ...] | ParseError:
    """Parse typed reminder times ("08:00 20:00", "at 8am and 8pm", "8 and 20", "noon")."""
    return parse_times(text)


def parse_until_text(text: str, today: date) -> date | ParseError:
    """Parse a typed end date (YYYY-MM-DD) with the /addmed rules; it must not be in the past."""
    words = text.split()
    if len(words) != 1:
        return ParseError(ErrorKey.ADDMED_BAD_DATE, text.strip()[:32])
    parsed = parse_addmed(["medicine", "08:00", "until", words[0]], today=today)
    if not isinstance(parsed, AddMedRequest):
        return parsed if isinstance(parsed, ParseError) else ParseError(ErrorKey.ADDMED_BAD_DATE)
    assert parsed.last_day is not None
    return parsed.last_day


def _usual_gap(times: Sequence[time]) -> timedelta:
    """Return the shortest usual gap between two reminders of a plan (24 h for once a day)."""
    minutes = sorted(t.hour * 60 + t.minute for t in times)
    gaps = [b - a for a, b in pairwise(minutes)] + [minutes[0] + 1440 - minutes[-1]]
    return timedelta(minutes=min(gaps))


def _overlap(
    plans: Sequence[PlanRecord],
    *,
    kind: ReminderKind,
    name: str,
    times: Sequence[time],
    first_day: date | None,
    last_day: date | None,
    today: date,
) -> PlanRecord | None:
    """Return a plan that would remind about the same medicine at the same slot on a shared day."""
    start = first_day or today
    end = last_day or date.max
    key = medicine_key(name)
    for plan in plans:
        # One medicine under two names (apixaban / Eliquis / "Apixiban") is one medicine.
        if plan.kind is not kind or medicine_key(plan.name) != key:
            continue
        if not set(plan.times) & set(times):
            continue
        if start <= (plan.last_day or date.max) and (plan.first_day or date.min) <= end:
            return plan
    return None


_ANSWERED = frozenset({OccurrenceStatus.TAKEN, OccurrenceStatus.SKIPPED, OccurrenceStatus.MISSED})


# ---------------------------------------------------------------------- the service


class ReminderService:
    """Reminder plans and answers, one unit of work per use case."""

    def __init__(
        self,
        uow_factory: UowFactory,
        clock: Clock,
        policy: ReminderPolicy,
        *,
        on_forget: Sequence[ForgetListener] = (),
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._policy = policy
        self._on_forget = tuple(on_forget)

    @property
    def policy(self) -> ReminderPolicy:
        """Return the timing rules in force."""
        return self._policy

    async def timezone_of(self, user_id: int) -> str | None:
        """Return the user's time zone, if set."""
        async with self._uow_factory() as uow:
            profile = await uow.users.get(user_id)
        return profile.timezone if profile else None

    async def add_medication(self, user_id: int, request: AddMedRequest) -> AddOutcome:
        """Add a dose plan (times in the user's zone); refuse a plan that would double a dose slot.

        The overlap check gives the friendly answer; the slot table's primary key is the guarantee
        (two identical requests processed at once: one is stored, the other gets the overlap answer).
        """
        try:
            return await self._add_medication(user_id, request)
        except SlotTaken:
            async with self._uow_factory() as uow:
                key = medicine_key(request.name)
                holder = await uow.slots.holder(user_id, key, request.times, request.first_day)
                plan = await uow.reminders.get_plan(holder) if holder is not None else None
            if plan is None:
                raise
            return PlanOverlaps(plan_info(plan, self._clock.now()))

    async def _add_medication(self, user_id: int, request: AddMedRequest) -> AddOutcome:
        kind, name, dose, times = ReminderKind.DOSE, request.name, request.dose, request.times
        first_day, last_day = request.first_day, request.last_day
        now = self._clock.now()
        async with self._uow_factory() as uow:
            profile = await uow.users.get(user_id)
            if profile is None or profile.timezone is None:
                return TimezoneRequired()
            zone = profile.timezone
            today = local_today(zone, now)
            existing = await uow.reminders.plans_of(user_id)
            live = [p for p in existing if p.last_day is None or p.last_day >= local_today(p.timezone, now)]
            clash = _overlap(
                live, kind=kind, name=name, times=times, first_day=first_day, last_day=last_day, today=today
            )
            if clash is not None:
                return PlanOverlaps(plan_info(clash, now))
            if len(live) >= MAX_PLANS_PER_USER:
                return TooManyPlans(MAX_PLANS_PER_USER)
            key = medicine_key(name)
            # Ended plans give their slots back, so the medicine can be started again.
            await uow.slots.release([p.plan_id for p in existing if p not in live])
            plan = await uow.reminders.add_plan(
                NewPlan(
                    user_id=user_id,
                    kind=kind,
                    name=name,
                    dose=dose,
                    times=times,
                    timezone=zone,
                    first_day=first_day,
                    last_day=last_day,
                    created_at=now,
                )
            )
            await uow.slots.claim(user_id, key, times, plan.plan_id, first_day)
            not_today: tuple[time, ...] = ()
            if first_day is None or first_day <= today:
                plan, not_today = await self._skip_doses_reminded_today(uow, plan, key, now)
            await materialise_fully(uow, plan, now + self._policy.lookahead, self._policy)
            await uow.commit()
        log.info("plan added: user=%s plan=%s kind=%s", user_id, plan.plan_id, kind.value)
        other = next(
            (
                p.name
                for p in live
                if p.kind is ReminderKind.DOSE
                and p.active
                and is_anticoagulant(p.name)
                and medicine_key(p.name) != key
            ),
            None,
        )
        following = next_occurrence(
            times, ZoneInfo(zone), now - timedelta(microseconds=1), first_day=first_day, last_day=last_day
        )
        return PlanAdded(
            plan_info(plan, now),
            following.due_at if following else None,
            other_anticoagulant=other if is_anticoagulant(name) else None,
            not_today=not_today,
        )

    async def _skip_doses_reminded_today(
        self, uow: UnitOfWork, plan: PlanRecord, key: str, now: datetime
    ) -> tuple[PlanRecord, tuple[time, ...]]:
        """Leave out today's first times of a re-added medicine, as many as deleted plans already reminded.

        apixaban 08:00 + 20:00, the 08:00 dose reminded, the plan deleted, then re-added at 09:00 as
        10:00 + 20:00: today keeps 20:00 only, because one of today's two doses was already reminded.
        """
        tz = ZoneInfo(plan.timezone)
        today = now.astimezone(tz).date()
        start, end = local_day_bounds(today, tz)
        rows = await uow.reminders.log_of(plan.user_id, start, now + timedelta(seconds=1))
        reminded = sum(
            1
            for occ, old in rows
            if old.deleted_at is not None
            and old.kind is ReminderKind.DOSE
            and medicine_key(old.name) == key
            and (occ.sent_at is not None or occ.status in _ANSWERED)
        )
        if not reminded:
            return plan, ()
        ahead = occurrences_between(
            plan.times, tz, now, end, first_day=plan.first_day, last_day=plan.last_day
        )
        room = max(0, len(plan.times) - reminded)
        dropped = ahead[: max(0, len(ahead) - room)]
        if not dropped:
            return plan, ()
        # The cursor starts after the last dropped slot, so those are never created.
        cursor = dropped[-1].due_at + timedelta(microseconds=1)
        updated = await uow.reminders.update_plan(plan.plan_id, now, materialised_until=cursor)
        assert updated is not None
        return updated, tuple(o.local_time for o in dropped)

    async def set_stockings(self, user_id: int, request: StockingsRequest) -> StockingsOutcome:
        """Replace the user's stocking reminders with put-on and take-off times."""
        now = self._clock.now()
        async with self._uow_factory() as uow:
            profile = await uow.users.get(user_id)
            if profile is None or profile.timezone is None:
                return TimezoneRequired()
            old = [p for p in await uow.reminders.plans_of(user_id) if p.kind is not ReminderKind.DOSE]
            for plan in old:
                await uow.reminders.update_plan(plan.plan_id, now, active=False, deleted_at=now)
            await uow.reminders.cancel_open([p.plan_id for p in old], now)
            added: list[PlanRecord] = []
            for kind, at in (
                (ReminderKind.STOCKINGS_ON, request.on),
                (ReminderKind.STOCKINGS_OFF, request.off),
            ):
                plan = await uow.reminders.add_plan(
                    NewPlan(
                        user_id=user_id,
                        kind=kind,
                        name=STOCKINGS_NAME,
                        dose=None,
                        times=(at,),
                        timezone=profile.timezone,
                        first_day=None,
                        last_day=None,
                        created_at=now,
                    )
                )
                await materialise_fully(uow, plan, now + self._policy.lookahead, self._policy)
                added.append(plan)
            await uow.commit()
        log.info("stockings set: user=%s", user_id)
        return StockingsSet(on=plan_info(added[0], now), off=plan_info(added[1], now))

    async def list_plans(self, user_id: int) -> list[PlanInfo]:
        """Return the user's plans (not deleted), oldest first."""
        now = self._clock.now()
        async with self._uow_factory() as uow:
            plans = await uow.reminders.plans_of(user_id)
        return [plan_info(p, now) for p in plans]

    async def _owned(self, uow: UnitOfWork, user_id: int, plan_id: int) -> PlanRecord | None:
        plan = await uow.reminders.get_plan(plan_id)
        if plan is None or plan.user_id != user_id or plan.deleted_at is not None:
            return None
        return plan

    async def pause(self, user_id: int, plan_id: int) -> PlanInfo | None:
        """Pause a plan: no more reminders until resumed (None if it is not the user's)."""
        now = self._clock.now()
        async with self._uow_factory() as uow:
            plan = await self._owned(uow, user_id, plan_id)
            if plan is None:
                return None
            updated = await uow.reminders.update_plan(plan_id, now, active=False)
            await uow.reminders.cancel_open([plan_id], now)
            await uow.commit()
        assert updated is not None
        log.info("plan paused: user=%s plan=%s", user_id, plan_id)
        return plan_info(updated, now)

    async def resume(self, user_id: int, plan_id: int) -> PlanInfo | None:
        """Resume a paused plan from now on (None if it is not the user's)."""
        now = self._clock.now()
        async with self._uow_factory() as uow:
            plan = await self._owned(uow, user_id, plan_id)
            if plan is None:
                return None
            updated = await uow.reminders.update_plan(plan_id, now, active=True, materialised_until=now)
            assert updated is not None
            await materialise_fully(uow, updated, now + self._policy.lookahead, self._policy)
            await uow.commit()
        log.info("plan resumed: user=%s plan=%s", user_id, plan_id)
        return plan_info(updated, now)

    async def delete(self, user_id: int, plan_id: int) -> PlanInfo | None:
        """Delete a plan and cancel its open reminders; its history stays (None if it is not the user's)."""
        now = self._clock.now()
        async with self._uow_factory() as uow:
            plan = await self._owned(uow, user_id, plan_id)
            if plan is None:
                return None
            updated = await uow.reminders.update_plan(plan_id, now, active=False, deleted_at=now)
            await uow.reminders.cancel_open([plan_id], now)
            await uow.slots.release([plan_id])
            await uow.commit()
        assert updated is not None
        log.info("plan deleted: user=%s plan=%s", user_id, plan_id)
        return plan_info(updated, now)

    async def get_plan(self, user_id: int, plan_id: int) -> PlanInfo | None:
        """Return one of the user's plans (None if it is not theirs)."""
        now = self._clock.now()
        async with self._uow_factory() as uow:
            plan = await self._owned(uow, user_id, plan_id)
        return None if plan is None else plan_info(plan, now)

    async def change_times(
        self, user_id: int, plan_id: int, times: tuple[time, ...]
    ) -> TimesChanged | PlanOverlaps | None:
        """Give a plan new times: from now if none of today's reminders has fallen due, else from tomorrow.

        Moving a slot later on a day whose dose was already reminded could prompt a second dose that day.
        New times go through the same one-dose-one-reminder rule as a new plan.
        """
        try:
            return await self._change_times(user_id, plan_id, times)
        except SlotTaken:
            async with self._uow_factory() as uow:
                plan = await self._owned(uow, user_id, plan_id)
                holder = (
                    await uow.slots.holder(user_id, medicine_key(plan.name), times, plan.first_day)
                    if plan is not None
                    else None
                )
                other = await uow.reminders.get_plan(holder) if holder is not None else None
            if other is None:
                raise
            return PlanOverlaps(plan_info(other, self._clock.now()))

    async def _change_times(
        self, user_id: int, plan_id: int, times: tuple[time, ...]
    ) -> TimesChanged | PlanOverlaps | None:
        now = self._clock.now()
        async with self._uow_factory() as uow:
            plan = await self._owned(uow, user_id, plan_id)
            if plan is None:
                return None
            others = [p for p in await uow.reminders.plans_of(user_id) if p.plan_id != plan_id]
            others = [p for p in others if p.last_day is None or p.last_day >= local_today(p.timezone, now)]
            clash = _overlap(
                others,
                kind=plan.kind,
                name=plan.name,
                times=times,
                first_day=plan.first_day,
                last_day=plan.last_day,
                today=local_today(plan.timezone, now),
            )
            if clash is not None:
                return PlanOverlaps(plan_info(clash, now))
            if plan.kind is ReminderKind.DOSE:
                await uow.slots.release([plan_id])
                await uow.slots.claim(user_id, medicine_key(plan.name), times, plan_id, plan.first_day)
            tz = ZoneInfo(plan.timezone)
            today = now.astimezone(tz).date()
            starts_today = not await uow.reminders.delivered_on(plan_id, today, now)
            if starts_today:
                from_day, cursor = today, now
                await uow.reminders.delete_future_pending(plan_id, now)
            else:
                from_day = today + timedelta(days=1)
                cursor = max(now, local_day_bounds(from_day, tz)[0])
                # Today's remaining reminders keep the old times, so make sure they exist first.
                await materialise_fully(uow, plan, cursor, self._policy)
                await uow.reminders.delete_future_pending(plan_id, now, from_day)
            updated = await uow.reminders.update_plan(plan_id, now, times=times, materialised_until=cursor)
            assert updated is not None
            await materialise_fully(uow, updated, now + self._policy.lookahead, self._policy)
            await uow.commit()
        log.info("plan times changed: user=%s plan=%s", user_id, plan_id)
        return TimesChanged(plan_info(updated, now), from_day, starts_today)

    async def change_timezone(self, user_id: int, chat_id: int, zone: str) -> TimezoneMoved:
        """Set the user's zone and move their reminders in one transaction; say where each one lands.

        Nothing is skipped: after a move west the next reminder may come later than usual, after a
        move east sooner; the result carries the gap so the user can be told.
        """
        now = self._clock.now()
        async with self._uow_factory() as uow:
            current, _ = await uow.users.upsert(user_id, chat_id, None, now)
            await uow.users.update(user_id, now, timezone=zone)
            moves = await self._rezone(uow, user_id, zone, now) if current.timezone != zone else []
            await uow.commit()
        log.info("time zone changed: user=%s plans=%d", user_id, len(moves))
        return TimezoneMoved(current.timezone, zone, tuple(moves))

    async def _rezone(self, uow: UnitOfWork, user_id: int, zone: str, now: datetime) -> list[ZoneMove]:
        """Move every plan to ``zone`` (same wall-clock times) inside ``uow``."""
        moves: list[ZoneMove] = []
        rows = await uow.reminders.log_of(user_id, now - timedelta(days=2), now + timedelta(seconds=1))
        for plan in await uow.reminders.plans_of(user_id):
            await uow.reminders.delete_future_pending(plan.plan_id, now)
            ended = plan.last_day is not None and plan.last_day < local_today(plan.timezone, now)
            if not plan.active or ended:
                await uow.reminders.update_plan(plan.plan_id, now, timezone=zone, materialised_until=now)
                continue
            # An active plan continues as a new plan in the new zone; the old one keeps its history.
            # Occurrences are keyed by plan and local slot, so updating in place would take "08:00 on
            # 1 Dec" in Los Angeles for the Tokyo dose already reminded and silently skip a day.
            await uow.reminders.update_plan(plan.plan_id, now, active=False, deleted_at=now)
            await uow.slots.release([plan.plan_id])
            updated = await uow.reminders.add_plan(
                NewPlan(
                    user_id=user_id,
                    kind=plan.kind,
                    name=plan.name,
                    dose=plan.dose,
                    times=plan.times,
                    timezone=zone,
                    first_day=plan.first_day,
                    last_day=plan.last_day,
                    created_at=now,
                )
            )
            key = medicine_key(plan.name)
            # A plan stored before slots existed may share a slot with another; it moves unchanged.
            free = await uow.slots.holder(user_id, key, plan.times, plan.first_day) is None
            if plan.kind is ReminderKind.DOSE and free:
                await uow.slots.claim(user_id, key, plan.times, updated.plan_id, plan.first_day)
            await materialise_fully(uow, updated, now + self._policy.lookahead, self._policy)
            if plan.kind is not ReminderKind.DOSE:
                continue
            reminded = [o.due_at for o, p in rows if p.plan_id == plan.plan_id and o.sent_at is not None]
            following = next_occurrence(
                updated.times, ZoneInfo(zone), now, first_day=updated.first_day, last_day=updated.last_day
            )
            moves.append(
                ZoneMove(
                    plan_info(updated, now),
                    following.due_at if following else None,
                    max(reminded) if reminded else None,
                    _usual_gap(updated.times),
                )
            )
        return moves

    async def on_timezone_changed(self, user_id: int, old_zone: str | None, new_zone: str) -> None:
        """Move the user's future, undelivered reminders to the same wall-clock times in the new zone."""
        now = self._clock.now()
        async with self._uow_factory() as uow:
            # Plans already moved by change_timezone (same transaction as the zone) are left alone.
            plans = [p for p in await uow.reminders.plans_of(user_id) if p.timezone != new_zone]
            for plan in plans:
                await uow.reminders.delete_future_pending(plan.plan_id, now)
                updated = await uow.reminders.update_plan(
                    plan.plan_id, now, timezone=new_zone, materialised_until=now
                )
                assert updated is not None
                if updated.active:
                    # Occurrences are keyed by local date and time, so a slot already delivered today
                    # is not created again in the new zone.
                    await materialise_fully(uow, updated, now + self._policy.lookahead, self._policy)
            await uow.commit()
        log.info("reminders moved to a new zone: user=%s plans=%d", user_id, len(plans))

    async def record_taken(self, user_id: int, occurrence_id: int) -> AnswerResult:
        """Record that the dose was taken now; a second "Taken" changes nothing (double-dose guard)."""
        return await self._record_answer(user_id, occurrence_id, skipped=False)

    async def record_skip(self, user_id: int, occurrence_id: int) -> AnswerResult:
        """Record that the user chose to skip this reminder."""
        return await self._record_answer(user_id, occurrence_id, skipped=True)

    async def _record_answer(self, user_id: int, occurrence_id: int, *, skipped: bool) -> AnswerResult:
        """Apply Taken or Skip with one conditional update (ownership and double-dose guard in one)."""
        now = self._clock.now()
        async with self._uow_factory() as uow:
            mark = uow.reminders.mark_skipped if skipped else uow.reminders.mark_taken
            updated = await mark(occurrence_id, user_id, now)
            if updated is not None:
                found = await uow.reminders.get_occurrence(occurrence_id)
                await uow.commit()
                assert found is not None
                log.info(
                    "%s: user=%s occurrence=%s", "skipped" if skipped else "taken", user_id, occurrence_id
                )
                return AnswerResult(AnswerStatus.RECORDED, reminder_info(*found), now, updated.answered_from)
            found = await uow.reminders.get_occurrence(occurrence_id)
        return self._refused(found, user_id)

    async def snooze(self, user_id: int, occurrence_id: int, minutes: int) -> AnswerResult:
        """Bring the reminder back in ``minutes`` (one of the offered lengths, before its deadline)."""
        now = self._clock.now()
        async with self._uow_factory() as uow:
            found = await uow.reminders.get_occurrence(occurrence_id)
            if found is None or found[0].user_id != user_id:
                return AnswerResult(AnswerStatus.NOT_FOUND)
            occ, plan = found
            try:
                until = snooze_until(now, minutes, self._policy)
            except InvalidSnoozeError:
                return AnswerResult(AnswerStatus.INVALID, reminder_info(occ, plan))
            if occ.status is OccurrenceStatus.SENT and until >= occ.deadline:
                return AnswerResult(AnswerStatus.INVALID, reminder_info(occ, plan))
            updated = await uow.reminders.snooze(occurrence_id, user_id, until, min(until, occ.deadline))
            if updated is None:
                return self._refused(found, user_id)
            await uow.commit()
        log.info("snoozed: user=%s occurrence=%s minutes=%d", user_id, occurrence_id, minutes)
        return AnswerResult(AnswerStatus.RECORDED, reminder_info(occ, plan), until)

    @staticmethod
    def _refused(found: tuple[OccurrenceRecord, PlanRecord] | None, user_id: int) -> AnswerResult:
        """Explain why an answer changed nothing."""
        if found is None or found[0].user_id != user_id:
            return AnswerResult(AnswerStatus.NOT_FOUND)
        occ, plan = found
        info = reminder_info(occ, plan)
        if occ.status is OccurrenceStatus.TAKEN:
            return AnswerResult(AnswerStatus.ALREADY_TAKEN, info, occ.answered_at, occ.status)
        if occ.status is OccurrenceStatus.CANCELLED:
            return AnswerResult(AnswerStatus.GONE, info, None, occ.status)
        return AnswerResult(AnswerStatus.CLOSED, info, occ.answered_at, occ.status)

    async def history(self, user_id: int, days: int = 14) -> History:
        """Return dose outcomes per local day for the last ``days`` days (today included)."""
        now = self._clock.now()
        async with self._uow_factory() as uow:
            profile = await uow.users.get(user_id)
            zone = profile.timezone if profile and profile.timezone else "UTC"
            tz = ZoneInfo(zone)
            today = now.astimezone(tz).date()
            first = today - timedelta(days=days - 1)
            rows = await uow.reminders.log_of(
                user_id, local_day_bounds(first, tz)[0], now + timedelta(seconds=1)
            )
        tallies: dict[date, dict[str, int]] = {first + timedelta(days=i): {} for i in range(days)}
        for occ, _plan in rows:
            if occ.kind is not ReminderKind.DOSE:
                continue
            day = occ.due_at.astimezone(tz).date()
            if day not in tallies:
                continue
            key = {
                Outcome.TAKEN: "taken",
                Outcome.TAKEN_LATE: "late",
                Outcome.MISSED: "missed",
                Outcome.SKIPPED: "skipped",
                Outcome.NO_ANSWER_YET: "open",
            }.get(outcome_of(occ, now, self._policy))
            if key is not None:
                tallies[day][key] = tallies[day].get(key, 0) + 1
        return History(zone, tuple(DayTally(day, **counts) for day, counts in tallies.items()))

    async def export(self, user_id: int) -> ExportData:
        """Return everything stored about the user: profile, plans and the full reminder log."""
        now = self._clock.now()
        async with self._uow_factory() as uow:
            profile = await uow.users.get(user_id)
            # Deleted plans are still stored (their history needs them) until /forget: they are exported.
            plans = await uow.reminders.plans_for_export(user_id)
            rows = await uow.reminders.log_of(user_id, None, FINISHED)
            flow = await uow.flows.get(user_id)
        log_entries = tuple(
            LogEntry(
                reminder_info(occ, plan),
                outcome_of(occ, now, self._policy),
                occ.answered_at,
                occ.sent_at,
                occ.delivered_late,
            )
            for occ, plan in rows
            if occ.due_at <= now or occ.status is not OccurrenceStatus.PENDING
        )
        return ExportData(profile, tuple(plan_info(p, now) for p in plans), log_entries, flow)

    async def forget(self, user_id: int) -> dict[str, int]:
        """Delete every row about the user (all tables with a user_id), cancelling all reminders."""
        async with self._uow_factory() as uow:
            counts = await uow.reminders.forget_user(user_id)
            await uow.commit()
        for listener in self._on_forget:
            listener(user_id)
        log.info("user forgotten: user=%s rows=%d", user_id, sum(counts.values()))
        return counts
