"""Repository and unit-of-work protocols the services depend on (implemented in bot.db)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from types import TracebackType
from typing import Any, Protocol, Self

from bot.domain.reminders import OccurrenceStatus, OccurrenceView, ReminderKind
from bot.domain.users import UserProfile


class UserRepository(Protocol):
    """Store and fetch user profiles; never commits."""

    async def get(self, user_id: int) -> UserProfile | None:
        """Return the profile of ``user_id`` or None."""
        ...

    async def upsert(
        self, user_id: int, chat_id: int, language: str | None, now: datetime
    ) -> tuple[UserProfile, bool]:
        """Create or refresh a user; return the profile and whether it was created."""
        ...

    async def update(self, user_id: int, now: datetime, **fields: object) -> UserProfile | None:
        """Change the named fields of a user; return the new profile or None if unknown."""
        ...

    async def delete(self, user_id: int) -> bool:
        """Delete the user row; return whether it existed."""
        ...


@dataclass(frozen=True, slots=True)
class PlanRecord:
    """A stored reminder plan: what to remind about, at which wall-clock times, in which zone."""

    plan_id: int
    user_id: int
    kind: ReminderKind
    name: str
    dose: str | None
    times: tuple[time, ...]
    timezone: str
    first_day: date | None
    last_day: date | None
    active: bool
    materialised_until: datetime
    created_at: datetime
    deleted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class NewPlan:
    """A plan to store."""

    user_id: int
    kind: ReminderKind
    name: str
    dose: str | None
    times: tuple[time, ...]
    timezone: str
    first_day: date | None
    last_day: date | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NewOccurrence:
    """One occurrence to materialise (ignored if its (plan, local_date, local_time) exists)."""

    plan_id: int
    user_id: int
    kind: ReminderKind
    local_date: date
    local_time: time
    due_at: datetime
    deadline: datetime


@dataclass(frozen=True, slots=True)
class OccurrenceRecord:
    """A stored occurrence with its delivery state."""

    occurrence_id: int
    plan_id: int
    user_id: int
    kind: ReminderKind
    local_date: date
    local_time: time
    due_at: datetime
    deadline: datetime
    status: OccurrenceStatus
    next_action_at: datetime | None
    sent_at: datetime | None
    follow_up_sent_at: datetime | None
    snoozed_until: datetime | None
    answered_at: datetime | None
    answered_from: OccurrenceStatus | None
    delivered_late: bool
    claim_token: str | None
    attempts: int

    def view(self) -> OccurrenceView:
        """Return the state the pure reminder rules decide on."""
        return OccurrenceView(
            status=self.status,
            due_at=self.due_at,
            deadline=self.deadline,
            snoozed_until=self.snoozed_until,
            sent_at=self.sent_at,
            follow_up_sent_at=self.follow_up_sent_at,
        )


@dataclass(frozen=True, slots=True)
class ClaimedOccurrence:
    """An occurrence leased to one dispatcher, with its plan and where to send it."""

    occurrence: OccurrenceRecord
    plan: PlanRecord
    chat_id: int


@dataclass(frozen=True, slots=True)
class DispatchState:
    """The delivery state the dispatcher writes back after acting on a claimed occurrence."""

    status: OccurrenceStatus
    next_action_at: datetime | None
    sent_at: datetime | None
    follow_up_sent_at: datetime | None
    snoozed_until: datetime | None
    delivered_late: bool
    attempts: int


@dataclass(frozen=True, slots=True)
class ClaimOutcome:
    """Write ``state`` only if the claim ``claim_token`` still holds and the status is unchanged."""

    occurrence_id: int
    claim_token: str
    expected_status: OccurrenceStatus
    state: DispatchState


class ReminderRepository(Protocol):
    """Store reminder plans and their occurrences; never commits."""

    async def add_plan(self, plan: NewPlan) -> PlanRecord:
        """Store a new plan; return it with its id."""
        ...

    async def get_plan(self, plan_id: int) -> PlanRecord | None:
        """Return the plan ``plan_id`` (deleted ones too) or None."""
        ...

    async def plans_for_export(self, user_id: int) -> list[PlanRecord]:
        """Return all the user's plans still stored, deleted ones too, oldest first."""
        ...

    async def plans_of(self, user_id: int) -> list[PlanRecord]:
        """Return the user's plans that are not deleted, oldest first."""
        ...

    async def update_plan(self, plan_id: int, now: datetime, **fields: object) -> PlanRecord | None:
        """Change the named fields of a plan; return the new plan or None if unknown."""
        ...

    async def next_plan(self, user_id: int, name: str, after_day: date) -> PlanRecord | None:
        """Return the user's dose plan of medicine ``name`` that starts soonest after ``after_day``."""
        ...

    async def plans_to_materialise(self, threshold: datetime, after_id: int, limit: int) -> list[PlanRecord]:
        """Return active plans materialised only up to before ``threshold``, by id after ``after_id``."""
        ...

    async def set_materialised(self, marks: Sequence[tuple[int, datetime]]) -> None:
        """Record, per plan id, the instant up to which its occurrences exist."""
        ...

    async def add_occurrences(self, rows: Sequence[NewOccurrence]) -> None:
        """Insert occurrences, silently keeping any that already exist."""
        ...

    async def get_occurrence(self, occurrence_id: int) -> tuple[OccurrenceRecord, PlanRecord] | None:
        """Return an occurrence and its plan, or None."""
        ...

    async def delete_future_pending(self, plan_id: int, after: datetime, from_day: date | None = None) -> int:
        """Delete the plan's undelivered occurrences due after ``after`` (on or after ``from_day``)."""
        ...

    async def cancel_open(self, plan_ids: Sequence[int], now: datetime) -> int:
        """Delete the plans' undelivered future occurrences and cancel their due, unanswered ones."""
        ...

    async def delivered_on(self, plan_id: int, local_date: date, now: datetime) -> bool:
        """Tell whether an occurrence of the plan on ``local_date`` has fallen due and not been cancelled."""
        ...

    async def claim(
        self, now: datetime, lease_until: datetime, token: str, limit: int
    ) -> list[ClaimedOccurrence]:
        """Lease up to ``limit`` due occurrences to ``token``: doses first, then by due time."""
        ...

    async def claim_overdue(
        self, user_ids: Sequence[int], now: datetime, lease_until: datetime, token: str
    ) -> list[ClaimedOccurrence]:
        """Lease every undelivered occurrence of these users whose deadline has passed."""
        ...

    async def finish(self, outcomes: Sequence[ClaimOutcome]) -> None:
        """Write dispatch outcomes; each applies only while its claim still holds."""
        ...

    async def release(self, occurrence_ids: Sequence[int], token: str, now: datetime) -> int:
        """Hand back claimed, unsent occurrences: due again at ``now`` (only while the claim holds)."""
        ...

    async def release_at(self, deferrals: Sequence[tuple[int, datetime]], token: str) -> int:
        """Hand back claimed, unsent occurrences, each due again at its own instant (while claimed)."""
        ...

    async def extend_lease(self, occurrence_ids: Sequence[int], token: str, lease_until: datetime) -> int:
        """Move the lease of those rows still claimed by ``token`` to ``lease_until``; return how many."""
        ...

    async def next_due(self) -> datetime | None:
        """Return the earliest instant at which any occurrence needs the dispatcher, if any."""
        ...

    async def mark_taken(self, occurrence_id: int, user_id: int, now: datetime) -> OccurrenceRecord | None:
        """Record "taken" unless already taken or cancelled; return the updated row, or None."""
        ...

    async def mark_skipped(self, occurrence_id: int, user_id: int, now: datetime) -> OccurrenceRecord | None:
        """Record "skipped" on an open occurrence; return the updated row, or None."""
        ...

    async def snooze(
        self, occurrence_id: int, user_id: int, until: datetime, next_action_at: datetime
    ) -> OccurrenceRecord | None:
        """Snooze a delivered, unanswered occurrence; return the updated row, or None."""
        ...

    async def log_of(
        self, user_id: int, start: datetime | None, end: datetime
    ) -> list[tuple[OccurrenceRecord, PlanRecord]]:
        """Return the user's occurrences due in ``[start, end)`` with their plans, by due time."""
        ...

    async def deactivate_user(self, user_id: int, now: datetime) -> int:
        """Pause every plan of the user and cancel their open occurrences; return the plans paused."""
        ...

    async def forget_user(self, user_id: int) -> dict[str, int]:
        """Delete every row about the user in every table with a user_id; return rows per table."""
        ...


