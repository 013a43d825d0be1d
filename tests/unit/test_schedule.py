"""Daily occurrences across real DST transitions, pinned to the 2026 change dates."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.schedule import (
    Occurrence,
    local_day_bounds,
    next_occurrence,
    occurrences_between,
    resolve_local,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """Return a UTC instant."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def days_around(d: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Return the UTC window from the start of the day before ``d`` to the end of the day after."""
    return local_day_bounds(d - timedelta(days=1), tz)[0], local_day_bounds(d + timedelta(days=1), tz)[1]


# --- resolve_local -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "day", "wall", "expected"),
    [
        # Spring gaps: the first valid instant after the gap.
        (BERLIN, date(2026, 3, 29), time(2, 30), utc(2026, 3, 29, 1, 0)),
        (BERLIN, date(2026, 3, 29), time(2, 0), utc(2026, 3, 29, 1, 0)),
        (BERLIN, date(2026, 3, 29), time(2, 59, 59), utc(2026, 3, 29, 1, 0)),
        (NEW_YORK, date(2026, 3, 8), time(2, 30), utc(2026, 3, 8, 7, 0)),
        (SYDNEY, date(2026, 10, 4), time(2, 30), utc(2026, 10, 3, 16, 0)),
        # Around the gaps: ordinary times are exact.
        (BERLIN, date(2026, 3, 29), time(1, 59), utc(2026, 3, 29, 0, 59)),
        (BERLIN, date(2026, 3, 29), time(3, 0), utc(2026, 3, 29, 1, 0)),
        (BERLIN, date(2026, 3, 29), time(3, 30), utc(2026, 3, 29, 1, 30)),
        # Autumn overlaps: once, the first occurrence (summer time).
        (BERLIN, date(2026, 10, 25), time(2, 30), utc(2026, 10, 25, 0, 30)),
        (NEW_YORK, date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30)),
        (NEW_YORK, date(2026, 11, 1), time(2, 30), utc(2026, 11, 1, 7, 30)),
        (SYDNEY, date(2026, 4, 5), time(2, 30), utc(2026, 4, 4, 15, 30)),
        # 30-minute DST shift.
        (ZoneInfo("Australia/Lord_Howe"), date(2026, 10, 4), time(2, 15), utc(2026, 10, 3, 15, 30)),
    ],
)
def test_resolve_local_pins_real_transitions(tz: ZoneInfo, day: date, wall: time, expected: datetime) -> None:
    assert resolve_local(day, wall, tz) == expected
    assert resolve_local(day, wall, tz).tzinfo is UTC


def test_resolve_local_ignores_fold_on_the_input() -> None:
    assert resolve_local(date(2026, 10, 25), time(2, 30, fold=1), BERLIN) == utc(2026, 10, 25, 0, 30)


def test_resolve_local_handles_a_skipped_day() -> None:
    # Samoa skipped 2011-12-30 entirely: every time that day resolves to the start of the 31st.
    apia = ZoneInfo("Pacific/Apia")
    start_of_31st = utc(2011, 12, 30, 10, 0)
    assert resolve_local(date(2011, 12, 30), time(8, 0), apia) == start_of_31st
    assert resolve_local(date(2011, 12, 30), time(23, 59), apia) == start_of_31st
    assert resolve_local(date(2011, 12, 31), time(0, 0), apia) == start_of_31st


def test_resolve_local_handles_a_midnight_gap() -> None:
    # Chile springs forward at 24:00 -> 01:00, so the day starts at 01:00.
    santiago = ZoneInfo("America/Santiago")
    assert resolve_local(date(2026, 9, 6), time(0, 0), santiago) == utc(2026, 9, 6, 4, 0)
    assert resolve_local(date(2026, 9, 6), time(0, 30), santiago) == utc(2026, 9, 6, 4, 0)


