"""Parse the arguments of reminder commands into requests, or into a ParseError a view can explain.

Parsers never raise on user input: every problem becomes ``ParseError(message_key, detail)``, where
``message_key`` (an ``ErrorKey``) selects the text in views/ and ``detail`` is the offending piece of
input, cleaned and cut short (views must still HTML-escape it).

``/addmed NAME [DOSE] TIME [TIME ...] [from YYYY-MM-DD] [until YYYY-MM-DD]``

* NAME is the words before the first word that starts with a digit; DOSE is the rest up to the times.
  The dose is kept exactly as typed (words re-joined by single spaces) and never interpreted.
* The times are the trailing run of time words. A time-looking word anywhere before that run is an
  error rather than silently becoming part of the dose: a misread time could add a dose reminder.
* Time forms: ``8:00``, ``08:00``, ``20h00``, ``8am``, ``8:30pm``, ``8 pm``, ``noon``, ``midnight``
  (strong), and ``08.00``, ``8.00``, ``0800`` (weak: they look like doses too); several may be joined
  by commas (``08:00,20:00``), "and" or "&", and the run may start with "at". Invalid values such as
  ``25:00`` or ``8:61`` are errors.
* A weak word that opens the run right after the name, with more times after it, may be a dose
  ("warfarin 12.50 18:00"): unless it is clearly a clock time (``0800``, ``8.00``), the parser asks
  rather than guesses (``DOSE_OR_TIME``). A misread must never add a reminder.
* "twice a day" and the like name how often, not when: ``parse_addmed`` returns ``TimesNeeded`` so the
  caller can ask which times, offering common ones.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time
from enum import StrEnum
from typing import TypeAlias

MAX_TIMES_PER_DAY = 8
MAX_NAME_CHARS = 64
MAX_DOSE_CHARS = 32
MAX_DETAIL_CHARS = 32
# Plans start at most this many years back and end at most this many years ahead.
MAX_YEARS_BACK = 1
MAX_YEARS_AHEAD = 10


class ErrorKey(StrEnum):
    """Message keys for parse errors; views/ holds the text for each."""

    ADDMED_USAGE = "addmed.usage"
    ADDMED_NO_NAME = "addmed.no_name"
    ADDMED_NO_TIMES = "addmed.no_times"
    ADDMED_TIME_OUT_OF_PLACE = "addmed.time_out_of_place"
    ADDMED_TOO_MANY_TIMES = "addmed.too_many_times"
    ADDMED_NAME_TOO_LONG = "addmed.name_too_long"
    ADDMED_DOSE_TOO_LONG = "addmed.dose_too_long"
    ADDMED_BAD_DATE = "addmed.bad_date"
    ADDMED_DATE_OUT_OF_RANGE = "addmed.date_out_of_range"
    ADDMED_CLAUSE_OUT_OF_PLACE = "addmed.clause_out_of_place"
    ADDMED_DUPLICATE_CLAUSE = "addmed.duplicate_clause"
    ADDMED_UNTIL_BEFORE_FROM = "addmed.until_before_from"
    ADDMED_UNTIL_IN_PAST = "addmed.until_in_past"
    ADDMED_DOSE_OR_TIME = "addmed.dose_or_time"
    STOCKINGS_USAGE = "stockings.usage"
    STOCKINGS_SAME_TIME = "stockings.same_time"
    BAD_TIME = "time.invalid"


@dataclass(frozen=True, slots=True)
class ParseError:
    """Why a command's arguments were refused: a views/ message key and the offending input."""

    message_key: str
    detail: str = ""
    # A corrected command built from the user's own words, when one can be guessed safely.
    example: str = ""


@dataclass(frozen=True, slots=True)
class AddMedRequest:
    """A parsed ``/addmed``: what to remind about, when, and between which local days (inclusive)."""

    name: str
    dose: str | None
    times: tuple[time, ...]
    first_day: date | None = None
    last_day: date | None = None


@dataclass(frozen=True, slots=True)
class TimesNeeded:
    """``/addmed NAME [DOSE] twice a day``: what to remind about is known, the times are not."""

    name: str
    dose: str | None
    per_day: int


@dataclass(frozen=True, slots=True)
class StockingsRequest:
    """A parsed ``/stockings``: when to put compression stockings on and take them off."""

    on: time
    off: time


