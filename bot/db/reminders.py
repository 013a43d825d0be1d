"""Reminder plans and their occurrences: ORM models and the SQL repository.

The database is the source of truth for reminders. A plan says "remind me of X at these wall-clock
times in this zone"; the dispatcher materialises each plan into one row per occurrence and drives
that row through its lifecycle. ``next_action_at`` is the earliest instant at which the dispatcher has
anything to do with a row (NULL once the row is final); claiming a row moves it to the lease expiry,
so a dispatcher that dies mid-send leaves the row claimable again when the lease runs out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Time,
    UniqueConstraint,
    and_,
    bindparam,
    delete,
    false,
    func,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime
from bot.domain.reminders import OccurrenceStatus, ReminderKind
from bot.services.ports import (
    ClaimedOccurrence,
    ClaimOutcome,
    NewOccurrence,
    NewPlan,
    OccurrenceRecord,
    PlanRecord,
)

# Doses are dispatched before stocking reminders when the queue is long.
PRIORITY_DOSE = 0
PRIORITY_STOCKINGS = 1
_PRIORITIES = (PRIORITY_DOSE, PRIORITY_STOCKINGS)

_PENDING = OccurrenceStatus.PENDING.value
_SENT = OccurrenceStatus.SENT.value
_TAKEN = OccurrenceStatus.TAKEN.value
_CANCELLED = OccurrenceStatus.CANCELLED.value
_OPEN = (_PENDING, _SENT)
_BULK_CHUNK = 20_000
_PG_ADD_OCCURRENCES = text(
    """
    INSERT INTO reminder_occurrences (plan_id, user_id, kind, priority, local_date, local_time, due_at,
        deadline, status, next_action_at, delivered_late, attempts)
    SELECT p, u, k, pr, ld, lt, d, dl, :status, d, false, 0
    FROM unnest(CAST(:plan_ids AS integer[]), CAST(:user_ids AS bigint[]), CAST(:kinds AS varchar[]),
        CAST(:priorities AS smallint[]), CAST(:dates AS date[]), CAST(:times AS time[]),
        CAST(:dues AS timestamptz[]), CAST(:deadlines AS timestamptz[])) AS t(p, u, k, pr, ld, lt, d, dl)
    ON CONFLICT (plan_id, local_date, local_time) DO NOTHING
    """
)
_PG_SET_MATERIALISED = text(
    """
    UPDATE reminder_plans SET materialised_until = v.until
    FROM unnest(CAST(:ids AS integer[]), CAST(:untils AS timestamptz[])) AS v(id, until)
    WHERE reminder_plans.id = v.id
    """
)
CHECKPOINT_AFTER_COMMIT = "checkpoint_after_commit"
OCCURRENCES_ADDED = "occurrences_added"
_UPDATABLE_PLAN_FIELDS = frozenset({"active", "times", "timezone", "materialised_until", "deleted_at"})


def priority_of(kind: ReminderKind) -> int:
    """Return the dispatch priority of a reminder kind (lower goes first)."""
    return PRIORITY_DOSE if kind is ReminderKind.DOSE else PRIORITY_STOCKINGS


def format_times(times: Sequence[time]) -> str:
    """Return times as stored: "08:00,20:00"."""
    return ",".join(t.strftime("%H:%M") for t in times)


@lru_cache(maxsize=4096)  # a few distinct schedules serve most plans; read for every plan, every tick
def parse_times(text: str) -> tuple[time, ...]:
    """Return the times stored as "08:00,20:00"."""
    return tuple(time.fromisoformat(part) for part in text.split(",") if part)


class ReminderPlan(Base):
    """What to remind a user about, at which wall-clock times, in which IANA zone, between which days."""

    __tablename__ = "reminder_plans"
    __table_args__ = (Index("ix_reminder_plans_materialise", "active", "materialised_until"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.user_id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(64))
    dose: Mapped[str | None] = mapped_column(String(64))
    times: Mapped[str] = mapped_column(String(64))
    timezone: Mapped[str] = mapped_column(String(64))
    first_day: Mapped[date | None] = mapped_column(Date)
    last_day: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Occurrences exist for every due instant before this one; the tick refills ahead of it.
    materialised_until: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ReminderOccurrence(Base):
    """One scheduled reminder of a plan, keyed by its wall-clock slot, with its delivery state."""

    __tablename__ = "reminder_occurrences"
    __table_args__ = (
        UniqueConstraint("plan_id", "local_date", "local_time"),
        Index("ix_reminder_occurrences_claim", "priority", "next_action_at"),
        Index("ix_reminder_occurrences_user_due", "user_id", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(Integer, ForeignKey("reminder_plans.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.user_id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(SmallInteger)
    local_date: Mapped[date] = mapped_column(Date)
    local_time: Mapped[time] = mapped_column(Time)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    next_action_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    follow_up_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_from: Mapped[str | None] = mapped_column(String(16))
    delivered_late: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


_PLANS = cast(Table, ReminderPlan.__table__)
_OCCS = cast(Table, ReminderOccurrence.__table__)
_P = _PLANS.c
_O = _OCCS.c
_PLAN_COLUMNS = tuple(_P)
_OCC_COLUMNS = tuple(_O)


def _plan(row: Row[Any], prefix: str = "") -> PlanRecord:
    m = row._mapping
    return PlanRecord(
        plan_id=m[f"{prefix}id"],
        user_id=m[f"{prefix}user_id"],
        kind=ReminderKind(m[f"{prefix}kind"]),
        name=m[f"{prefix}name"],
        dose=m[f"{prefix}dose"],
        times=parse_times(m[f"{prefix}times"]),
        timezone=m[f"{prefix}timezone"],
        first_day=m[f"{prefix}first_day"],
        last_day=m[f"{prefix}last_day"],
        active=bool(m[f"{prefix}active"]),
        materialised_until=m[f"{prefix}materialised_until"],
        created_at=m[f"{prefix}created_at"],
        deleted_at=m[f"{prefix}deleted_at"],
    )


def _occurrence(row: Row[Any]) -> OccurrenceRecord:
    m = row._mapping
    answered_from = m[_O.answered_from]
    return OccurrenceRecord(
        occurrence_id=m[_O.id],
        plan_id=m[_O.plan_id],
        user_id=m[_O.user_id],
        kind=ReminderKind(m[_O.kind]),
        local_date=m[_O.local_date],
        local_time=m[_O.local_time],
        due_at=m[_O.due_at],
        deadline=m[_O.deadline],
        status=OccurrenceStatus(m[_O.status]),
        next_action_at=m[_O.next_action_at],
        sent_at=m[_O.sent_at],
        follow_up_sent_at=m[_O.follow_up_sent_at],
        snoozed_until=m[_O.snoozed_until],
        answered_at=m[_O.answered_at],
        answered_from=OccurrenceStatus(answered_from) if answered_from else None,
        delivered_late=bool(m[_O.delivered_late]),
        claim_token=m[_O.claim_token],
        attempts=m[_O.attempts],
    )


# Plan columns are labelled "p__<name>" when selected next to occurrence columns.
_PLAN_LABELLED = tuple(c.label(f"p__{c.name}") for c in _PLAN_COLUMNS)


class SqlReminderRepository:
    """Reminder plans and occurrences in the SQL database (Core statements; no identity map)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    @property
    def _dialect(self) -> str:
        return self._session.get_bind().dialect.name

    # ------------------------------------------------------------------ plans

    async def add_plan(self, plan: NewPlan) -> PlanRecord:
        """Store a new plan; return it with its id."""
        values = {
            "user_id": plan.user_id,
            "kind": plan.kind.value,
            "name": plan.name,
            "dose": plan.dose,
            "times": format_times(plan.times),
            "timezone": plan.timezone,
            "first_day": plan.first_day,
            "last_day": plan.last_day,
            "active": True,
            "materialised_until": plan.created_at,
            "created_at": plan.created_at,
            "updated_at": plan.created_at,
        }
        result = await self._session.execute(_PLANS.insert().values(**values).returning(*_PLAN_COLUMNS))
        return _plan(result.one())

    async def get_plan(self, plan_id: int) -> PlanRecord | None:
        """Return the plan ``plan_id`` (deleted ones too) or None."""
        row = (await self._session.execute(select(*_PLAN_COLUMNS).where(_P.id == plan_id))).first()
        return None if row is None else _plan(row)

    async def plans_of(self, user_id: int) -> list[PlanRecord]:
        """Return the user's plans that are not deleted, oldest first."""
        rows = await self._session.execute(
            select(*_PLAN_COLUMNS).where(_P.user_id == user_id, _P.deleted_at.is_(None)).order_by(_P.id)
        )
        return [_plan(row) for row in rows]

    async def update_plan(self, plan_id: int, now: datetime, **fields: object) -> PlanRecord | None:
        """Change the named fields of a plan; return the new plan or None if unknown."""
        unknown = set(fields) - _UPDATABLE_PLAN_FIELDS
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        values: dict[str, object] = dict(fields)
        times = values.get("times")
        if isinstance(times, tuple):
            values["times"] = format_times(times)
        values["updated_at"] = now
        result = await self._session.execute(
            update(_PLANS).where(_P.id == plan_id).values(**values).returning(*_PLAN_COLUMNS)
        )
        row = result.first()
        return None if row is None else _plan(row)

    async def next_plan(self, user_id: int, name: str, after_day: date) -> PlanRecord | None:
        """Return the user's dose plan of medicine ``name`` that starts soonest after ``after_day``."""
        row = (
            await self._session.execute(
                select(*_PLAN_COLUMNS)
                .where(
                    _P.user_id == user_id,
                    _P.kind == ReminderKind.DOSE.value,
                    _P.deleted_at.is_(None),
                    func.lower(_P.name) == name.lower(),
                    _P.first_day > after_day,
                )
                .order_by(_P.first_day, _P.id)
                .limit(1)
            )
        ).first()
        return None if row is None else _plan(row)

    async def plans_to_materialise(self, threshold: datetime, after_id: int, limit: int) -> list[PlanRecord]:
        """Return active plans materialised only up to before ``threshold``, by id after ``after_id``."""
        rows = await self._session.execute(
            select(*_PLAN_COLUMNS)
            .where(
                _P.active.is_(True),
                _P.deleted_at.is_(None),
                _P.materialised_until < threshold,
                _P.id > after_id,
            )
            .order_by(_P.id)
            .limit(limit)
        )
        return [_plan(row) for row in rows]

    async def set_materialised(self, marks: Sequence[tuple[int, datetime]]) -> None:
        """Record, per plan id, the instant up to which its occurrences exist."""
        if not marks:
            return
        conn = await self._session.connection()
        if self._dialect == "postgresql":
            # One statement over arrays: 100,000 plans in a handful of round trips.
            for start in range(0, len(marks), _BULK_CHUNK):
                chunk = marks[start : start + _BULK_CHUNK]
                await conn.execute(
                    _PG_SET_MATERIALISED,
                    {"ids": [plan_id for plan_id, _ in chunk], "untils": [until for _, until in chunk]},
                )
            return
        stmt = (
            update(_PLANS)
            .where(_P.id == bindparam("m_id", type_=Integer()))
            .values(materialised_until=bindparam("m_until", type_=UTCDateTime()))
        )
        await conn.execute(stmt, [{"m_id": plan_id, "m_until": until} for plan_id, until in marks])

    # ------------------------------------------------------------------ occurrences

    async def add_occurrences(self, rows: Sequence[NewOccurrence]) -> None:
        """Insert occurrences, silently keeping any that already exist."""
        if not rows:
            return
        self._session.info[OCCURRENCES_ADDED] = True
        if self._dialect == "postgresql":
            await self._add_occurrences_pg(rows)
            return
        insert = sqlite_insert
        stmt = insert(_OCCS).on_conflict_do_nothing(index_elements=["plan_id", "local_date", "local_time"])
        params = [
            {
                "plan_id": r.plan_id,
                "user_id": r.user_id,
                "kind": r.kind.value,
                "priority": priority_of(r.kind),
                "local_date": r.local_date,
                "local_time": r.local_time,
                "due_at": r.due_at,
                "deadline": r.deadline,
                "status": _PENDING,
                "next_action_at": r.due_at,
                "delivered_late": False,
                "attempts": 0,
            }
            for r in rows
        ]
        conn = await self._session.connection()
        await conn.execute(stmt, params)

    async def _add_occurrences_pg(self, rows: Sequence[NewOccurrence]) -> None:
        # INSERT ... SELECT FROM unnest(arrays) ON CONFLICT DO NOTHING: set-based, one statement per
        # chunk, instead of one parameter set per row (the first tick over 100,000 plans took 41 s).
        conn = await self._session.connection()
        for start in range(0, len(rows), _BULK_CHUNK):
            chunk = rows[start : start + _BULK_CHUNK]
            await conn.execute(
                _PG_ADD_OCCURRENCES,
                {
                    "plan_ids": [r.plan_id for r in chunk],
                    "user_ids": [r.user_id for r in chunk],
                    "kinds": [r.kind.value for r in chunk],
                    "priorities": [priority_of(r.kind) for r in chunk],
                    "dates": [r.local_date for r in chunk],
                    "times": [r.local_time for r in chunk],
                    "dues": [r.due_at.astimezone(UTC) for r in chunk],
                    "deadlines": [r.deadline.astimezone(UTC) for r in chunk],
                    "status": _PENDING,
                },
            )

    async def get_occurrence(self, occurrence_id: int) -> tuple[OccurrenceRecord, PlanRecord] | None:
        """Return an occurrence and its plan, or None."""
        row = (
            await self._session.execute(
                select(*_OCC_COLUMNS, *_PLAN_LABELLED)
                .join_from(_OCCS, _PLANS, _O.plan_id == _P.id)
                .where(_O.id == occurrence_id)
            )
        ).first()
        return None if row is None else (_occurrence(row), _plan(row, "p__"))

    async def delete_future_pending(self, plan_id: int, after: datetime, from_day: date | None = None) -> int:
        """Delete the plan's undelivered occurrences due after ``after`` (on or after ``from_day``)."""
        conditions = [_O.plan_id == plan_id, _O.status == _PENDING, _O.due_at > after]
        if from_day is not None:
            conditions.append(_O.local_date >= from_day)
        result = await self._session.execute(delete(_OCCS).where(*conditions))
        return int(getattr(result, "rowcount", 0) or 0)

    async def cancel_open(self, plan_ids: Sequence[int], now: datetime) -> int:
        """Delete the plans' undelivered future occurrences and cancel their due, unanswered ones."""
        if not plan_ids:
            return 0
        ids = list(plan_ids)
        await self._session.execute(
            delete(_OCCS).where(_O.plan_id.in_(ids), _O.status == _PENDING, _O.due_at > now)
        )
        result = await self._session.execute(
            update(_OCCS)
            .where(_O.plan_id.in_(ids), _O.status.in_(_OPEN))
            .values(status=_CANCELLED, next_action_at=None, claim_token=None, claimed_until=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def delivered_on(self, plan_id: int, local_date: date, now: datetime) -> bool:
        """Tell whether an occurrence of the plan on ``local_date`` has fallen due and not been cancelled."""
        row = (
            await self._session.execute(
                select(_O.id)
                .where(
                    _O.plan_id == plan_id,
                    _O.local_date == local_date,
                    _O.due_at <= now,
                    _O.status != _CANCELLED,
                )
                .limit(1)
            )
        ).first()
        return row is not None

    async def _relaxed_commit(self) -> None:
        # Claims and outcomes are written every few milliseconds; waiting for each commit's WAL flush
        # was most of a slice's cost. If the *server* crashes, the last ~0.2 s of them may be lost:
        # a lost claim or outcome makes the row due again, so the worst case is a duplicate reminder,
        # never a lost one (the same at-least-once as a killed dispatcher). Not for user answers.
        if self._dialect == "postgresql":
            await self._session.execute(text("SET LOCAL synchronous_commit TO OFF"))

    async def claim(
        self, now: datetime, lease_until: datetime, token: str, limit: int
    ) -> list[ClaimedOccurrence]:
        """Lease up to ``limit`` due occurrences to ``token``: doses first, then by due time.

        One statement per priority: ``UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING id``. On
        PostgreSQL the inner select takes ``FOR UPDATE SKIP LOCKED`` so concurrent dispatchers split
        the queue instead of waiting on each other; SQLite serialises writers, so the single statement
        is already atomic there. Moving ``next_action_at`` to the lease expiry is what hides a claimed
        row from other claims, and what makes it claimable again if this dispatcher dies.
        """
        await self._relaxed_commit()
        claimed: list[int] = []
        for priority in _PRIORITIES:
            room = limit - len(claimed)
            if room <= 0:
                break
            inner = (
                select(_O.id)
                .where(_O.priority == priority, _O.next_action_at <= now)
                .order_by(_O.next_action_at, _O.id)
                .limit(room)
            )
            if self._dialect == "postgresql":
                inner = inner.with_for_update(skip_locked=True)
            claimed += await self._lease(_O.id.in_(inner.scalar_subquery()), now, lease_until, token)
        return await self._claimed(claimed)

    async def claim_overdue(
        self, user_ids: Sequence[int], now: datetime, lease_until: datetime, token: str
    ) -> list[ClaimedOccurrence]:
        """Lease every undelivered occurrence of these users whose deadline has passed."""
        if not user_ids:
            return []
        ids = await self._lease(
            and_(_O.user_id.in_(list(user_ids)), _O.status == _PENDING, _O.deadline <= now),
            now,
            lease_until,
            token,
        )
        return await self._claimed(ids)

    async def _lease(self, condition: Any, now: datetime, lease_until: datetime, token: str) -> list[int]:
        stmt = (
            update(_OCCS)
            .where(condition, _O.next_action_at <= now)
            .values(claim_token=token, claimed_until=lease_until, next_action_at=lease_until)
            .returning(_O.id)
        )
        return list((await self._session.execute(stmt)).scalars().all())

    async def _claimed(self, ids: Sequence[int]) -> list[ClaimedOccurrence]:
        if not ids:
            return []
        found: list[ClaimedOccurrence] = []
        # Chunked so the IN list stays far below the engines' bound-parameter limits.
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            rows = await self._session.execute(
                select(*_OCC_COLUMNS, *_PLAN_LABELLED)
                .join_from(_OCCS, _PLANS, _O.plan_id == _P.id)
                .where(_O.id.in_(chunk))
            )
            # Reminders go to the user's private chat, whose id is the user id: users.chat_id is where
            # they last wrote, possibly a group, and a group must never see someone's medicines.
            found += [
                ClaimedOccurrence(occurrence=occ, plan=_plan(r, "p__"), chat_id=occ.user_id)
                for r in rows
                for occ in (_occurrence(r),)
            ]
        found.sort(
            key=lambda c: (priority_of(c.occurrence.kind), c.occurrence.due_at, c.occurrence.occurrence_id)
        )
        return found

    async def finish(self, outcomes: Sequence[ClaimOutcome]) -> None:
        """Write dispatch outcomes; each applies only while its claim still holds.

        User answers clear ``claim_token``, so an answer given while a reminder was in flight always
        wins over the dispatcher's write.
        """
        if not outcomes:
            return
        await self._relaxed_commit()
        stmt = (
            update(_OCCS)
            .where(
                _O.id == bindparam("f_id", type_=Integer()),
                _O.claim_token == bindparam("f_token", type_=String()),
                _O.status == bindparam("f_expected", type_=String()),
            )
            .values(
                status=bindparam("f_status", type_=String()),
                next_action_at=bindparam("f_next", type_=UTCDateTime()),
                sent_at=bindparam("f_sent", type_=UTCDateTime()),
                follow_up_sent_at=bindparam("f_follow_up", type_=UTCDateTime()),
                snoozed_until=bindparam("f_snoozed", type_=UTCDateTime()),
                delivered_late=bindparam("f_late", type_=Boolean()),
                attempts=bindparam("f_attempts", type_=Integer()),
                claim_token=None,
                claimed_until=None,
            )
        )
        params = [
            {
                "f_id": o.occurrence_id,
                "f_token": o.claim_token,
                "f_expected": o.expected_status.value,
                "f_status": o.state.status.value,
                "f_next": o.state.next_action_at,
                "f_sent": o.state.sent_at,
                "f_follow_up": o.state.follow_up_sent_at,
                "f_snoozed": o.state.snoozed_until,
                "f_late": o.state.delivered_late,
                "f_attempts": o.state.attempts,
            }
            for o in outcomes
        ]
        conn = await self._session.connection()
        await conn.execute(stmt, params)

    async def release(self, occurrence_ids: Sequence[int], token: str, now: datetime) -> int:
        """Hand back claimed, unsent occurrences: due again at ``now`` (only while the claim holds)."""
        released = 0
        ids = list(occurrence_ids)
        for start in range(0, len(ids), 500):
            result = await self._session.execute(
                update(_OCCS)
                .where(_O.id.in_(ids[start : start + 500]), _O.claim_token == token)
                .values(next_action_at=now, claim_token=None, claimed_until=None)
            )
            released += int(getattr(result, "rowcount", 0) or 0)
        return released

    async def release_at(self, deferrals: Sequence[tuple[int, datetime]], token: str) -> int:
        """Hand back claimed, unsent occurrences, each due again at its own instant (while claimed)."""
        if not deferrals:
            return 0
        stmt = (
            update(_OCCS)
            .where(_O.id == bindparam("d_id", type_=Integer()), _O.claim_token == token)
            .values(
                next_action_at=bindparam("d_at", type_=UTCDateTime()), claim_token=None, claimed_until=None
            )
        )
        conn = await self._session.connection()
        await conn.execute(stmt, [{"d_id": occurrence_id, "d_at": at} for occurrence_id, at in deferrals])
        return len(deferrals)

    async def extend_lease(self, occurrence_ids: Sequence[int], token: str, lease_until: datetime) -> int:
        """Move the lease of those rows still claimed by ``token`` to ``lease_until``; return how many.

        The heartbeat of a dispatcher still sending: its claims must not expire under it, or another
        dispatcher would send the same reminders again.
        """
        extended = 0
        ids = list(occurrence_ids)
        for start in range(0, len(ids), 500):
            result = await self._session.execute(
                update(_OCCS)
                .where(_O.id.in_(ids[start : start + 500]), _O.claim_token == token)
                .values(claimed_until=lease_until, next_action_at=lease_until)
            )
            extended += int(getattr(result, "rowcount", 0) or 0)
        return extended

    async def next_due(self) -> datetime | None:
        """Return the earliest instant at which any occurrence needs the dispatcher, if any."""
        found: list[datetime] = []
        for priority in _PRIORITIES:
            # One index range scan per priority (the claim index leads with priority).
            value = (
                await self._session.execute(
                    select(func.min(_O.next_action_at)).where(
                        _O.priority == priority, _O.next_action_at.is_not(None)
                    )
                )
            ).scalar_one_or_none()
            if value is not None:
                found.append(value)
        return min(found) if found else None

    async def _answer(self, condition: Any, values: dict[str, object]) -> OccurrenceRecord | None:
        # SET expressions read the old row, so answered_from captures the status being replaced.
        # Clearing claim_token makes any in-flight dispatcher write for this row a no-op.
        stmt = (
            update(_OCCS)
            .where(condition)
            .values(answered_from=_O.status, claim_token=None, claimed_until=None, **values)
            .returning(*_OCC_COLUMNS)
        )
        row = (await self._session.execute(stmt)).first()
        return None if row is None else _occurrence(row)

    async def mark_taken(self, occurrence_id: int, user_id: int, now: datetime) -> OccurrenceRecord | None:
        """Record "taken" unless already taken or cancelled; return the updated row, or None.

        The double-dose guard: the status test is part of the UPDATE, so of two concurrent presses
        exactly one changes the row (PostgreSQL re-checks the WHERE clause after the row lock; SQLite
        serialises the writes).
        """
        return await self._answer(
            and_(_O.id == occurrence_id, _O.user_id == user_id, _O.status.not_in((_TAKEN, _CANCELLED))),
            {"status": _TAKEN, "answered_at": now, "next_action_at": None, "snoozed_until": None},
        )

    async def mark_skipped(self, occurrence_id: int, user_id: int, now: datetime) -> OccurrenceRecord | None:
        """Record "skipped" on an open occurrence; return the updated row, or None."""
        return await self._answer(
            and_(_O.id == occurrence_id, _O.user_id == user_id, _O.status.in_(_OPEN)),
            {
                "status": OccurrenceStatus.SKIPPED.value,
                "answered_at": now,
                "next_action_at": None,
                "snoozed_until": None,
            },
        )

    async def snooze(
        self, occurrence_id: int, user_id: int, until: datetime, next_action_at: datetime
    ) -> OccurrenceRecord | None:
        """Snooze a delivered, unanswered occurrence; return the updated row, or None."""
        stmt = (
            update(_OCCS)
            .where(_O.id == occurrence_id, _O.user_id == user_id, _O.status == _SENT)
            .values(snoozed_until=until, next_action_at=next_action_at, claim_token=None, claimed_until=None)
            .returning(*_OCC_COLUMNS)
        )
        row = (await self._session.execute(stmt)).first()
        return None if row is None else _occurrence(row)

    async def log_of(
        self, user_id: int, start: datetime | None, end: datetime
    ) -> list[tuple[OccurrenceRecord, PlanRecord]]:
        """Return the user's occurrences due in ``[start, end)`` with their plans, by due time."""
        conditions = [_O.user_id == user_id, _O.due_at < end]
        if start is not None:
            conditions.append(_O.due_at >= start)
        rows = await self._session.execute(
            select(*_OCC_COLUMNS, *_PLAN_LABELLED)
            .join_from(_OCCS, _PLANS, _O.plan_id == _P.id)
            .where(*conditions)
            .order_by(_O.due_at, _O.id)
        )
        return [(_occurrence(r), _plan(r, "p__")) for r in rows]

    async def deactivate_user(self, user_id: int, now: datetime) -> int:
        """Pause every plan of the user and cancel their open occurrences; return the plans paused."""
        plan_ids = list(
            (
                await self._session.execute(
                    select(_P.id).where(_P.user_id == user_id, _P.deleted_at.is_(None), _P.active.is_(True))
                )
            ).scalars()
        )
        await self._session.execute(
            update(_PLANS).where(_P.id.in_(plan_ids)).values(active=False, updated_at=now)
        )
        all_ids = list((await self._session.execute(select(_P.id).where(_P.user_id == user_id))).scalars())
        await self.cancel_open(all_ids, now)
        return len(plan_ids)

    async def forget_user(self, user_id: int) -> dict[str, int]:
        """Delete every row about the user in every table with a user_id; return rows per table."""
        counts: dict[str, int] = {}
        # Ask the unit of work to checkpoint SQLite's WAL once this is committed (see SqlUnitOfWork).
        self._session.info[CHECKPOINT_AFTER_COMMIT] = True
        # Children before parents, so it works whether or not the engine enforces foreign keys.
        for table in reversed(Base.metadata.sorted_tables):
            if "user_id" not in table.c:
                continue
            result = await self._session.execute(delete(table).where(table.c.user_id == user_id))
            counts[table.name] = int(getattr(result, "rowcount", 0) or 0)
        return counts

    async def plans_for_export(self, user_id: int) -> list[PlanRecord]:
        """Return all the user's plans still stored, deleted ones too (kept until /forget), oldest first."""
        rows = await self._session.execute(
            select(*_PLAN_COLUMNS).where(_P.user_id == user_id).order_by(_P.id)
        )
        return [_plan(row) for row in rows]
