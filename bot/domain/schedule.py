"""Daily reminder times -> UTC instants, computed with zoneinfo so DST changes are handled on purpose.

APScheduler's cron trigger moves a 02:30 job to 03:30 on the spring change and fires it twice on
the autumn change, so ClotCare resolves every occurrence itself:

* a *nonexistent* local time (spring-forward gap) resolves to the first valid instant after the gap
  (02:30 Europe/Berlin on 2026-03-29 -> 03:00 CEST = 01:00 UTC): the reminder comes as early as the
  clock allows, never an hour late;
* an *ambiguous* local time (fall-back overlap) resolves once, to its first occurrence (fold=0):
  a dose reminder must never fire twice.

Occurrences are keyed by the plan's scheduled wall-clock time, ``(local_date, local_time)``, not by
their instant. Two distinct scheduled times inside one gap (02:15 and 02:45) both resolve to the end
of the gap; they stay two occurrences because they are two doses the user entered. The database's
uniqueness key for materialised occurrences is therefore ``(plan_id, local_date, local_time)``, which
also makes materialisation idempotent across ticks and restarts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

_ONE_DAY = timedelta(days=1)
# Resolved instants stay within a day of their local date's midnight, even for the day Samoa skipped.
_DATE_MARGIN = timedelta(days=1)
# How far next_occurrence looks ahead: a plan with a first_day further out than this yields None.
DEFAULT_HORIZON = timedelta(days=400)
_SEARCH_CHUNK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One scheduled reminder: the wall-clock slot the user chose and the UTC instant it falls due."""

    local_date: date
    local_time: time
    due_at: datetime

    def sort_key(self) -> tuple[datetime, date, time]:
        """Return the key that orders occurrences by instant, then by scheduled slot."""
        return (self.due_at, self.local_date, self.local_time)


def _wall(t: time) -> time:
    """Return ``t`` as a naive wall-clock time with fold=0."""
    return t.replace(tzinfo=None, fold=0)


def _require_aware(name: str, value: datetime) -> datetime:
    """Return ``value`` in UTC, refusing naive datetimes."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC)


# Pure, and called for every plan on every materialisation: 100,000 plans share a few zones and times.
@lru_cache(maxsize=65_536)
def resolve_local(d: date, t: time, tz: ZoneInfo) -> datetime:
    """Return the UTC instant when wall-clock ``t`` on ``d`` in ``tz`` falls due (gap -> gap end)."""
    naive = datetime.combine(d, _wall(t))
    # fold=0 picks the first of two ambiguous instants.
    instant = naive.replace(tzinfo=tz).astimezone(UTC)
    # Naive comparison ignores fold, so only a gap makes the round trip disagree.
    if instant.astimezone(tz).replace(tzinfo=None) == naive:
        return instant
    return _gap_end(naive, tz)


def _gap_end(naive: datetime, tz: ZoneInfo) -> datetime:
    """Return the first UTC instant whose wall clock in ``tz`` reads later than ``naive`` (in a gap)."""
    # In a gap fold=0 applies the pre-transition offset (lands after the gap) and fold=1 the
    # post-transition offset (lands before it), so the transition lies in (before, after].
    after = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    before = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if before > after:
        before, after = after, before
    lo, hi = 0, int((after - before).total_seconds())
    # Transitions fall on whole seconds; bisect for the first second past the gap.
    while lo < hi:
        mid = (lo + hi) // 2
        probe = before + timedelta(seconds=mid)
        if probe.astimezone(tz).replace(tzinfo=None) > naive:
            hi = mid
        else:
            lo = mid + 1
    return before + timedelta(seconds=lo)


def local_day_bounds(d: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Return the UTC instants ``[start, end)`` of local day ``d`` in ``tz``."""
    return resolve_local(d, time(0), tz), resolve_local(d + _ONE_DAY, time(0), tz)


def occurrences_between(
    times: Sequence[time],
    tz: ZoneInfo,
    start: datetime,
    end: datetime,
    *,
    first_day: date | None = None,
    last_day: date | None = None,
) -> list[Occurrence]:
    """Return every occurrence of the daily ``times`` due in ``[start, end)``, sorted by due instant.

    ``first_day`` and ``last_day`` are the plan's inclusive local dates. Each (local_date, local_time)
    appears at most once; duplicate times are ignored.
    """
    start_utc = _require_aware("start", start)
    end_utc = _require_aware("end", end)
    if end_utc <= start_utc or not times:
        return []
    wall_times = sorted({_wall(t) for t in times})
    day = start_utc.astimezone(tz).date() - _DATE_MARGIN
    stop = end_utc.astimezone(tz).date() + _DATE_MARGIN
    if first_day is not None:
        day = max(day, first_day)
    if last_day is not None:
        stop = min(stop, last_day)
    found: list[Occurrence] = []
    while day <= stop:
        for t in wall_times:
            due = resolve_local(day, t, tz)
            if start_utc <= due < end_utc:
                found.append(Occurrence(local_date=day, local_time=t, due_at=due))
        day += _ONE_DAY
    found.sort(key=Occurrence.sort_key)
    return found


def next_occurrence(
    times: Sequence[time],
    tz: ZoneInfo,
    after: datetime,
    *,
    first_day: date | None = None,
    last_day: date | None = None,
    horizon: timedelta = DEFAULT_HORIZON,
) -> Occurrence | None:
    """Return the first occurrence due strictly after ``after`` and before ``after + horizon``."""
    after_utc = _require_aware("after", after)
    if not times:
        return None
    limit = after_utc + horizon
    # One microsecond later, so an occurrence due exactly at ``after`` is not "next".
    cursor = after_utc + timedelta(microseconds=1)
    if first_day is not None:
        # No occurrence of first_day is due before that day's first instant, so skip ahead.
        cursor = max(cursor, local_day_bounds(first_day, tz)[0])
    while cursor < limit:
        chunk_end = min(cursor + _SEARCH_CHUNK, limit)
        found = occurrences_between(times, tz, cursor, chunk_end, first_day=first_day, last_day=last_day)
        if found:
            return found[0]
        if last_day is not None and chunk_end >= local_day_bounds(last_day, tz)[1] + _DATE_MARGIN:
            return None
        cursor = chunk_end
    return None