# Cc (controls) separate words; format characters (zero-width, bidi overrides), surrogates and
# private-use characters are dropped so names cannot spoof text direction or break encoding.
_SEPARATING_CATEGORIES = frozenset({"Cc"})
_DROPPED_CATEGORIES = frozenset({"Cf", "Cs", "Co"})

_MERIDIEM = r"(?P<mer>a\.?m\.?|p\.?m\.?)"
_STRONG_TIME = (
    re.compile(r"(?P<h>\d{1,2})[:：](?P<m>\d{2})"),
    re.compile(r"(?P<h>\d{1,2})h(?P<m>\d{2})"),
    re.compile(r"(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?" + _MERIDIEM),
)
# Dotted and four-digit times are weak: "12.50" or "1000" could be a dose, so they only count inside
# the trailing time run (and the first of the run is asked about when it could be a dose).
_DOTTED_TIME = re.compile(r"(?P<h>\d{2})\.(?P<m>\d{2})")
# "8.00" and "8.30" are times; "1.25" stays a dose.
_SHORT_DOTTED_TIME = re.compile(r"(?P<h>\d)\.(?P<m>[03]0)")
_FOUR_DIGIT_TIME = re.compile(r"(?P<h>[01]\d|2[0-3])(?P<m>[0-5]\d)")
_BARE_HOUR = re.compile(r"(?P<h>\d{1,2})(?P<m>)")
_NAMED_TIMES = {"noon": time(12, 0), "midday": time(12, 0), "midnight": time(0, 0)}
_CONNECTORS = frozenset({"and", "&", "+"})
_AT_WORDS = frozenset({"at", "@"})
# "twice a day", "2x daily", "bd": how often, not when.
_FREQUENCIES = (
    (re.compile(r"(?:once|1x|1 ?times?) ?(?:a|per|each)? ?day|once daily|daily|od|qd"), 1),
    (re.compile(r"(?:twice|2x|2 ?times) ?(?:a|per|each)? ?day|twice daily|2x daily|bd|bid"), 2),
    (re.compile(r"(?:three times|thrice|3x|3 ?times) ?(?:a|per|each)? ?day|3x daily|tds|tid"), 3),
)
_MERIDIEM_WORD = re.compile(_MERIDIEM)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_FROM_WORDS = frozenset({"from"})
_UNTIL_WORDS = frozenset({"until", "till"})
_CLAUSE_WORDS = _FROM_WORDS | _UNTIL_WORDS
_STOCKINGS_SLOTS = frozenset({"on", "off"})


class _BadTime:
    """Marker: the word has the shape of a time but an impossible value."""


_BAD_TIME = _BadTime()
_Classified: TypeAlias = time | _BadTime | None


def _clean(text: str) -> str:
    """Return ``text`` with control characters turned into spaces and invisible ones removed."""
    out: list[str] = []
    for ch in text:
        category = unicodedata.category(ch)
        if category in _SEPARATING_CATEGORIES:
            out.append(" ")
        elif category not in _DROPPED_CATEGORIES:
            out.append(ch)
    return "".join(out)


def _tokens(args: Iterable[str]) -> list[str]:
    """Return the cleaned, whitespace-separated words of ``args``."""
    return [word for arg in args for word in _clean(arg).split()]


def _fold(word: str) -> str:
    """Return ``word`` in the form used for matching: compatibility-normalised and case-folded."""
    # NFKC turns full-width and mathematical digits into ASCII; only used for matching, never stored.
    return unicodedata.normalize("NFKC", word).casefold()


def _detail(word: str) -> str:
    """Return ``word`` cut to a length a view can quote."""
    return word if len(word) <= MAX_DETAIL_CHARS else word[: MAX_DETAIL_CHARS - 1] + "…"


def _to_time(match: re.Match[str]) -> time | _BadTime:
    """Return the time a matched time word names, or the bad-time marker for impossible values."""
    hour = int(match["h"])
    minute = int(match["m"]) if match["m"] else 0
    meridiem = match.groupdict().get("mer")
    if meridiem is not None:
        if not 1 <= hour <= 12:
            return _BAD_TIME
        hour = hour % 12 + (12 if meridiem.startswith("p") else 0)
    if hour > 23 or minute > 59:
        return _BAD_TIME
    return time(hour, minute)


