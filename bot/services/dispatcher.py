"""The reminder tick: materialise upcoming occurrences, claim due ones in small slices, send, record.

One periodic job drives everything, and the database is the source of truth; an in-memory scheduler
with one job per reminder drops jobs when many fall due together (APScheduler skips jobs that start
more than ``misfire_grace_time`` late). Each slice (``batch_size``, 16 by default = the send concurrency,
so what is in flight is what is claimed):

1. **claim** (one transaction): lease up to ``batch_size`` rows whose ``next_action_at`` has come,
   doses first, then by time; the lease moves ``next_action_at`` to the lease expiry and stamps a
   fresh ``claim_token``. On PostgreSQL the candidate rows are picked with ``FOR UPDATE SKIP LOCKED``.
2. **decide** per row with the pure rules (``bot.domain.reminders.decide``); users with reminders
   that passed their deadline unsent get all of them claimed at once, for one summary message.
   With a ``ChatPace``, messages beyond what a chat may take now (Telegram: about one a second per
   chat, short bursts allowed) are handed back at once, due when the chat may take them, so one chat
   with many reminders never holds a slice, nor anyone else's reminders.
3. **send** through the injected ``Sender`` (no transaction open while waiting on Telegram); while it
   sends, a heartbeat extends the lease every third of it, so a slow send cannot lose the claim.
4. **finish** (one transaction): write each outcome only where the claim token still matches and the
   status is unchanged, so a user's answer given meanwhile always wins. Blocked users get their plans
   paused; transient failures release the row for a later retry.

A crash between send and finish re-sends at most the in-flight slice after the lease expires: the
delivery is at-least-once, and the window is one slice. A graceful stop (``request_stop``) claims no
further batch, lets the sends already started finish and be recorded, and releases the rows of the
current batch not yet sent, so another dispatcher takes them at once instead of after the lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import partial
from typing import Protocol

from bot.domain.clock import Clock
from bot.domain.reminders import (
    Action,
    OccurrenceStatus,
    ReminderKind,
    ReminderPolicy,
    decide,
    phase_end_notice_due,
    snooze_choices_before,
)
from bot.services.errors import StorageUnavailable
from bot.services.ports import (
    ClaimedOccurrence,
    ClaimOutcome,
    DispatchMetrics,
    DispatchState,
    NewOccurrence,
    PlanRecord,
    UnitOfWork,
)
from bot.services.reminders import (
    PlanInfo,
    ReminderInfo,
    materialise_step,
    next_action_time,
    plan_info,
    reminder_info,
)

log = logging.getLogger(__name__)

UowFactory = Callable[[], UnitOfWork]
BlockedListener = Callable[[int], Awaitable[None]]

_SEND_ACTIONS = frozenset({Action.SEND, Action.SEND_LATE, Action.SEND_FOLLOW_UP, Action.RESEND_SNOOZED})
_RETRY_BASE = timedelta(seconds=30)
_RETRY_CAP = timedelta(minutes=15)
_SLOT_CACHE_LIMIT = 50_000
# Chunks of plans being written while the next is computed (more did not help on a loaded 2-core box,
# and SQLite has one writer anyway).
_MATERIALISE_WRITERS = 1


class SendOutcome(StrEnum):
    """How one delivery attempt ended."""

    SENT = "sent"
    BLOCKED = "blocked"  # the user blocked the bot: stop, do not retry
    RETRY = "retry"  # network trouble or flood control: try again later
    FAILED = "failed"  # Telegram refused this message: back off; give up once it no longer matters


@dataclass(frozen=True, slots=True)
class SendResult:
    """The result of one delivery attempt; ``retry_after`` is Telegram's flood-control wait."""

    outcome: SendOutcome
    retry_after: timedelta | None = None


SENT = SendResult(SendOutcome.SENT)


@dataclass(frozen=True, slots=True)
class PhaseEnd:
    """Tomorrow is the plan's last day; what the user's next plan of that medicine says, if any."""

    last_day: date
    next_plan: PlanInfo | None


@dataclass(frozen=True, slots=True)
class ReminderMessage:
    """One message to send about one occurrence: a reminder, a follow-up, a resend or a missed notice."""

    user_id: int
    chat_id: int
    action: Action
    reminder: ReminderInfo
    snooze_minutes: tuple[int, ...] = ()
    phase_end: PhaseEnd | None = None