# --- occurrences_between across transitions -------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "change_day", "expected"),
    [
        (
            BERLIN,
            date(2026, 3, 29),
            [utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 30)],
        ),
        (
            BERLIN,
            date(2026, 10, 25),
            [utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)],
        ),
        (NEW_YORK, date(2026, 3, 8), [utc(2026, 3, 7, 7, 30), utc(2026, 3, 8, 7, 0), utc(2026, 3, 9, 6, 30)]),
        (
            NEW_YORK,
            date(2026, 11, 1),
            [utc(2026, 10, 31, 6, 30), utc(2026, 11, 1, 7, 30), utc(2026, 11, 2, 7, 30)],
        ),
        (
            SYDNEY,
            date(2026, 4, 5),
            [utc(2026, 4, 3, 15, 30), utc(2026, 4, 4, 15, 30), utc(2026, 4, 5, 16, 30)],
        ),
        (
            SYDNEY,
            date(2026, 10, 4),
            [utc(2026, 10, 2, 16, 30), utc(2026, 10, 3, 16, 0), utc(2026, 10, 4, 15, 30)],
        ),
    ],
)
def test_0230_fires_exactly_once_each_day_across_the_change(
    tz: ZoneInfo, change_day: date, expected: list[datetime]
) -> None:
    start, end = days_around(change_day, tz)
    found = occurrences_between([time(2, 30)], tz, start, end)
    assert [o.due_at for o in found] == expected
    assert [o.local_date for o in found] == [change_day + timedelta(days=k) for k in (-1, 0, 1)]
    assert all(o.local_time == time(2, 30) for o in found)


@pytest.mark.parametrize(
    ("tz", "change_day", "expected"),
    [
        (BERLIN, date(2026, 3, 29), [utc(2026, 3, 28, 7), utc(2026, 3, 29, 6), utc(2026, 3, 30, 6)]),
        (BERLIN, date(2026, 10, 25), [utc(2026, 10, 24, 6), utc(2026, 10, 25, 7), utc(2026, 10, 26, 7)]),
        (NEW_YORK, date(2026, 3, 8), [utc(2026, 3, 7, 13), utc(2026, 3, 8, 12), utc(2026, 3, 9, 12)]),
        (NEW_YORK, date(2026, 11, 1), [utc(2026, 10, 31, 12), utc(2026, 11, 1, 13), utc(2026, 11, 2, 13)]),
        (SYDNEY, date(2026, 4, 5), [utc(2026, 4, 3, 21), utc(2026, 4, 4, 22), utc(2026, 4, 5, 22)]),
        (SYDNEY, date(2026, 10, 4), [utc(2026, 10, 2, 22), utc(2026, 10, 3, 21), utc(2026, 10, 4, 21)]),
    ],
)
def test_0800_shifts_with_the_clock(tz: ZoneInfo, change_day: date, expected: list[datetime]) -> None:
    start, end = days_around(change_day, tz)
    assert [o.due_at for o in occurrences_between([time(8)], tz, start, end)] == expected


def test_two_times_in_one_gap_stay_two_occurrences() -> None:
    start, end = local_day_bounds(date(2026, 3, 29), BERLIN)
    found = occurrences_between([time(2, 45), time(2, 15)], BERLIN, start, end)
    assert found == [
        Occurrence(date(2026, 3, 29), time(2, 15), utc(2026, 3, 29, 1, 0)),
        Occurrence(date(2026, 3, 29), time(2, 45), utc(2026, 3, 29, 1, 0)),
    ]


def test_window_is_half_open_and_in_utc() -> None:
    due = utc(2026, 6, 1, 6, 0)  # 08:00 CEST
    assert [o.due_at for o in occurrences_between([time(8)], BERLIN, due, due + timedelta(minutes=1))] == [
        due
    ]
    assert occurrences_between([time(8)], BERLIN, due - timedelta(hours=1), due) == []
    # The same window expressed in another offset means the same instants.
    start_ny = due.astimezone(NEW_YORK)
    assert occurrences_between([time(8)], BERLIN, start_ny, start_ny + timedelta(minutes=1))[0].due_at == due


def test_duplicate_and_unsorted_times_are_normalised() -> None:
    start, end = local_day_bounds(date(2026, 6, 1), BERLIN)
    found = occurrences_between([time(20), time(8), time(20)], BERLIN, start, end)
    assert [o.local_time for o in found] == [time(8), time(20)]