def _classify(word: str, *, allow_dotted: bool, allow_bare: bool = False) -> _Classified:
    """Return the time ``word`` names, the bad-time marker, or None when it is not a time word."""
    folded = _fold(word)
    if len(folded) > 12:  # no time word is this long; skip regex work on hostile input
        return None
    if folded in _NAMED_TIMES:
        return _NAMED_TIMES[folded]
    patterns: tuple[re.Pattern[str], ...] = _STRONG_TIME
    if allow_dotted:
        patterns = (*patterns, _DOTTED_TIME, _SHORT_DOTTED_TIME, _FOUR_DIGIT_TIME)
    if allow_bare:
        patterns = (*patterns, _BARE_HOUR)
    for pattern in patterns:
        match = pattern.fullmatch(folded)
        if match is not None:
            return _to_time(match)
    return None


def _classify_list(
    word: str, *, allow_dotted: bool, allow_bare: bool = False
) -> list[time] | _BadTime | None:
    """Return the times of a comma-joined time word, the bad-time marker, or None."""
    parts = [part for part in word.split(",") if part]
    if not parts:
        return None
    found: list[time] = []
    for part in parts:
        result = _classify(part, allow_dotted=allow_dotted, allow_bare=allow_bare)
        if result is None:
            return None
        if isinstance(result, _BadTime):
            return _BAD_TIME
        found.append(result)
    return found


def _join_meridiem(tokens: Sequence[str]) -> list[str]:
    """Return ``tokens`` with a separate "am"/"pm" glued to the number before it ("8 pm" -> "8pm")."""
    out: list[str] = []
    for word in tokens:
        if out and _MERIDIEM_WORD.fullmatch(_fold(word)) is not None:
            glued = out[-1] + word
            if _classify(glued, allow_dotted=False) is not None:
                out[-1] = glued
                continue
        out.append(word)
    return out


def parse_time_of_day(s: str) -> time | None:
    """Return the time of day ``s`` names ("8:00", "08.00", "20h00", "8:30pm", "8 pm"), else None."""
    words = _join_meridiem(_tokens([s]))
    if len(words) != 1:
        return None
    result = _classify(words[0], allow_dotted=True)
    return result if isinstance(result, time) else None


def _starts_with_digit(word: str) -> bool:
    """Tell whether ``word`` starts with a digit (after normalisation, so "½" and "５" count)."""
    folded = _fold(word)
    return bool(folded) and folded[0].isdecimal()


class _RefusedError(Exception):
    """Internal: carries a ParseError out of nested helpers; never escapes a public parser."""

    def __init__(self, key: ErrorKey, detail: str = "", *, example: str = "") -> None:
        super().__init__(key.value)
        self.error = ParseError(key, _detail(detail), example[:160])


def _times_of(word: str, *, allow_dotted: bool, allow_bare: bool = False) -> list[time] | None:
    """Return the times a (comma-joined) time word names, None if it is no time word; refuse bad ones."""
    result = _classify_list(word, allow_dotted=allow_dotted, allow_bare=allow_bare)
    if isinstance(result, _BadTime):
        raise _RefusedError(ErrorKey.BAD_TIME, word)
    return result


def _parse_date(word: str, today: date) -> date:
    """Return the ISO date ``word`` names; refuse anything else."""
    folded = _fold(word)
    parsed: date | None = None
    if _ISO_DATE.fullmatch(folded) is not None and folded.isascii():
        try:
            parsed = date.fromisoformat(folded)
        except ValueError:
            parsed = None
    if parsed is None:
        raise _RefusedError(ErrorKey.ADDMED_BAD_DATE, word)
    if not today.year - MAX_YEARS_BACK <= parsed.year <= today.year + MAX_YEARS_AHEAD:
        raise _RefusedError(ErrorKey.ADDMED_DATE_OUT_OF_RANGE, word)
    return parsed


def _peel_clauses(tokens: list[str], today: date) -> tuple[list[str], date | None, date | None]:
    """Return ``tokens`` without trailing from/until clauses, and the dates those clauses named."""
    days: dict[str, date] = {}
    while len(tokens) >= 2 and _fold(tokens[-2]) in _CLAUSE_WORDS:
        keyword = "from" if _fold(tokens[-2]) in _FROM_WORDS else "until"
        if keyword in days:
            raise _RefusedError(ErrorKey.ADDMED_DUPLICATE_CLAUSE, tokens[-2])
        days[keyword] = _parse_date(tokens[-1], today)
        tokens = tokens[:-2]
    return tokens, days.get("from"), days.get("until")


