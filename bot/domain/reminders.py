"""Reminder rules: what the periodic tick should do with an occurrence, and how answers are recorded.

Everything here is pure: callers pass the current instant and the stored state, and get back a
decision. The lifecycle of one occurrence:

    PENDING --SEND/SEND_LATE--> SENT --(answer)--> TAKEN | SKIPPED
       |                         |  --RESEND_SNOOZED / SEND_FOLLOW_UP--> SENT
       |                         +--MARK_MISSED--> MISSED
       +--MARK_MISSED_UNSENT--> MISSED      (the bot was down until past the deadline)
    any open status --(plan removed)--> CANCELLED

The deadline of an occurrence is never later than the next dose of the same plan (see
``missed_deadline``). After downtime this means only the latest dose still inside its window is sent
(late); the earlier ones are marked missed and summarised, so the user is never prompted for two doses
at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum


class ReminderKind(StrEnum):
    """What a reminder is about."""

    DOSE = "dose"
    STOCKINGS_ON = "stockings_on"
    STOCKINGS_OFF = "stockings_off"


class OccurrenceStatus(StrEnum):
    """Where one occurrence is in its lifecycle (stockings use TAKEN for "done")."""

    PENDING = "pending"  # materialised, not yet delivered
    SENT = "sent"  # delivered, awaiting an answer
    TAKEN = "taken"
    SKIPPED = "skipped"
    MISSED = "missed"
    CANCELLED = "cancelled"


OPEN_STATUSES: frozenset[OccurrenceStatus] = frozenset({OccurrenceStatus.PENDING, OccurrenceStatus.SENT})
"""Statuses the tick still has to act on; every other status is final for the tick."""


class Action(StrEnum):
    """What the tick should do with one occurrence now."""

    NOTHING = "nothing"
    SEND = "send"  # first delivery, on time
    SEND_LATE = "send_late"  # first delivery after it fell due (downtime catch-up): word it "due at HH:MM"
    SEND_FOLLOW_UP = "send_follow_up"  # the one follow-up after an unanswered delivery
    RESEND_SNOOZED = "resend_snoozed"  # the snooze the user chose is over
    MARK_MISSED = "mark_missed"  # delivered, unanswered by the deadline
    MARK_MISSED_UNSENT = "mark_missed_unsent"  # never delivered before the deadline: summarise once


@dataclass(frozen=True, slots=True)
class ReminderPolicy:
    """Timing rules for reminders, in one place so services and tests agree."""

    follow_up_after: timedelta = timedelta(minutes=30)
    missed_after: timedelta = timedelta(minutes=240)
    lookahead: timedelta = timedelta(hours=26)
    claim_lease: timedelta = timedelta(minutes=2)
    snooze_choices: tuple[int, ...] = (10, 15, 30, 60)
    default_snooze_minutes: int = 15
    late_after: timedelta = timedelta(minutes=5)

    def __post_init__(self) -> None:
        """Refuse policies that would make the rules contradict themselves."""
        zero = timedelta(0)
        if min(self.follow_up_after, self.missed_after, self.lookahead, self.claim_lease) <= zero:
            raise ValueError("policy durations must be positive")
        if self.late_after < zero:
            raise ValueError("late_after must not be negative")
        if self.follow_up_after >= self.missed_after:
            raise ValueError("follow_up_after must come before missed_after")
        if not self.snooze_choices or any(m <= 0 for m in self.snooze_choices):
            raise ValueError("snooze_choices must be positive minutes")
        if self.default_snooze_minutes not in self.snooze_choices:
            raise ValueError("default_snooze_minutes must be one of snooze_choices")


@dataclass(frozen=True, slots=True)
class OccurrenceView:
    """The stored state of one occurrence that the rules need (all instants UTC-aware)."""

    status: OccurrenceStatus
    due_at: datetime
    deadline: datetime
    snoozed_until: datetime | None = None
    sent_at: datetime | None = None
    follow_up_sent_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Recorded:
    """The answer "taken" was recorded; ``previous_status`` tells whether it came late."""

    taken_at: datetime
    previous_status: OccurrenceStatus

    @property
    def after_missed(self) -> bool:
        """Tell whether the dose had already been marked missed (recorded as taken late)."""
        return self.previous_status is OccurrenceStatus.MISSED


@dataclass(frozen=True, slots=True)
class AlreadyTaken:
    """The occurrence was already taken; nothing changed (double-dose guard)."""

    taken_at: datetime | None


@dataclass(frozen=True, slots=True)
class Gone:
    """The occurrence was cancelled (its plan was removed); nothing changed."""


TakenOutcome = Recorded | AlreadyTaken | Gone


class InvalidSnoozeError(ValueError):
    """A snooze length that the policy does not offer (e.g. forged callback data)."""


def _require_aware(name: str, value: datetime) -> datetime:
    """Return ``value`` in UTC, refusing naive datetimes."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC)


