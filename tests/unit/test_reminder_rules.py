"""Reminder rules at pinned instants: delivery, follow-up, snooze, missed deadlines, double-dose guard."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.clock import FixedClock
from bot.domain.reminders import (
    OPEN_STATUSES,
    Action,
    AlreadyTaken,
    Gone,
    InvalidSnoozeError,
    OccurrenceStatus,
    OccurrenceView,
    Recorded,
    ReminderKind,
    ReminderPolicy,
    decide,
    missed_deadline,
    phase_end_notice_due,
    record_taken,
    snooze_choices_before,
    snooze_until,
)

POLICY = ReminderPolicy()
DUE = datetime(2026, 3, 29, 6, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def pending(deadline: datetime | None = None) -> OccurrenceView:
    """Return a materialised, undelivered occurrence due at DUE."""
    return OccurrenceView(
        status=OccurrenceStatus.PENDING,
        due_at=DUE,
        deadline=deadline or missed_deadline(DUE, None, POLICY),
    )


def sent(
    at: datetime = DUE, *, deadline: datetime | None = None, snoozed_until: datetime | None = None
) -> OccurrenceView:
    """Return an occurrence delivered at ``at`` and not yet answered."""
    return replace(pending(deadline), status=OccurrenceStatus.SENT, sent_at=at, snoozed_until=snoozed_until)


# --- enums and policy -----------------------------------------------------------------------------


def test_enum_values_are_stable_storage_strings() -> None:
    assert [k.value for k in ReminderKind] == ["dose", "stockings_on", "stockings_off"]
    assert [s.value for s in OccurrenceStatus] == [
        "pending",
        "sent",
        "taken",
        "skipped",
        "missed",
        "cancelled",
    ]
    assert {OccurrenceStatus.PENDING, OccurrenceStatus.SENT} == OPEN_STATUSES


def test_default_policy() -> None:
    assert POLICY.follow_up_after == timedelta(minutes=30)
    assert POLICY.missed_after == timedelta(minutes=240)
    assert POLICY.lookahead == timedelta(hours=26)
    assert POLICY.claim_lease == timedelta(minutes=2)
    assert POLICY.snooze_choices == (10, 15, 30, 60)
    assert POLICY.default_snooze_minutes == 15
    assert POLICY.late_after == timedelta(minutes=5)


@pytest.mark.parametrize(
    "changes",
    [
        {"follow_up_after": timedelta(0)},
        {"missed_after": timedelta(minutes=-1)},
        {"follow_up_after": timedelta(hours=5)},
        {"late_after": timedelta(minutes=-1)},
        {"snooze_choices": ()},
        {"snooze_choices": (0, 15)},
        {"default_snooze_minutes": 20},
    ],
)
def test_contradictory_policies_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must"):
        ReminderPolicy(**changes)  # type: ignore[arg-type]


# --- missed_deadline ------------------------------------------------------------------------------


def test_deadline_is_missed_after_when_the_next_dose_is_far() -> None:
    assert missed_deadline(DUE, DUE + timedelta(hours=12), POLICY) == DUE + timedelta(hours=4)
    assert missed_deadline(DUE, None, POLICY) == DUE + timedelta(hours=4)


def test_deadline_never_passes_the_next_dose() -> None:
    assert missed_deadline(DUE, DUE + timedelta(hours=2), POLICY) == DUE + timedelta(hours=2)


def test_a_next_dose_at_the_same_instant_does_not_collapse_the_window() -> None:
    # Two slots resolved into one DST gap share an instant; neither should be missed on arrival.
    assert missed_deadline(DUE, DUE, POLICY) == DUE + timedelta(hours=4)


def test_naive_instants_are_refused() -> None:
    naive = datetime(2026, 3, 29, 6)
    with pytest.raises(ValueError, match="timezone-aware"):
        missed_deadline(naive, None, POLICY)
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(pending(), naive, POLICY)


# --- decide: first delivery -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "action"),
    [
        (-MINUTE, Action.NOTHING),
        (timedelta(0), Action.SEND),
        (timedelta(minutes=5), Action.SEND),
        (timedelta(minutes=5, seconds=1), Action.SEND_LATE),
        (timedelta(hours=3, minutes=59), Action.SEND_LATE),
        (timedelta(hours=4), Action.MARK_MISSED_UNSENT),
        (timedelta(days=3), Action.MARK_MISSED_UNSENT),
    ],
)
def test_pending_occurrence(offset: timedelta, action: Action) -> None:
    assert decide(pending(), DUE + offset, POLICY) is action


def test_downtime_catch_up_sends_only_the_latest_dose() -> None:
    # Twice-daily plan; the bot was down from before the 08:00 dose until 20:30.
    morning, evening = DUE, DUE + timedelta(hours=12)
    policy = POLICY
    back_up = evening + timedelta(minutes=30)
    morning_view = OccurrenceView(
        OccurrenceStatus.PENDING, morning, missed_deadline(morning, evening, policy)
    )
    evening_view = OccurrenceView(
        OccurrenceStatus.PENDING, evening, missed_deadline(evening, evening + timedelta(hours=12), policy)
    )
    assert decide(morning_view, back_up, policy) is Action.MARK_MISSED_UNSENT
    assert decide(evening_view, back_up, policy) is Action.SEND_LATE


def test_close_doses_never_overlap() -> None:
    # Doses 90 minutes apart: the first is missed exactly when the second falls due.
    second = DUE + timedelta(minutes=90)
    first = pending(deadline=missed_deadline(DUE, second, POLICY))
    assert decide(first, second - MINUTE, POLICY) is Action.SEND_LATE
    assert decide(first, second, POLICY) is Action.MARK_MISSED_UNSENT


# --- decide: after delivery -----------------------------------------------------------------------


def test_exactly_one_follow_up() -> None:
    clock = FixedClock(DUE)
    occ = sent()
    clock.advance(timedelta(minutes=29))
    assert decide(occ, clock.now(), POLICY) is Action.NOTHING
    clock.advance(MINUTE)
    assert decide(occ, clock.now(), POLICY) is Action.SEND_FOLLOW_UP
    occ = replace(occ, follow_up_sent_at=clock.now())
    for _ in range(6):
        clock.advance(timedelta(minutes=30))
        expected = Action.MARK_MISSED if clock.now() >= occ.deadline else Action.NOTHING
        assert decide(occ, clock.now(), POLICY) is expected
    assert decide(occ, occ.deadline, POLICY) is Action.MARK_MISSED


def test_follow_up_counts_from_a_late_delivery() -> None:
    late = DUE + timedelta(hours=1)
    assert decide(sent(at=late), late + timedelta(minutes=29), POLICY) is Action.NOTHING
    assert decide(sent(at=late), late + timedelta(minutes=30), POLICY) is Action.SEND_FOLLOW_UP


def test_no_follow_up_past_the_deadline() -> None:
    occ = sent(deadline=DUE + timedelta(minutes=20))
    assert decide(occ, DUE + timedelta(minutes=19), POLICY) is Action.NOTHING
    assert decide(occ, DUE + timedelta(minutes=30), POLICY) is Action.MARK_MISSED


def test_missing_sent_at_falls_back_to_due_at() -> None:
    occ = replace(sent(), sent_at=None)
    assert decide(occ, DUE + timedelta(minutes=30), POLICY) is Action.SEND_FOLLOW_UP


def test_snooze_waits_then_resends() -> None:
    until = snooze_until(DUE + timedelta(minutes=2), 15, POLICY)
    occ = sent(snoozed_until=until)
    assert decide(occ, until - MINUTE, POLICY) is Action.NOTHING
    # No follow-up while snoozed, even past follow_up_after.
    assert decide(occ, DUE + timedelta(minutes=16), POLICY) is Action.NOTHING
    assert decide(occ, until, POLICY) is Action.RESEND_SNOOZED
    # The caller clears the snooze and records the new delivery; one follow-up may follow.
    resent = replace(occ, snoozed_until=None, sent_at=until)
    assert decide(resent, until + MINUTE, POLICY) is Action.NOTHING
    assert decide(resent, until + timedelta(minutes=30), POLICY) is Action.SEND_FOLLOW_UP


def test_the_deadline_outranks_a_snooze() -> None:
    occ = sent(snoozed_until=DUE + timedelta(hours=5))
    assert decide(occ, occ.deadline, POLICY) is Action.MARK_MISSED


@pytest.mark.parametrize(
    "status",
    [OccurrenceStatus.TAKEN, OccurrenceStatus.SKIPPED, OccurrenceStatus.MISSED, OccurrenceStatus.CANCELLED],
)
def test_answered_occurrences_are_left_alone(status: OccurrenceStatus) -> None:
    occ = replace(sent(), status=status)
    for offset in (timedelta(0), timedelta(minutes=45), timedelta(days=2)):
        assert decide(occ, DUE + offset, POLICY) is Action.NOTHING


def _minutes_after_due(low: int, high: int) -> st.SearchStrategy[datetime]:
    """Return a strategy for whole-minute instants around DUE."""
    return st.integers(min_value=low, max_value=high).map(lambda m: DUE + timedelta(minutes=m))


views = st.builds(
    OccurrenceView,
    status=st.sampled_from(list(OccurrenceStatus)),
    due_at=st.just(DUE),
    deadline=_minutes_after_due(1, 600),
    snoozed_until=st.none() | _minutes_after_due(0, 600),
    sent_at=st.none() | _minutes_after_due(0, 600),
    follow_up_sent_at=st.none() | _minutes_after_due(0, 600),
)


@given(views, _minutes_after_due(-600, 3000))
def test_decide_is_consistent(occ: OccurrenceView, now: datetime) -> None:
    status = occ.status
    action = decide(occ, now, POLICY)
    if status not in OPEN_STATUSES:
        assert action is Action.NOTHING
    elif now >= occ.deadline:
        assert action in {Action.MARK_MISSED, Action.MARK_MISSED_UNSENT}
        assert (action is Action.MARK_MISSED_UNSENT) == (status is OccurrenceStatus.PENDING)
    else:
        assert action not in {Action.MARK_MISSED, Action.MARK_MISSED_UNSENT}
        if action in {Action.SEND, Action.SEND_LATE}:
            assert status is OccurrenceStatus.PENDING
            assert now >= DUE
        if action is Action.SEND_FOLLOW_UP:
            assert occ.follow_up_sent_at is None
            assert occ.snoozed_until is None


# --- record_taken ---------------------------------------------------------------------------------

TAKEN_AT = DUE + timedelta(minutes=3)


@pytest.mark.parametrize(
    "status",
    [OccurrenceStatus.PENDING, OccurrenceStatus.SENT, OccurrenceStatus.SKIPPED, OccurrenceStatus.MISSED],
)
def test_taken_is_recorded_from_any_open_or_unanswered_state(status: OccurrenceStatus) -> None:
    outcome = record_taken(status, TAKEN_AT)
    assert outcome == Recorded(taken_at=TAKEN_AT, previous_status=status)
    assert isinstance(outcome, Recorded)
    assert outcome.after_missed is (status is OccurrenceStatus.MISSED)


def test_taken_twice_is_refused_and_reports_the_first_time() -> None:
    first = DUE + MINUTE
    assert record_taken(OccurrenceStatus.TAKEN, TAKEN_AT, previous_taken_at=first) == AlreadyTaken(first)
    assert record_taken(OccurrenceStatus.TAKEN, TAKEN_AT) == AlreadyTaken(None)


def test_taken_on_a_cancelled_occurrence_is_gone() -> None:
    assert record_taken(OccurrenceStatus.CANCELLED, TAKEN_AT) == Gone()


def test_taken_at_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        record_taken(OccurrenceStatus.SENT, datetime(2026, 3, 29, 6))


def test_recorded_time_is_normalised_to_utc() -> None:
    local = TAKEN_AT.astimezone(ZoneInfo("Europe/Berlin"))
    outcome = record_taken(OccurrenceStatus.SENT, local)
    assert isinstance(outcome, Recorded)
    assert outcome.taken_at == TAKEN_AT
    assert outcome.taken_at.tzinfo is UTC


# --- phase end and snooze -------------------------------------------------------------------------


def test_phase_end_notice_is_due_the_day_before_the_last_day() -> None:
    last = date(2026, 4, 10)
    assert phase_end_notice_due(last, date(2026, 4, 9)) is True
    assert phase_end_notice_due(last, date(2026, 4, 10)) is False
    assert phase_end_notice_due(last, date(2026, 4, 8)) is False
    assert phase_end_notice_due(None, date(2026, 4, 9)) is False


@pytest.mark.parametrize("minutes", [10, 15, 30, 60])
def test_snooze_until_offered_lengths(minutes: int) -> None:
    assert snooze_until(DUE, minutes, POLICY) == DUE + timedelta(minutes=minutes)


@pytest.mark.parametrize("minutes", [0, -15, 5, 14, 61, 10**9, True])
def test_snooze_refuses_unoffered_lengths(minutes: int) -> None:
    with pytest.raises(InvalidSnoozeError):
        snooze_until(DUE, minutes, POLICY)


def test_snooze_choices_before_the_deadline() -> None:
    deadline = DUE + timedelta(minutes=31)
    assert snooze_choices_before(DUE, deadline, POLICY) == (10, 15, 30)
    assert snooze_choices_before(DUE, DUE + timedelta(minutes=10), POLICY) == ()
    assert snooze_choices_before(DUE, DUE + timedelta(hours=4), POLICY) == POLICY.snooze_choices


# --- issue 11: what a guided step accepts -------------------------------------------------------


@pytest.mark.parametrize("text", ["apixaban", "Eliquis", "vitamin K2", "warfarin sodium"])
def test_a_name_is_a_few_words(text: str) -> None:
    from bot.services.reminders import looks_like_a_name

    assert looks_like_a_name(text)


@pytest.mark.parametrize("text", ["what is apixaban?", "my pee is pink since this morning", "warfarin?"])
def test_a_question_or_a_sentence_is_not_a_name(text: str) -> None:
    from bot.services.reminders import looks_like_a_name

    assert not looks_like_a_name(text)


@pytest.mark.parametrize(
    ("text", "ok"), [("5 mg", True), ("½ tablet", True), ("one", False), ("why?", False)]
)
def test_a_dose_has_a_number(text: str, ok: bool) -> None:
    from bot.services.reminders import looks_like_a_dose

    assert looks_like_a_dose(text) is ok
