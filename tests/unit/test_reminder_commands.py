"""Argument parsing for /addmed and /stockings, including hostile input."""

from __future__ import annotations

from datetime import date, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.commands import (
    MAX_DOSE_CHARS,
    MAX_NAME_CHARS,
    MAX_TIMES_PER_DAY,
    AddMedRequest,
    ErrorKey,
    ParseError,
    StockingsRequest,
    TimesNeeded,
    parse_addmed,
    parse_stockings,
    parse_time_of_day,
    times_per_day,
)

TODAY = date(2026, 3, 1)


def addmed(text: str) -> AddMedRequest | ParseError | TimesNeeded:
    """Parse ``text`` the way PTB splits command arguments."""
    return parse_addmed(text.split(), today=TODAY)


def ok(text: str) -> AddMedRequest:
    """Parse ``text`` and insist that it is accepted."""
    result = addmed(text)
    assert isinstance(result, AddMedRequest), result
    return result


def refused(text: str) -> ParseError:
    """Parse ``text`` and insist that it is refused."""
    result = addmed(text)
    assert isinstance(result, ParseError), result
    return result


# --- parse_time_of_day ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("08:00", time(8)),
        ("8:00", time(8)),
        ("8.00", time(8)),  # a one-digit dotted hour only with :00 or :30; "1.25" stays a dose
        ("noon", time(12)),
        ("0:00", time(0)),
        ("23:59", time(23, 59)),
        ("08.00", time(8)),
        ("20.30", time(20, 30)),
        ("20h00", time(20)),
        ("7h45", time(7, 45)),
        ("8am", time(8)),
        ("8AM", time(8)),
        ("8 pm", time(20)),
        ("8:30pm", time(20, 30)),
        ("8.30pm", time(20, 30)),
        ("8p.m.", time(20)),
        ("12am", time(0)),
        ("12pm", time(12)),
        ("12:15am", time(0, 15)),
        ("  09:05  ", time(9, 5)),
        ("０８：００", time(8)),  # full-width digits and colon
        ("0\u200b8:00", time(8)),  # zero-width space is dropped
    ],
)
def test_time_forms_accepted(text: str, expected: time) -> None:
    assert parse_time_of_day(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "8",
        "800",
        "25:00",
        "24:00",
        "8:61",
        "8:5",
        "2.5",
        "1.25",
        "13pm",
        "0am",
        "8h",
        "08:00:00",
        "08:00 20:00",
        "-8:00",
        "8:00<script>",
        "x" * 4096,
    ],
)
def test_time_forms_refused(text: str) -> None:
    assert parse_time_of_day(text) is None


# --- parse_addmed: accepted -----------------------------------------------------------------------


def test_brief_example_keeps_the_dose_as_typed() -> None:
    result = parse_addmed(["apixaban", "5", "mg", "08:00", "20:00"], today=TODAY)
    assert result == AddMedRequest(name="apixaban", dose="5 mg", times=(time(8), time(20)))


def test_dose_is_optional() -> None:
    assert ok("warfarin 20:00") == AddMedRequest(name="warfarin", dose=None, times=(time(20),))


def test_multi_word_name_ends_at_the_first_numeric_word() -> None:
    result = ok("vitamin k antagonist 1.25 mg 8am 8:30pm")
    assert result.name == "vitamin k antagonist"
    assert result.dose == "1.25 mg"
    assert result.times == (time(8), time(20, 30))


@pytest.mark.parametrize(
    ("text", "dose"),
    [
        ("rivaroxaban 2.5 mg 08:00", "2.5 mg"),
        ("warfarin 2,5mg 18:00", "2,5mg"),
        ("enoxaparin 40 mg/0.4 ml 20:00", "40 mg/0.4 ml"),
        ("acenocoumarol ½ tablet 08:00", "½ tablet"),
        ("warfarin 1.25 20.00", "1.25"),
        ("heparin 5000 IU 08:00", "5000 IU"),
        ("warfarin 5 µg 08:00", "5 µg"),  # micro sign kept, not normalised to Greek mu
        ("Warfarin 3 MG 08:00", "3 MG"),
    ],
)
def test_dose_is_never_interpreted(text: str, dose: str) -> None:
    assert ok(text).dose == dose