@dataclass(frozen=True, slots=True)
class MissedSummary:
    """One message per user listing reminders that passed their deadline while they could not be sent."""

    user_id: int
    chat_id: int
    timezone: str
    items: tuple[ReminderInfo, ...]


class Sender(Protocol):
    """Deliver reminder messages (implemented over Telegram in ``bot.jobs``)."""

    async def send_reminder(self, message: ReminderMessage) -> SendResult:
        """Send one reminder, follow-up, snoozed resend or missed notice."""
        ...

    async def send_missed_summary(self, summary: MissedSummary) -> SendResult:
        """Send the one summary of reminders missed while the bot could not send them."""
        ...


@dataclass(frozen=True, slots=True)
class TickReport:
    """What one tick did."""

    materialised: int = 0
    claimed: int = 0
    sent: int = 0
    late: int = 0
    follow_ups: int = 0
    resent: int = 0
    missed: int = 0
    summaries: int = 0
    failed: int = 0
    blocked: int = 0

    def __add__(self, other: TickReport) -> TickReport:
        """Return the field-wise sum of two reports."""
        return TickReport(**{name: getattr(self, name) + getattr(other, name) for name in self.__slots__})


@dataclass(slots=True)
class _Tally:
    metrics: DispatchMetrics | None = None
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, name: str, n: int = 1) -> None:
        self.counts[name] += n
        if self.metrics is None or n == 0:
            return
        if name == "missed":
            self.metrics.reminder_missed(n)
        elif name == "failed":
            self.metrics.reminder_failed(n)
        elif name == "blocked":
            self.metrics.reminder_blocked(n)
        elif name == "follow_ups":
            for _ in range(n):
                self.metrics.reminder_follow_up_sent()

    def delivered(self, *, late: bool, lag: timedelta) -> None:
        self.counts["late" if late else "sent"] += 1
        if self.metrics is not None:
            self.metrics.reminder_sent(late=late, lag_seconds=lag.total_seconds())

    def report(self) -> TickReport:
        return TickReport(**self.counts)


@dataclass(frozen=True, slots=True)
class _Work:
    claimed: ClaimedOccurrence
    action: Action


@dataclass(frozen=True, slots=True)
class ChatPace:
    """Telegram's pace for one chat: ``burst`` messages at once, then one per ``period / burst``."""

    burst: int = 3
    period: timedelta = timedelta(seconds=3)

    @property
    def interval(self) -> timedelta:
        """Return the steady spacing between two messages to one chat."""
        return self.period / self.burst


_Slots = tuple[tuple[tuple[date, time, datetime, datetime], ...], datetime]
_SlotKey = tuple[tuple[time, ...], str, date | None, date | None, datetime]


def _materialise_into(
    rows: list[NewOccurrence],
    plan: PlanRecord,
    target: datetime,
    policy: ReminderPolicy,
    cache: dict[_SlotKey, _Slots],
) -> datetime:
    """Append the plan's occurrences up to ``target`` to ``rows``; return the plan's new cursor.

    The slots depend only on the times, zone, first and last day and the cursor, which most plans
    share (the same few dose times, zones, and the cursor the previous tick left), so they are
    computed once per distinct schedule and then stamped with each plan's ids.
    """
    key = (plan.times, plan.timezone, plan.first_day, plan.last_day, plan.materialised_until)
    slots = cache.get(key)
    if slots is None:
        template = replace(plan, plan_id=0, user_id=0, kind=ReminderKind.DOSE)
        found: list[tuple[date, time, datetime, datetime]] = []
        current = template
        while True:
            step, cursor = materialise_step(current, target, policy)
            found += [(r.local_date, r.local_time, r.due_at, r.deadline) for r in step]
            if cursor >= target or cursor <= current.materialised_until:
                break
            current = replace(current, materialised_until=cursor)
        slots = (tuple(found), cursor)
        if len(cache) < _SLOT_CACHE_LIMIT:
            cache[key] = slots
    rows += [
        NewOccurrence(
            plan_id=plan.plan_id,
            user_id=plan.user_id,
            kind=plan.kind,
            local_date=local_date,
            local_time=local_time,
            due_at=due_at,
            deadline=deadline,
        )
        for local_date, local_time, due_at, deadline in slots[0]
    ]
    return slots[1]