def test_first_and_last_day_are_inclusive_local_days() -> None:
    start, end = utc(2026, 5, 30), utc(2026, 6, 5)
    found = occurrences_between(
        [time(0, 30), time(23, 30)], BERLIN, start, end, first_day=date(2026, 6, 1), last_day=date(2026, 6, 2)
    )
    assert [(o.local_date, o.local_time) for o in found] == [
        (date(2026, 6, 1), time(0, 30)),
        (date(2026, 6, 1), time(23, 30)),
        (date(2026, 6, 2), time(0, 30)),
        (date(2026, 6, 2), time(23, 30)),
    ]
    # 00:30 CEST on 1 June is still 31 May in UTC: the plan's days are local days.
    assert found[0].due_at == utc(2026, 5, 31, 22, 30)


def test_empty_inputs_yield_nothing() -> None:
    start, end = utc(2026, 6, 1), utc(2026, 6, 2)
    assert occurrences_between([], BERLIN, start, end) == []
    assert occurrences_between([time(8)], BERLIN, end, start) == []
    assert occurrences_between([time(8)], BERLIN, start, end, first_day=date(2026, 6, 3)) == []
    assert occurrences_between([time(8)], BERLIN, start, end, last_day=date(2026, 5, 31)) == []


def test_naive_bounds_are_refused() -> None:
    naive = datetime(2026, 6, 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        occurrences_between([time(8)], BERLIN, naive, utc(2026, 6, 2))
    with pytest.raises(ValueError, match="timezone-aware"):
        next_occurrence([time(8)], BERLIN, naive)


# --- next_occurrence and local_day_bounds ---------------------------------------------------------


def test_next_occurrence_is_strictly_after() -> None:
    due = utc(2026, 6, 1, 6, 0)
    found = next_occurrence([time(8), time(20)], BERLIN, due)
    assert found == Occurrence(date(2026, 6, 1), time(20), utc(2026, 6, 1, 18, 0))
    assert next_occurrence([time(8)], BERLIN, due - timedelta(microseconds=1)) == Occurrence(
        date(2026, 6, 1), time(8), due
    )


def test_next_occurrence_respects_plan_days() -> None:
    now = utc(2026, 6, 1, 12)
    later = next_occurrence([time(8)], BERLIN, now, first_day=date(2026, 9, 1))
    assert later is not None
    assert later.local_date == date(2026, 9, 1)
    assert next_occurrence([time(8)], BERLIN, now, last_day=date(2026, 6, 1)) is None
    assert next_occurrence([time(8)], BERLIN, now, first_day=date(2028, 1, 1)) is None  # past the horizon
    assert next_occurrence([], BERLIN, now) is None


def test_next_occurrence_crosses_the_spring_gap() -> None:
    found = next_occurrence([time(2, 30)], BERLIN, utc(2026, 3, 28, 12))
    assert found == Occurrence(date(2026, 3, 29), time(2, 30), utc(2026, 3, 29, 1, 0))


@pytest.mark.parametrize(
    ("tz", "day", "hours"),
    [
        (BERLIN, date(2026, 3, 29), 23),
        (BERLIN, date(2026, 10, 25), 25),
        (BERLIN, date(2026, 6, 1), 24),
        (SYDNEY, date(2026, 4, 5), 25),
        (ZoneInfo("Australia/Lord_Howe"), date(2026, 4, 5), 24.5),
        (ZoneInfo("America/Santiago"), date(2026, 9, 6), 23),
    ],
)
def test_local_day_bounds_length(tz: ZoneInfo, day: date, hours: float) -> None:
    start, end = local_day_bounds(day, tz)
    assert end - start == timedelta(hours=hours)
    assert start.astimezone(tz).date() == day


# --- properties -----------------------------------------------------------------------------------

ZONES = [
    "UTC",
    "Europe/Berlin",
    "Europe/London",
    "Europe/Dublin",  # negative DST in the tz database
    "America/New_York",
    "America/St_Johns",
    "America/Santiago",  # midnight transitions
    "America/Havana",  # midnight transitions
    "America/Sao_Paulo",
    "Australia/Sydney",
    "Australia/Lord_Howe",  # 30-minute DST
    "Pacific/Chatham",
    "Pacific/Apia",  # skipped a whole day in 2011
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Tehran",
    "Africa/Casablanca",
    "Antarctica/Troll",  # 2-hour DST
]

zones = st.sampled_from(ZONES).map(ZoneInfo)
days = st.dates(min_value=date(1995, 1, 1), max_value=date(2037, 12, 31))
minute_times = st.builds(time, st.integers(0, 23), st.integers(0, 59))


def reference_resolve(d: date, t: time, tz: ZoneInfo) -> datetime:
    """Return the first whole-minute UTC instant whose wall clock reads ``t`` on ``d`` or later."""
    naive = datetime.combine(d, t)
    # Offsets lie within [-12h, +14h]; start early enough that the wall clock is still before ``naive``.
    probe = naive.replace(tzinfo=UTC) - timedelta(hours=15)
    while probe.astimezone(tz).replace(tzinfo=None) < naive:
        probe += timedelta(minutes=1)
    return probe


@settings(max_examples=150, deadline=None)
@given(zones, days, minute_times)
def test_resolve_local_matches_a_brute_force_scan(tz: ZoneInfo, d: date, t: time) -> None:
    assert resolve_local(d, t, tz) == reference_resolve(d, t, tz)


@settings(max_examples=120, deadline=None)
@given(zones, days, st.lists(minute_times, min_size=1, max_size=4, unique=True))
def test_one_occurrence_per_local_day_per_time(tz: ZoneInfo, first: date, times: list[time]) -> None:
    last = first + timedelta(days=59)
    # A wide instant window; the plan's days decide what is in.
    start = local_day_bounds(first, tz)[0] - timedelta(days=2)
    end = local_day_bounds(last, tz)[1] + timedelta(days=2)
    found = occurrences_between(times, tz, start, end, first_day=first, last_day=last)

    expected_keys = {(first + timedelta(days=k), t) for k in range(60) for t in times}
    keys = [(o.local_date, o.local_time) for o in found]
    assert len(keys) == len(set(keys)) == len(expected_keys)
    assert set(keys) == expected_keys
    assert [o.sort_key() for o in found] == sorted(o.sort_key() for o in found)
    for o in found:
        assert o.due_at.tzinfo is UTC
        assert o.due_at == resolve_local(o.local_date, o.local_time, tz)
        wall = o.due_at.astimezone(tz).replace(tzinfo=None)
        scheduled = datetime.combine(o.local_date, o.local_time)
        if wall != scheduled:
            # Only a gap moves an occurrence: it lands on the first instant after the gap.
            before = o.due_at - timedelta(seconds=1)
            assert wall > scheduled
            assert before.astimezone(tz).replace(tzinfo=None) < scheduled
    # Per time of day, the instants strictly increase from one local day to the next.
    for t in times:
        instants = [o.due_at for o in found if o.local_time == t]
        assert all(a < b for a, b in itertools.pairwise(instants))


@settings(max_examples=100, deadline=None)
@given(
    zones,
    st.datetimes(min_value=datetime(1995, 1, 1), max_value=datetime(2037, 12, 1), timezones=st.just(UTC)),
    st.integers(min_value=1, max_value=60 * 24 * 60),
    st.lists(minute_times, min_size=1, max_size=3, unique=True),
)
def test_any_window_returns_exactly_the_occurrences_inside_it(
    tz: ZoneInfo, start: datetime, minutes: int, times: list[time]
) -> None:
    end = start + timedelta(minutes=minutes)
    found = occurrences_between(times, tz, start, end)
    assert all(start <= o.due_at < end for o in found)
    # Nothing is lost: a wider window's occurrences inside [start, end) are exactly these.
    wider = occurrences_between(times, tz, start - timedelta(days=3), end + timedelta(days=3))
    assert [o for o in wider if start <= o.due_at < end] == found
    # Splitting the window anywhere partitions the occurrences.
    middle = start + (end - start) / 2
    halves = occurrences_between(times, tz, start, middle) + occurrences_between(times, tz, middle, end)
    assert halves == found