def test_name_without_digits_keeps_words_as_name() -> None:
    result = ok("apixaban one tablet 08:00")
    assert (result.name, result.dose) == ("apixaban one tablet", None)


def test_name_with_a_digit_inside_a_word() -> None:
    assert ok("vitamin B12 1000 µg 08:00").name == "vitamin B12"


def test_times_are_sorted_and_deduplicated() -> None:
    assert ok("apixaban 20:00 08:00 8am 20h00").times == (time(8), time(20))


def test_comma_joined_times() -> None:
    assert ok("apixaban 5 mg 08:00,20:00").times == (time(8), time(20))
    assert ok("apixaban 08:00, 20:00").times == (time(8), time(20))


def test_from_and_until_in_either_order() -> None:
    first, last = date(2026, 3, 2), date(2026, 4, 1)
    for text in (
        "apixaban 5 mg 08:00 from 2026-03-02 until 2026-04-01",
        "apixaban 5 mg 08:00 until 2026-04-01 from 2026-03-02",
        "apixaban 5 mg 08:00 FROM 2026-03-02 Till 2026-04-01",
    ):
        result = ok(text)
        assert (result.first_day, result.last_day) == (first, last)


def test_from_in_the_past_and_until_today_are_fine() -> None:
    result = ok("apixaban 08:00 from 2026-02-01 until 2026-03-01")
    assert (result.first_day, result.last_day) == (date(2026, 2, 1), TODAY)


def test_eight_times_is_the_limit() -> None:
    times = " ".join(f"{h:02d}:00" for h in range(MAX_TIMES_PER_DAY))
    assert len(ok(f"x {times}").times) == MAX_TIMES_PER_DAY
    assert refused(f"x {times} 23:00") == ParseError(ErrorKey.ADDMED_TOO_MANY_TIMES, "9")


def test_limits_are_inclusive() -> None:
    assert len(ok("n" * MAX_NAME_CHARS + " 08:00").name) == MAX_NAME_CHARS
    dose = "1" * MAX_DOSE_CHARS
    assert ok(f"x {dose} 08:00").dose == dose


def test_control_and_invisible_characters_are_stripped() -> None:
    result = parse_addmed(["apix\u200baban", "\u202e5", "mg\x00", "08:00"], today=TODAY)
    assert result == AddMedRequest(name="apixaban", dose="5 mg", times=(time(8),))
    # A newline inside one argument separates words.
    assert parse_addmed(["vitamin\nk", "08:00"], today=TODAY) == AddMedRequest(
        name="vitamin k", dose=None, times=(time(8),)
    )


def test_markup_is_kept_as_plain_text() -> None:
    # Escaping is the view's job; the parser neither interprets nor mangles it.
    result = ok("<b>x</b>'; 08:00")
    assert result.name == "<b>x</b>';"