def missed_deadline(due_at: datetime, next_due_at: datetime | None, policy: ReminderPolicy) -> datetime:
    """Return when an unanswered occurrence counts as missed: never past the plan's next dose."""
    due = _require_aware("due_at", due_at)
    deadline = due + policy.missed_after
    if next_due_at is None:
        return deadline
    following = _require_aware("next_due_at", next_due_at)
    # A "next" dose at the same instant (two slots collapsed into one DST gap) is not a later dose;
    # honouring it would make this occurrence missed the moment it falls due.
    if following <= due:
        return deadline
    return min(deadline, following)


def decide(occ: OccurrenceView, now: datetime, policy: ReminderPolicy) -> Action:
    """Return what the tick should do with ``occ`` at ``now``.

    On RESEND_SNOOZED the caller clears ``snoozed_until`` and sets ``sent_at`` to now; the single
    follow-up is then counted from that delivery. An answer always wins: final statuses yield NOTHING.
    """
    now = _require_aware("now", now)
    if occ.status is OccurrenceStatus.PENDING:
        return _decide_pending(occ, now, policy)
    if occ.status is OccurrenceStatus.SENT:
        return _decide_sent(occ, now, policy)
    return Action.NOTHING


def _decide_pending(occ: OccurrenceView, now: datetime, policy: ReminderPolicy) -> Action:
    """Return the action for an occurrence that was never delivered."""
    if now >= occ.deadline:
        return Action.MARK_MISSED_UNSENT
    if now < occ.due_at:
        return Action.NOTHING
    return Action.SEND_LATE if now - occ.due_at > policy.late_after else Action.SEND


def _decide_sent(occ: OccurrenceView, now: datetime, policy: ReminderPolicy) -> Action:
    """Return the action for a delivered occurrence still awaiting an answer."""
    # The deadline outranks a snooze: a reminder must not run into the next dose.
    if now >= occ.deadline:
        return Action.MARK_MISSED
    if occ.snoozed_until is not None:
        return Action.RESEND_SNOOZED if now >= occ.snoozed_until else Action.NOTHING
    if occ.follow_up_sent_at is not None:
        return Action.NOTHING
    delivered = occ.sent_at if occ.sent_at is not None else occ.due_at
    return Action.SEND_FOLLOW_UP if now - delivered >= policy.follow_up_after else Action.NOTHING


def record_taken(
    status: OccurrenceStatus, taken_at: datetime, *, previous_taken_at: datetime | None = None
) -> TakenOutcome:
    """Return how a "taken" answer changes an occurrence in ``status``; never records a dose twice.

    ``previous_taken_at`` is the stored time when ``status`` is already TAKEN. A dose marked SKIPPED or
    MISSED may still be recorded as taken: the user's answer is the truth about what they did, and
    refusing it would hide a dose from the history (and from the double-dose guard).
    """
    if status is OccurrenceStatus.TAKEN:
        return AlreadyTaken(taken_at=previous_taken_at)
    if status is OccurrenceStatus.CANCELLED:
        return Gone()
    return Recorded(taken_at=_require_aware("taken_at", taken_at), previous_status=status)


def phase_end_notice_due(plan_last_day: date | None, today_local: date) -> bool:
    """Tell whether today is the day before the plan's last day (time to say it ends tomorrow)."""
    if plan_last_day is None:
        return False
    return today_local == plan_last_day - timedelta(days=1)


def snooze_until(now: datetime, minutes: int, policy: ReminderPolicy) -> datetime:
    """Return when a reminder snoozed at ``now`` for ``minutes`` comes back; raise on unoffered lengths."""
    # bool is an int; True must not snooze for a minute.
    if isinstance(minutes, bool) or minutes not in policy.snooze_choices:
        raise InvalidSnoozeError(f"snooze of {minutes!r} minutes is not offered")
    return _require_aware("now", now) + timedelta(minutes=minutes)


def snooze_choices_before(now: datetime, deadline: datetime, policy: ReminderPolicy) -> tuple[int, ...]:
    """Return the snooze lengths that bring the reminder back before its deadline."""
    start = _require_aware("now", now)
    return tuple(m for m in policy.snooze_choices if start + timedelta(minutes=m) < deadline)