def _is_weak(word: str) -> bool:
    """Tell whether a time word could also be a dose ("12.50", "1000"), i.e. is not a strong form."""
    return _classify_list(word, allow_dotted=False) is None and _fold(word) not in _NAMED_TIMES


def _clearly_clock(word: str) -> bool:
    """Tell whether a weak time word reads as a clock time only: "0800", "08.00", "8.00"."""
    folded = _fold(word)
    return folded.startswith("0") or folded.endswith(".00")


def _peel_times(tokens: list[str], *, allow_bare: bool = False) -> tuple[list[str], list[time], int]:
    """Return ``tokens`` without the trailing run of time words, the times, and the run's word count."""
    found: list[time] = []
    end = len(tokens)
    words = 0
    while end > 0:
        word = tokens[end - 1]
        if _fold(word) in _CONNECTORS and found:
            end -= 1
            continue
        times = _times_of(word, allow_dotted=True, allow_bare=allow_bare)
        if times is None:
            break
        found.extend(times)
        words += 1
        end -= 1
    if end > 1 and found and _fold(tokens[end - 1]) in _AT_WORDS:
        end -= 1
    return tokens[:end], found, words


def _frequency(head: list[str]) -> tuple[list[str], int] | None:
    """Return ``head`` without a trailing "twice a day"-style phrase and how many times it means."""
    for size in (4, 3, 2, 1):
        if len(head) <= size:
            continue
        phrase = " ".join(_fold(w) for w in head[-size:])
        for pattern, per_day in _FREQUENCIES:
            if pattern.fullmatch(phrase):
                return head[:-size], per_day
    return None


def times_per_day(text: str) -> int | None:
    """Return how many times a day ``text`` says ("twice a day" -> 2) when that is all it says."""
    # _frequency reads a phrase after a medicine name; a placeholder name stands in for it here.
    found = _frequency(["-", *_tokens([text])])
    return found[1] if found is not None and found[0] == ["-"] else None


def _split_name_dose(head: list[str]) -> tuple[str, str | None]:
    """Return the name (words before the first one starting with a digit) and the dose (the rest)."""
    for word in head:
        if _fold(word) in _CLAUSE_WORDS:
            raise _RefusedError(ErrorKey.ADDMED_CLAUSE_OUT_OF_PLACE, word)
    for word in head:
        # Strong time forms only: "12.50" before the times is a dose, "08:00" there is a mistake.
        if _times_of(word, allow_dotted=False) is not None:
            raise _RefusedError(ErrorKey.ADDMED_TIME_OUT_OF_PLACE, word)
    split = next((i for i, word in enumerate(head) if _starts_with_digit(word)), len(head))
    name = " ".join(head[:split])
    dose = " ".join(head[split:]) or None
    if not any(ch.isalnum() for ch in name):
        raise _RefusedError(ErrorKey.ADDMED_NO_NAME, name)
    if len(name) > MAX_NAME_CHARS:
        raise _RefusedError(ErrorKey.ADDMED_NAME_TOO_LONG, name)
    if dose is not None and len(dose) > MAX_DOSE_CHARS:
        raise _RefusedError(ErrorKey.ADDMED_DOSE_TOO_LONG, dose)
    return name, dose


def _check_days(first_day: date | None, last_day: date | None, today: date) -> None:
    """Refuse a plan that ends before it starts or has already ended."""
    if last_day is None:
        return
    if first_day is not None and last_day < first_day:
        raise _RefusedError(ErrorKey.ADDMED_UNTIL_BEFORE_FROM, last_day.isoformat())
    if last_day < today:
        raise _RefusedError(ErrorKey.ADDMED_UNTIL_IN_PAST, last_day.isoformat())