# --- parse_addmed: refused ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("", ErrorKey.ADDMED_USAGE),
        ("   ", ErrorKey.ADDMED_USAGE),
        ("apixaban", ErrorKey.ADDMED_NO_TIMES),
        ("apixaban 5 mg", ErrorKey.ADDMED_NO_TIMES),
        ("08:00", ErrorKey.ADDMED_NO_NAME),
        ("5 mg 08:00", ErrorKey.ADDMED_NO_NAME),
        ("--- 08:00", ErrorKey.ADDMED_NO_NAME),
        ("apixaban 25:00", ErrorKey.BAD_TIME),
        ("apixaban 8:61", ErrorKey.BAD_TIME),
        ("apixaban 08:00 13pm", ErrorKey.BAD_TIME),
        ("apixaban 08:00,24:00", ErrorKey.BAD_TIME),
        ("apixaban 08:00 5 mg 20:00", ErrorKey.ADDMED_TIME_OUT_OF_PLACE),
        ("apixaban 8am 5 mg", ErrorKey.ADDMED_TIME_OUT_OF_PLACE),
        ("apixaban 08:00 from", ErrorKey.ADDMED_CLAUSE_OUT_OF_PLACE),
        ("apixaban from 2026-03-02 08:00", ErrorKey.ADDMED_CLAUSE_OUT_OF_PLACE),
        ("apixaban 08:00 from 2026-03-02 from 2026-03-03", ErrorKey.ADDMED_DUPLICATE_CLAUSE),
        ("apixaban 08:00 until 2026-04-01 till 2026-04-02", ErrorKey.ADDMED_DUPLICATE_CLAUSE),
        ("apixaban 08:00 from tomorrow", ErrorKey.ADDMED_BAD_DATE),
        ("apixaban 08:00 from 2026-02-30", ErrorKey.ADDMED_BAD_DATE),
        ("apixaban 08:00 from 20260302", ErrorKey.ADDMED_BAD_DATE),
        ("apixaban 08:00 from 2026-W10-1", ErrorKey.ADDMED_BAD_DATE),
        ("apixaban 08:00 from 01.03.2026", ErrorKey.ADDMED_BAD_DATE),
        ("apixaban 08:00 until 9999-12-31", ErrorKey.ADDMED_DATE_OUT_OF_RANGE),
        ("apixaban 08:00 from 2001-01-01", ErrorKey.ADDMED_DATE_OUT_OF_RANGE),
        ("apixaban 08:00 from 2026-03-10 until 2026-03-09", ErrorKey.ADDMED_UNTIL_BEFORE_FROM),
        ("apixaban 08:00 until 2026-02-28", ErrorKey.ADDMED_UNTIL_IN_PAST),
        ("n" * (MAX_NAME_CHARS + 1) + " 08:00", ErrorKey.ADDMED_NAME_TOO_LONG),
        ("x " + "1" * (MAX_DOSE_CHARS + 1) + " 08:00", ErrorKey.ADDMED_DOSE_TOO_LONG),
    ],
)
def test_addmed_refusals(text: str, key: ErrorKey) -> None:
    assert refused(text).message_key == key


def test_error_detail_names_the_offending_word() -> None:
    assert refused("apixaban 25:00") == ParseError(ErrorKey.BAD_TIME, "25:00")
    assert refused("apixaban 08:00 until 2026-02-28") == ParseError(
        ErrorKey.ADDMED_UNTIL_IN_PAST, "2026-02-28"
    )


def test_error_detail_is_short() -> None:
    error = refused("n" * 4096 + " 08:00")
    assert error.message_key == ErrorKey.ADDMED_NAME_TOO_LONG
    assert len(error.detail) <= 32


@pytest.mark.parametrize(
    "args",
    [
        [],
        [""],
        ["x" * 4096],
        ["a " * 2048],
        ["\u202eapixaban\u202c", "\u200f08:00"],
        ["\ud800", "08:00"],  # a lone surrogate, as a JSON decoder can produce
        ["'; DROP TABLE plans; --", "08:00"],
        ["<script>alert(1)</script>", "08:00"],
        ["&amp;", "&lt;", "08:00"],
        ["\x00\x01\x02", "08:00"],
        ["apixaban", "٠٨:٠٠"],  # Arabic-Indic digits
        ["apixaban", "𝟎𝟖:𝟎𝟎"],  # mathematical digits
        ["🩸", "08:00"],
        ["a", "9" * 500 + ":00"],
        ["a", "08:00", "from", "9" * 500],
    ],
)
def test_hostile_input_never_raises(args: list[str]) -> None:
    result = parse_addmed(args, today=TODAY)
    assert isinstance(result, AddMedRequest | ParseError)
    if isinstance(result, AddMedRequest):
        text = result.name + (result.dose or "")
        assert all(ch.isprintable() for ch in text)
        assert "\u202e" not in text
        assert "\ud800" not in text
        assert len(result.name) <= MAX_NAME_CHARS


def test_invisible_only_name_is_refused() -> None:
    assert parse_addmed(["\u200b\u200d", "08:00"], today=TODAY) == ParseError(ErrorKey.ADDMED_NO_NAME, "")