class DispatchMetrics(Protocol):
    """Where the dispatcher counts reminder outcomes (``bot.metrics.Metrics``; no prometheus here)."""

    def reminder_sent(self, *, late: bool, lag_seconds: float) -> None:
        """Count a reminder delivered (late or on time) and how long after its due time."""
        ...

    def reminder_follow_up_sent(self) -> None:
        """Count one follow-up message."""
        ...

    def reminder_missed(self, count: int = 1) -> None:
        """Count reminders marked missed."""
        ...

    def reminder_failed(self, count: int = 1) -> None:
        """Count failed deliveries."""
        ...

    def reminder_blocked(self, count: int = 1) -> None:
        """Count reminders not delivered because the user blocked the bot."""
        ...


@dataclass(frozen=True, slots=True)
class FlowRecord:
    """A stored guided step: its name and the answers given so far (only what was asked)."""

    flow: str
    data: dict[str, object]
    updated_at: datetime


class FlowRepository(Protocol):
    """Store the one open guided flow per user; never commits."""

    async def get(self, user_id: int) -> FlowRecord | None:
        """Return the user's open flow, if any."""
        ...

    async def put(self, user_id: int, flow: str, data: dict[str, Any], now: datetime) -> None:
        """Store the user's open flow (replacing any other)."""
        ...

    async def clear(self, user_id: int) -> None:
        """Forget the user's open flow."""
        ...


class SlotRepository(Protocol):
    """Dose slots (user, medicine, local time), unique in the database; never commits."""

    async def claim(
        self, user_id: int, medicine: str, times: Sequence[time], plan_id: int, first_day: date | None
    ) -> None:
        """Take the slots for a plan; raise SlotTaken if one is already taken."""
        ...

    async def release(self, plan_ids: Sequence[int]) -> None:
        """Give back the slots of these plans."""
        ...

    async def holder(
        self, user_id: int, medicine: str, times: Sequence[time], first_day: date | None
    ) -> int | None:
        """Return the plan holding one of these slots (for this first day), if any."""
        ...


class UnitOfWork(Protocol):
    """One transaction for one use case."""

    # Read-only in the protocol so that SQL (or fake) repositories satisfy it structurally.
    @property
    def users(self) -> UserRepository:
        """Return the user repository of this transaction."""
        ...

    @property
    def reminders(self) -> ReminderRepository:
        """Return the reminder repository of this transaction."""
        ...

    @property
    def flows(self) -> FlowRepository:
        """Return the conversation-state repository of this transaction."""
        ...

    @property
    def slots(self) -> SlotRepository:
        """Return the dose-slot repository of this transaction."""
        ...

    async def __aenter__(self) -> Self:
        """Begin the transaction."""
        ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Roll back anything not committed and release the connection."""
        ...

    async def commit(self) -> None:
        """Commit the transaction."""
        ...