def _addmed(args: Sequence[str], today: date) -> AddMedRequest:
    """Parse /addmed arguments; refuse with _RefusedError."""
    tokens = _join_meridiem(_tokens(args))
    if not tokens:
        raise _RefusedError(ErrorKey.ADDMED_USAGE)
    tokens, first_day, last_day = _peel_clauses(tokens, today)
    head, found, run = _peel_times(tokens)
    if run >= 1 and not any(_starts_with_digit(w) for w in head):
        # The run's first word follows the name directly: it may be the dose ("warfarin 12.50 18:00").
        opener = tokens[len(head)] if _fold(tokens[len(head)]) not in _AT_WORDS else tokens[len(head) + 1]
        if _is_weak(opener) and not _clearly_clock(opener):
            rest = " ".join(tokens[len(head) + 1 :]) or "08:00"
            raise _RefusedError(
                ErrorKey.ADDMED_DOSE_OR_TIME, opener, example=f"/addmed {' '.join(head)} {opener} mg {rest}"
            )
    name, dose = _split_name_dose(head)
    if not found:
        raise _RefusedError(ErrorKey.ADDMED_NO_TIMES, example=f"/addmed {' '.join(tokens)} 08:00")
    times = tuple(sorted(set(found)))
    if len(times) > MAX_TIMES_PER_DAY:
        raise _RefusedError(ErrorKey.ADDMED_TOO_MANY_TIMES, str(len(times)))
    _check_days(first_day, last_day, today)
    return AddMedRequest(name=name, dose=dose, times=times, first_day=first_day, last_day=last_day)


def _times_needed(args: Sequence[str]) -> TimesNeeded | None:
    """Return what to remind about when the arguments say how often ("twice a day") but not when."""
    tokens = _tokens(args)
    found = _frequency(tokens)
    if found is None:
        return None
    head, per_day = found
    try:
        name, dose = _split_name_dose(head)
    except _RefusedError:
        return None
    return TimesNeeded(name=name, dose=dose, per_day=per_day)


def parse_addmed(args: Sequence[str], *, today: date) -> AddMedRequest | ParseError | TimesNeeded:
    """Parse ``/addmed NAME [DOSE] TIME [TIME ...] [from DATE] [until DATE]`` (``today`` is local)."""
    try:
        return _addmed(args, today)
    except _RefusedError as refused:
        if refused.error.message_key == ErrorKey.ADDMED_NO_TIMES:
            needed = _times_needed(args)
            if needed is not None:
                return needed
        return refused.error


def parse_times(text: str) -> tuple[time, ...] | ParseError:
    """Parse typed times alone ("08:00 20:00", "at 8am and 8pm", "8 and 20", "noon")."""
    tokens = _join_meridiem(_tokens([text]))
    if not tokens:
        return ParseError(ErrorKey.ADDMED_NO_TIMES)
    try:
        head, found, _run = _peel_times(tokens, allow_bare=True)
    except _RefusedError as refused:
        return refused.error
    if len(head) == 1 and _fold(head[0]) in _AT_WORDS:
        head = []
    if head or not found:
        return ParseError(ErrorKey.ADDMED_NO_TIMES, _detail(" ".join(head or tokens)))
    times = tuple(sorted(set(found)))
    if len(times) > MAX_TIMES_PER_DAY:
        return ParseError(ErrorKey.ADDMED_TOO_MANY_TIMES, str(len(times)))
    return times


def _stockings(args: Sequence[str]) -> StockingsRequest:
    """Parse /stockings arguments; refuse with _RefusedError."""
    positional: list[time] = []
    slots: dict[str, time] = {}
    pending: str | None = None
    for word in _join_meridiem(_tokens(args)):
        folded = _fold(word)
        if folded in _STOCKINGS_SLOTS:
            if pending is not None or folded in slots:
                raise _RefusedError(ErrorKey.STOCKINGS_USAGE, word)
            pending = folded
            continue
        times = _times_of(word, allow_dotted=True)
        if times is None or (pending is not None and len(times) != 1):
            raise _RefusedError(ErrorKey.STOCKINGS_USAGE, word)
        if pending is None:
            positional.extend(times)
        else:
            slots[pending] = times[0]
            pending = None
    if pending is not None or (slots and positional):
        raise _RefusedError(ErrorKey.STOCKINGS_USAGE)
    if len(slots) == 2:
        on, off = slots["on"], slots["off"]
    elif not slots and len(positional) == 2:
        on, off = positional
    else:
        raise _RefusedError(ErrorKey.STOCKINGS_USAGE)
    if on == off:
        raise _RefusedError(ErrorKey.STOCKINGS_SAME_TIME, on.strftime("%H:%M"))
    return StockingsRequest(on=on, off=off)


def parse_stockings(args: Sequence[str]) -> StockingsRequest | ParseError:
    """Parse ``/stockings ON OFF`` or ``/stockings on ON off OFF`` (pairs in either order)."""
    try:
        return _stockings(args)
    except _RefusedError as refused:
        return refused.error