# --- parse_stockings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["07:30", "21:00"], StockingsRequest(on=time(7, 30), off=time(21))),
        (["7:30am", "9pm"], StockingsRequest(on=time(7, 30), off=time(21))),
        (["7:30", "am", "9", "pm"], StockingsRequest(on=time(7, 30), off=time(21))),
        (["07:30,21:00"], StockingsRequest(on=time(7, 30), off=time(21))),
        (["on", "07:30", "off", "21:00"], StockingsRequest(on=time(7, 30), off=time(21))),
        (["OFF", "21:00", "On", "07:30"], StockingsRequest(on=time(7, 30), off=time(21))),
        # Night shifts: on in the evening, off in the morning.
        (["21:00", "07:30"], StockingsRequest(on=time(21), off=time(7, 30))),
    ],
)
def test_stockings_accepted(args: list[str], expected: StockingsRequest) -> None:
    assert parse_stockings(args) == expected


@pytest.mark.parametrize(
    ("args", "key"),
    [
        ([], ErrorKey.STOCKINGS_USAGE),
        (["07:30"], ErrorKey.STOCKINGS_USAGE),
        (["07:30", "12:00", "21:00"], ErrorKey.STOCKINGS_USAGE),
        (["07:30", "later"], ErrorKey.STOCKINGS_USAGE),
        (["on", "07:30"], ErrorKey.STOCKINGS_USAGE),
        (["on", "07:30", "21:00"], ErrorKey.STOCKINGS_USAGE),
        (["on", "07:30", "on", "21:00"], ErrorKey.STOCKINGS_USAGE),
        (["on", "off", "07:30", "21:00"], ErrorKey.STOCKINGS_USAGE),
        (["on", "07:30,08:00", "off", "21:00"], ErrorKey.STOCKINGS_USAGE),
        (["07:30", "off"], ErrorKey.STOCKINGS_USAGE),
        (["07:30", "25:00"], ErrorKey.BAD_TIME),
        (["07:30", "07:30"], ErrorKey.STOCKINGS_SAME_TIME),
        (["7:30am", "07.30"], ErrorKey.STOCKINGS_SAME_TIME),
        (["x" * 4096], ErrorKey.STOCKINGS_USAGE),
    ],
)
def test_stockings_refused(args: list[str], key: ErrorKey) -> None:
    result = parse_stockings(args)
    assert isinstance(result, ParseError)
    assert result.message_key == key


def test_every_error_key_is_namespaced() -> None:
    assert all(key.value.split(".")[0] in {"addmed", "stockings", "time"} for key in ErrorKey)


# --- fuzzing --------------------------------------------------------------------------------------

hostile_text = st.text(
    alphabet=st.characters(codec=None, exclude_categories=()),
    max_size=80,
)
time_like = st.from_regex(r"\A[0-9０-９]{1,3}[:.h]?[0-9]{0,3}\s?(am|pm|a\.m\.)?\Z")
word = st.one_of(
    hostile_text,
    time_like,
    st.sampled_from(["from", "until", "till", "on", "off", "am", "pm", "2026-03-05", "5", "mg", ","]),
)


# Pure CPU work; no per-example deadline, so a busy CI runner cannot make it flaky.
@settings(deadline=None)
@given(st.lists(word, max_size=12), st.dates())
def test_parse_addmed_never_raises(args: list[str], today: date) -> None:
    result = parse_addmed(args, today=today)
    assert isinstance(result, AddMedRequest | ParseError)
    if isinstance(result, AddMedRequest):
        assert 1 <= len(result.times) <= MAX_TIMES_PER_DAY
        assert list(result.times) == sorted(set(result.times))
        assert len(result.name) <= MAX_NAME_CHARS
        assert result.dose is None or 0 < len(result.dose) <= MAX_DOSE_CHARS
        if result.last_day is not None:
            assert result.last_day >= today
            assert result.first_day is None or result.first_day <= result.last_day


# Pure CPU work; no per-example deadline, so a busy CI runner cannot make it flaky.
@settings(deadline=None)
@given(st.lists(word, max_size=6))
def test_parse_stockings_never_raises(args: list[str]) -> None:
    result = parse_stockings(args)
    assert isinstance(result, StockingsRequest | ParseError)
    if isinstance(result, StockingsRequest):
        assert result.on != result.off