class Dispatcher:
    """Run the reminder tick against the database, sending through an injected Sender."""

    def __init__(
        self,
        uow_factory: UowFactory,
        policy: ReminderPolicy,
        *,
        batch_size: int = 16,
        max_batches: int = 1000,
        concurrency: int = 16,
        materialise_batch: int = 5000,
        on_blocked: BlockedListener | None = None,
        metrics: DispatchMetrics | None = None,
        clock: Clock | None = None,
        chat_pace: ChatPace | None = None,
    ) -> None:
        if batch_size < 1 or max_batches < 1 or concurrency < 1 or materialise_batch < 1:
            raise ValueError("dispatcher sizes must be positive")
        self._chat_pace = chat_pace
        # Per chat, the earliest instant its next message may go (GCRA's "theoretical arrival time").
        self._pace: dict[int, datetime] = {}
        self._uow_factory = uow_factory
        self._policy = policy
        self._batch_size = batch_size
        self._max_batches = max_batches
        self._concurrency = concurrency
        self._materialise_batch = materialise_batch
        self._on_blocked = on_blocked
        self._metrics = metrics
        self._clock = clock
        self._stopping = False

    @property
    def stopping(self) -> bool:
        """Tell whether ``request_stop`` was called (and ``resume`` not since)."""
        return self._stopping

    def request_stop(self) -> None:
        """Claim no further batch; the running one sends what it started and hands back the rest."""
        self._stopping = True

    def resume(self) -> None:
        """Undo ``request_stop`` (an Application started again)."""
        self._stopping = False

    async def next_due(self) -> datetime | None:
        """Return the earliest instant at which a reminder needs sending or updating, if any."""
        async with self._uow_factory() as uow:
            return await uow.reminders.next_due()

    def _now(self, fallback: datetime) -> datetime:
        return fallback if self._clock is None else max(fallback, self._clock.now())

    async def tick(self, now: datetime, sender: Sender) -> TickReport:
        """Materialise upcoming occurrences, then claim, send and record due ones batch by batch."""
        tally = _Tally(self._metrics)
        tally.add("materialised", await self.materialise(now))
        for _ in range(self._max_batches):
            if self._stopping:
                break
            # A tick can outlast the lease; leasing from its start time would hand out leases that
            # have already expired, and another dispatcher would send the same rows again.
            batch_now = self._now(now)
            if not await self._batch(batch_now, sender, tally):
                break
        report = tally.report()
        if report.claimed or report.materialised:
            log.info(
                "reminder tick: claimed=%d sent=%d late=%d follow_ups=%d resent=%d missed=%d summaries=%d "
                "failed=%d blocked=%d materialised=%d",
                report.claimed,
                report.sent,
                report.late,
                report.follow_ups,
                report.resent,
                report.missed,
                report.summaries,
                report.failed,
                report.blocked,
                report.materialised,
            )
        return report

    async def materialise(self, now: datetime) -> int:
        """Create the occurrences of every active plan up to the lookahead; return the plans touched.

        One pass over the plans in id order, each plan taken all the way to the lookahead in memory,
        and stored with one set-based insert per chunk of plans (see ``add_occurrences``).
        """
        # Refill only when less than half the lookahead remains, so a plan is revisited twice a day,
        # not on every tick.
        threshold = now + self._policy.lookahead / 2
        target = now + self._policy.lookahead
        touched = 0
        after_id = 0
        cache: dict[_SlotKey, _Slots] = {}
        writers: set[asyncio.Task[None]] = set()
        try:
            while not self._stopping:
                async with self._uow_factory() as uow:
                    plans = await uow.reminders.plans_to_materialise(
                        threshold, after_id, self._materialise_batch
                    )
                if not plans:
                    break
                rows: list[NewOccurrence] = []
                marks: list[tuple[int, datetime]] = []
                for plan in plans:
                    marks.append((plan.plan_id, _materialise_into(rows, plan, target, self._policy, cache)))
                if len(writers) >= _MATERIALISE_WRITERS:
                    done, writers = await asyncio.wait(writers, return_when=asyncio.FIRST_COMPLETED)
                    for task in done:
                        task.result()
                # Writes go on in the background (a few at once, each its own transaction) while the
                # next chunk is read and computed: the database and Python work side by side.
                writers.add(asyncio.create_task(self._store(rows, marks)))
                touched += len(plans)
                after_id = plans[-1].plan_id
            if writers:
                await asyncio.gather(*writers)
                writers = set()
        finally:
            for task in writers:
                task.cancel()
            if writers:
                await asyncio.gather(*writers, return_exceptions=True)
        return touched

    async def _store(self, rows: list[NewOccurrence], marks: list[tuple[int, datetime]]) -> None:
        async with self._uow_factory() as uow:
            await uow.reminders.add_occurrences(rows)
            await uow.reminders.set_materialised(marks)
            await uow.commit()

    async def _batch(self, now: datetime, sender: Sender, tally: _Tally) -> bool:
        """Claim, send and record one batch; tell whether anything was claimed."""
        token = secrets.token_hex(16)
        lease = now + self._policy.claim_lease
        async with self._uow_factory() as uow:
            claimed = await uow.reminders.claim(now, lease, token, self._batch_size)
            await uow.commit()
        if not claimed:
            return False
        work = [_Work(c, decide(c.occurrence.view(), now, self._policy)) for c in claimed]
        overdue_users = sorted(
            {w.claimed.occurrence.user_id for w in work if w.action is Action.MARK_MISSED_UNSENT}
        )
        if overdue_users:
            # Claim every other overdue reminder of these users now, so each gets one summary, not several.
            async with self._uow_factory() as uow:
                more = await uow.reminders.claim_overdue(overdue_users, now, lease, token)
                await uow.commit()
            work += [_Work(c, decide(c.occurrence.view(), now, self._policy)) for c in more]
        work, deferred = self._paced(work, now)
        if deferred:
            # Later messages to a chat that has had its burst go back to the queue, due when the chat
            # may take them: one busy chat never holds a slice (or another chat's reminders) back.
            async with self._uow_factory() as uow:
                await uow.reminders.release_at(deferred, token)
                await uow.commit()
        if not work:
            return True
        tally.add("claimed", len(work))
        phase_ends = await self._phase_ends(work, now)
        heartbeat = asyncio.create_task(
            self._heartbeat([w.claimed.occurrence.occurrence_id for w in work], token)
        )
        try:
            outcomes, blocked, unsent = await self._deliver(
                work, now=now, token=token, sender=sender, phase_ends=phase_ends, tally=tally
            )
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        async with self._uow_factory() as uow:
            await uow.reminders.finish(outcomes)
            if unsent:
                released = await uow.reminders.release(unsent, token, now)
                log.info("dispatcher stopping: released %d unsent reminders", released)
            for user_id in blocked:
                await uow.reminders.deactivate_user(user_id, now)
            await uow.commit()
        for user_id in blocked:
            log.info("user blocked the bot; reminders paused: user=%s", user_id)
            if self._on_blocked is not None:
                await self._on_blocked(user_id)
        return True

    def _paced(self, work: list[_Work], now: datetime) -> tuple[list[_Work], list[tuple[int, datetime]]]:
        """Split a slice into what each chat may receive now and the rest, with when to retry it."""
        pace = self._chat_pace
        if pace is None:
            return work, []
        if len(self._pace) > 10_000:
            self._pace = {chat: tat for chat, tat in self._pace.items() if tat > now}
        interval, tolerance = pace.interval, pace.interval * (pace.burst - 1)
        now_work: list[_Work] = []
        deferred: list[tuple[int, datetime]] = []
        waiting: dict[int, int] = defaultdict(int)
        for w in work:
            sends = w.action in _SEND_ACTIONS or (
                w.action is Action.MARK_MISSED and w.claimed.occurrence.kind is ReminderKind.DOSE
            )
            if not sends:
                now_work.append(w)
                continue
            chat = w.claimed.chat_id
            tat = max(self._pace.get(chat, now), now)
            if tat - tolerance <= now:
                self._pace[chat] = tat + interval
                now_work.append(w)
            else:
                waiting[chat] += 1
                deferred.append(
                    (w.claimed.occurrence.occurrence_id, tat - tolerance + interval * (waiting[chat] - 1))
                )
        return now_work, deferred

    async def _heartbeat(self, occurrence_ids: list[int], token: str) -> None:
        """Keep extending the slice's lease while it is being sent (a slow send must not lose it)."""
        lease = self._policy.claim_lease
        while True:
            await asyncio.sleep(lease.total_seconds() / 3)
            until = (self._clock.now() if self._clock is not None else datetime.now(UTC)) + lease
            try:
                async with self._uow_factory() as uow:
                    await uow.reminders.extend_lease(occurrence_ids, token, until)
                    await uow.commit()
            except StorageUnavailable as exc:
                log.warning("reminder lease not extended: %s", exc)

    async def _phase_ends(self, work: Sequence[_Work], now: datetime) -> dict[int, PhaseEnd]:
        """Find reminders that should also say "this plan ends tomorrow", with the next plan."""
        wanted = [
            w.claimed
            for w in work
            if w.action in (Action.SEND, Action.SEND_LATE)
            and w.claimed.occurrence.kind is ReminderKind.DOSE
            and phase_end_notice_due(w.claimed.plan.last_day, w.claimed.occurrence.local_date)
            and w.claimed.occurrence.local_time == min(w.claimed.plan.times)
        ]
        if not wanted:
            return {}
        found: dict[int, PhaseEnd] = {}
        async with self._uow_factory() as uow:
            for c in wanted:
                assert c.plan.last_day is not None
                following = await uow.reminders.next_plan(c.plan.user_id, c.plan.name, c.plan.last_day)
                found[c.occurrence.occurrence_id] = PhaseEnd(
                    c.plan.last_day, plan_info(following, now) if following else None
                )
        return found

    async def _deliver(
        self,
        work: Sequence[_Work],
        *,
        now: datetime,
        token: str,
        sender: Sender,
        phase_ends: dict[int, PhaseEnd],
        tally: _Tally,
    ) -> tuple[list[ClaimOutcome], set[int], list[int]]:
        """Send what the batch needs; return the outcomes, the users who blocked the bot, the unsent ids.

        After ``request_stop`` no further send starts; those rows come back as unsent, to be released.
        """
        outcomes: list[ClaimOutcome] = []
        blocked: set[int] = set()
        limit = asyncio.Semaphore(self._concurrency)

        async def guarded(call: Callable[[], Awaitable[SendResult]]) -> SendResult | None:
            async with limit:
                if self._stopping:
                    return None
                try:
                    return await call()
                except Exception as exc:  # one broken message must not stall the batch
                    log.error("reminder send failed unexpectedly: %s", type(exc).__name__, exc_info=exc)
                    return SendResult(SendOutcome.FAILED)

        singles: list[_Work] = []
        summaries: dict[int, list[_Work]] = defaultdict(list)
        for w in work:
            if w.action is Action.MARK_MISSED_UNSENT:
                summaries[w.claimed.occurrence.user_id].append(w)
            elif w.action in _SEND_ACTIONS or (
                w.action is Action.MARK_MISSED and w.claimed.occurrence.kind is ReminderKind.DOSE
            ):
                singles.append(w)
            else:
                # NOTHING, or a missed stocking reminder: nothing to say, just record the new state.
                outcomes.append(self._outcome(w, token, now, SENT))
                if w.action is Action.MARK_MISSED:
                    tally.add("missed")

        # Calls are passed as factories so that a send skipped after request_stop is never created.
        single_calls = [
            guarded(
                partial(
                    sender.send_reminder,
                    self._message(w, now, phase_ends.get(w.claimed.occurrence.occurrence_id)),
                )
            )
            for w in singles
        ]
        summary_groups = list(summaries.values())
        summary_calls = [
            guarded(partial(sender.send_missed_summary, self._summary(group))) for group in summary_groups
        ]
        results = await asyncio.gather(*single_calls, *summary_calls)
        unsent = self._record(
            singles,
            summary_groups,
            results,
            token=token,
            now=now,
            tally=tally,
            outcomes=outcomes,
            blocked=blocked,
        )
        return outcomes, blocked, unsent

    def _record(
        self,
        singles: Sequence[_Work],
        summary_groups: Sequence[Sequence[_Work]],
        results: Sequence[SendResult | None],
        *,
        token: str,
        now: datetime,
        tally: _Tally,
        outcomes: list[ClaimOutcome],
        blocked: set[int],
    ) -> list[int]:
        """Turn send results into outcomes and blocked users; return the ids of rows never sent."""
        unsent: list[int] = []
        for w, maybe in zip(singles, results[: len(singles)], strict=True):
            if maybe is None:
                unsent.append(w.claimed.occurrence.occurrence_id)
                continue
            result = maybe
            if result.outcome is SendOutcome.BLOCKED:
                blocked.add(w.claimed.occurrence.user_id)
                tally.add("blocked")
                continue
            outcomes.append(self._outcome(w, token, now, result))
            self._count(tally, w, now, result)
        for group, maybe in zip(summary_groups, results[len(singles) :], strict=True):
            if maybe is None:
                unsent += [w.claimed.occurrence.occurrence_id for w in group]
                continue
            result = maybe
            if result.outcome is SendOutcome.BLOCKED:
                blocked.add(group[0].claimed.occurrence.user_id)
                tally.add("blocked", len(group))
                continue
            outcomes += [self._outcome(w, token, now, result) for w in group]
            if result.outcome is not SendOutcome.RETRY:
                tally.add("missed", len(group))
                tally.add("summaries", 1 if result.outcome is SendOutcome.SENT else 0)
            else:
                tally.add("failed", len(group))
        return unsent

    @staticmethod
    def _count(tally: _Tally, w: _Work, now: datetime, result: SendResult) -> None:
        action = w.action
        if result.outcome is not SendOutcome.SENT:
            if action is Action.MARK_MISSED and result.outcome is SendOutcome.FAILED:
                tally.add("missed")
            tally.add("failed")
            return
        if action in (Action.SEND, Action.SEND_LATE):
            tally.delivered(late=action is Action.SEND_LATE, lag=now - w.claimed.occurrence.due_at)
            return
        name = {
            Action.SEND_FOLLOW_UP: "follow_ups",
            Action.RESEND_SNOOZED: "resent",
            Action.MARK_MISSED: "missed",
        }[action]
        tally.add(name)

    def _message(self, w: _Work, now: datetime, phase_end: PhaseEnd | None) -> ReminderMessage:
        occ = w.claimed.occurrence
        choices = snooze_choices_before(now, occ.deadline, self._policy) if w.action in _SEND_ACTIONS else ()
        return ReminderMessage(
            user_id=occ.user_id,
            chat_id=w.claimed.chat_id,
            action=w.action,
            reminder=reminder_info(occ, w.claimed.plan),
            snooze_minutes=choices,
            phase_end=phase_end,
        )

    @staticmethod
    def _summary(group: Sequence[_Work]) -> MissedSummary:
        first = group[0].claimed
        items = sorted(
            (reminder_info(w.claimed.occurrence, w.claimed.plan) for w in group), key=lambda r: r.due_at
        )
        return MissedSummary(first.occurrence.user_id, first.chat_id, first.plan.timezone, tuple(items))

    def _outcome(self, w: _Work, token: str, now: datetime, result: SendResult) -> ClaimOutcome:
        """Return the state to write back for one claimed occurrence after its send attempt."""
        occ = w.claimed.occurrence
        view = occ.view()
        state = DispatchState(
            status=occ.status,
            next_action_at=None,
            sent_at=occ.sent_at,
            follow_up_sent_at=occ.follow_up_sent_at,
            snoozed_until=occ.snoozed_until,
            delivered_late=occ.delivered_late,
            attempts=occ.attempts,
        )
        missed_action = w.action in (Action.MARK_MISSED, Action.MARK_MISSED_UNSENT)
        gave_up = result.outcome is SendOutcome.FAILED and missed_action
        if result.outcome is not SendOutcome.SENT and not gave_up:
            # Keep the state; come back after a pause. A notice Telegram refuses for good is not retried
            # past the deadline: the status change matters more than the message.
            delay = result.retry_after or min(_RETRY_CAP, _RETRY_BASE * 2 ** min(occ.attempts, 10))
            state = replace(state, next_action_at=now + delay, attempts=occ.attempts + 1)
            return ClaimOutcome(occ.occurrence_id, token, occ.status, state)
        if w.action in (Action.SEND, Action.SEND_LATE):
            view = replace(view, status=OccurrenceStatus.SENT, sent_at=now)
            state = replace(
                state, status=OccurrenceStatus.SENT, sent_at=now, delivered_late=w.action is Action.SEND_LATE
            )
        elif w.action is Action.RESEND_SNOOZED:
            view = replace(view, sent_at=now, snoozed_until=None)
            state = replace(state, sent_at=now, snoozed_until=None)
        elif w.action is Action.SEND_FOLLOW_UP:
            view = replace(view, follow_up_sent_at=now)
            state = replace(state, follow_up_sent_at=now)
        elif missed_action:
            view = replace(view, status=OccurrenceStatus.MISSED)
            state = replace(state, status=OccurrenceStatus.MISSED)
        state = replace(state, next_action_at=next_action_time(view, self._policy), attempts=0)
        return ClaimOutcome(occ.occurrence_id, token, occ.status, state)