# Pure CPU work; no per-example deadline, so a busy CI runner cannot make it flaky.
@settings(deadline=None)
@given(st.one_of(hostile_text, time_like))
def test_parse_time_of_day_never_raises(text: str) -> None:
    result = parse_time_of_day(text)
    assert result is None or isinstance(result, time)


@given(
    st.lists(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10).filter(
            lambda w: w not in {"from", "until", "till", "am", "pm"}
        ),
        min_size=1,
        max_size=3,
    ),
    st.one_of(st.none(), st.integers(1, 999).map(lambda n: f"{n} mg")),
    st.lists(st.builds(time, st.integers(0, 23), st.integers(0, 59)), min_size=1, max_size=8),
)
def test_well_formed_commands_round_trip(names: list[str], dose: str | None, times: list[time]) -> None:
    args = [*names, *(dose.split() if dose else []), *(t.strftime("%H:%M") for t in times)]
    result = parse_addmed(args, today=TODAY)
    assert result == AddMedRequest(name=" ".join(names), dose=dose, times=tuple(sorted(set(times))))


# --- issue 11: a dose written like a time, and times as people write them -----------------------

from bot.domain.commands import parse_times  # noqa: E402


@pytest.mark.parametrize("text", ["warfarin 12.50 18:00", "warfarin 12.50", "heparin 1000 0800 2000"])
def test_a_dose_written_like_a_time_is_asked_about_never_scheduled(text: str) -> None:
    error = refused(text)
    assert error.message_key == ErrorKey.ADDMED_DOSE_OR_TIME
    assert error.detail == text.split()[1]
    # The corrected example is built from the user's own words.
    assert error.example.startswith(f"/addmed {text.split(maxsplit=1)[0]} {text.split()[1]} mg")


@pytest.mark.parametrize(
    ("text", "dose", "times"),
    [
        ("apixaban 5mg at 8am and 8pm", "5mg", (time(8), time(20))),
        ("apixaban 0800 2000", None, (time(8), time(20))),
        ("apixaban 8.00 20.00", None, (time(8), time(20))),
        ("apixaban 5 mg noon", "5 mg", (time(12),)),
        ("heparin 5000 units 0800 2000", "5000 units", (time(8), time(20))),
        ("warfarin 2.5 mg 18.00", "2.5 mg", (time(18),)),
    ],
)
def test_times_as_people_write_them(text: str, dose: str | None, times: tuple[time, ...]) -> None:
    result = ok(text)
    assert (result.dose, result.times) == (dose, times)


@pytest.mark.parametrize(
    ("text", "per_day"),
    [("apixaban 5mg twice a day", 2), ("apixaban twice daily", 2), ("warfarin once a day", 1), ("x bd", 2)],
)
def test_how_often_without_when_asks_which_times(text: str, per_day: int) -> None:
    result = addmed(text)
    assert isinstance(result, TimesNeeded)
    assert result.per_day == per_day
    assert result.name == text.split(maxsplit=1)[0]


@pytest.mark.parametrize(
    ("text", "per_day"),
    [("twice a day", 2), ("Once daily", 1), ("bd", 2), ("08:00", None), ("apixaban twice a day", None)],
)
def test_a_bare_frequency_typed_in_a_step_is_read(text: str, per_day: int | None) -> None:
    assert times_per_day(text) == per_day


@pytest.mark.parametrize(
    ("text", "times"),
    [
        ("8 and 20", (time(8), time(20))),
        ("0800 2000", (time(8), time(20))),
        ("8.00", (time(8),)),
        ("noon", (time(12),)),
        ("at 8am and 8pm", (time(8), time(20))),
        ("8 20", (time(8), time(20))),
        ("08:00, 20:00", (time(8), time(20))),
    ],
)
def test_typed_times_in_a_flow(text: str, times: tuple[time, ...]) -> None:
    assert parse_times(text) == times


@pytest.mark.parametrize("text", ["eight", "my pee is pink", "25", "", "8 and"])
def test_typed_times_refused(text: str) -> None:
    assert isinstance(parse_times(text), ParseError)


def test_a_missing_time_shows_a_corrected_example() -> None:
    error = refused("apixaban 5mg")
    assert error.message_key == ErrorKey.ADDMED_NO_TIMES
    assert error.example == "/addmed apixaban 5mg 08:00"
