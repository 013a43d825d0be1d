"""Property-based fuzzing of the real Application: hostile text, commands, buttons and update kinds.

Every test drives one running bot (in-process, strict fake Bot API) with a few hundred generated
updates and checks the invariants users rely on: nothing raises, every private message gets a reply,
every button press is answered, and nothing forged changes another user's data. Each test writes how
many cases it ran to ``fuzz-cases.txt`` in pytest's base temp dir (and into its junit properties).
"""

from __future__ import annotations

import asyncio
import copy
import math
import os
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as fuzz_settings
from hypothesis import strategies as st

from bot.config import Settings
from bot.domain.clock import FixedClock
from bot.jobs import run_tick
from tests.fakes import updates
from tests.fakes.harness import BotHarness, running_bot
from tests.fakes.observers import APOLOGY, ErrorRecorder, snapshot
from tests.fakes.telegram import BotMessage

VICTIM = 7001
ATTACKER = 7002
USERS = (7003, 7004, 7005)
GROUP = -100_700_700
CHANNEL = -100_800_800
T0 = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)

# CI runs 200 cases per test; FUZZ_EXAMPLES=5000 digs deeper (same invariants, same code).
FUZZ = fuzz_settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Pieces that have broken chat bots before: bidi controls, zero-width joiners, HTML, huge emoji runs.
FRAGMENTS = [
    "\u200b",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u202e",
    "\u200f",
    "\u061c",
    "مرحبا",
    "שלום",
    "<b>",
    "</i>",
    "&amp;",
    "&",
    "<",
    ">",
    '"',
    "'",
    "<a href='javascript:alert(1)'>x</a>",
    "🩸",
    "🫁",
    "👨‍👩‍👧",
    "\n",
    "\t",
    " ",
    "/",
    "@ClotCareBot",
    ":",
    "can i massage a clot",
    "my calf is swollen",
    "I cough blood",
    "no chest pain",
    "apixaban 08:00",
    "'; DROP TABLE users; --",
    "%s%s%n",
    "{0}",
    "\x00",
    "\x1b[31m",
    "Z̷̢̛a̶l̸g̵o̷",
    "ﷺ",
]

text_strategy = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=8), max_size=40).map("".join),
    st.builds(lambda piece, n: (piece * n)[:4096], st.sampled_from(FRAGMENTS), st.integers(1, 4096)),
    st.text(st.characters(codec="utf-8"), min_size=3000, max_size=4096),
).filter(lambda t: bool(t.strip()))


class Counter:
    """How many generated cases a test ran; written out at the end of the test."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.cases = 0

    def write(self, tmp_base: Path, record: Callable[[str, object], None]) -> None:
        record("fuzz_cases", self.cases)
        with (tmp_base / "fuzz-cases.txt").open("a", encoding="utf-8") as out:
            out.write(f"{self.name}: {self.cases} cases\n")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
async def bot(settings: Settings, clock: FixedClock) -> AsyncIterator[BotHarness]:
    async with running_bot(settings, clock) as harness:
        yield harness


@pytest.fixture
def errors(bot: BotHarness) -> ErrorRecorder:
    return ErrorRecorder().install(bot.app)


@pytest.fixture
def counter(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, record_property: Any
) -> Any:
    found = Counter(request.node.name)
    yield found
    found.write(tmp_path_factory.getbasetemp(), record_property)


def _no_apology(messages: list[BotMessage], what: object) -> None:
    texts = [m.plain_text for m in messages]
    assert all(APOLOGY not in t for t in texts), (what, texts)


async def fuzz(body: Callable[..., Coroutine[Any, Any, None]], **strategies: st.SearchStrategy[Any]) -> None:
    """Run ``body`` on generated values: Hypothesis drives from a worker thread, the bot's loop stays free."""
    loop = asyncio.get_running_loop()

    def run(**values: Any) -> None:
        asyncio.run_coroutine_threadsafe(body(**values), loop).result()

    await asyncio.to_thread(FUZZ(given(**strategies)(run)))


def _next_minute(clock: FixedClock) -> None:
    # A minute between cases keeps the per-user throttle (if any) out of what is being fuzzed here.
    clock.advance(timedelta(minutes=1))


# ---------------------------------------------------------------------- free text


async def test_fuzz_private_text_always_gets_a_reply(
    bot: BotHarness, clock: FixedClock, errors: ErrorRecorder, counter: Counter
) -> None:
    async def case(text: str, user: int) -> None:
        counter.cases += 1
        _next_minute(clock)
        replies = await bot.send(user, text)
        assert replies, f"no reply to {text!r}"
        _no_apology(replies, text)
        errors.assert_none(text)

    await fuzz(case, text=text_strategy, user=st.sampled_from(USERS))
    assert counter.cases >= min(100, FUZZ.max_examples), counter.cases


# ---------------------------------------------------------------------- commands

arg_strategy = st.one_of(
    st.sampled_from(
        ["uk", "gb", "Europe/Berlin", "UTC+3", "UTC+99", "08:00", "25:61", "apixaban", "5", "mg", "until"]
    ),
    st.sampled_from(["2026-02-30", "9999-12-31", "-1", "0", "1e309", "nan", "@ClotCareBot", "x" * 300]),
    st.text(min_size=1, max_size=30).filter(lambda a: bool(a.strip())),
    st.sampled_from(FRAGMENTS),
)


async def test_fuzz_every_command_with_random_arguments(
    bot: BotHarness, clock: FixedClock, errors: ErrorRecorder, counter: Counter
) -> None:
    available = sorted(bot.app.bot_data["available_commands"])
    assert {"start", "emergency", "check", "addmed", "forget", "export"} <= set(available)
    seen: set[str] = set()

    async def case(command: str, args: list[str], user: int) -> None:
        counter.cases += 1
        seen.add(command)
        _next_minute(clock)
        text = " ".join([f"/{command}", *args])[:4096]
        replies = await bot.send(user, text)
        assert replies, f"no reply to {text!r}"
        _no_apology(replies, text)
        errors.assert_none(text)

    await fuzz(
        case,
        command=st.sampled_from([*available, "frobnicate", "START", "start@ClotCareBot", "help@OtherBot"]),
        args=st.lists(arg_strategy, max_size=6),
        user=st.sampled_from(USERS),
    )
    assert counter.cases >= min(100, FUZZ.max_examples), counter.cases


# ---------------------------------------------------------------------- buttons


async def _victim_world(bot: BotHarness, clock: FixedClock) -> dict[str, list[str]]:
    """Give VICTIM a country, zone, a reminder sent at 08:00, a check in progress; return their ids."""
    await bot.send(VICTIM, "/start")
    await bot.send(VICTIM, "/country de")
    await bot.send(VICTIM, "/addmed apixaban 08:00")
    await bot.send(VICTIM, "/stockings 07:30 21:00")
    clock.set(datetime(2026, 11, 27, 7, 0, tzinfo=UTC))
    await run_tick(bot.app)
    check_messages = await bot.send(VICTIM, "/check")
    ids: dict[str, list[str]] = {"occurrence": [], "plan": [], "session": [], "question": []}
    for message in bot.api.messages(VICTIM):
        for row in message.buttons:
            for _, data in row:
                parts = data.split(":")
                if parts[0] == "rem" and len(parts) > 2 and parts[1] in ("t", "k", "z"):
                    ids["occurrence"].append(parts[2])
                elif parts[0] == "rem" and len(parts) > 2 and parts[2].isdigit():
                    ids["plan"].append(parts[2])
    for message in check_messages:
        for row in message.buttons:
            for _, data in row:
                _, session, question, _ = data.split(":")
                ids["session"].append(session)
                ids["question"].append(question)
    assert ids["occurrence"], "the victim's reminder was not sent"
    plans = await bot.app.bot_data["services"].reminders.list_plans(VICTIM)
    ids["plan"] += [str(p.plan_id) for p in plans]
    return ids


def _forged_data(ids: dict[str, list[str]]) -> st.SearchStrategy[str]:
    victim_id = st.sampled_from(ids["occurrence"] + ids["plan"])
    number = st.one_of(victim_id, st.integers(-5, 10**15).map(str), st.sampled_from(["0", "00", "1e3", "١"]))
    rem_verbs = [
        "t",
        "k",
        "z",
        "p",
        "r",
        "d",
        "dy",
        "dn",
        "c",
        "am",
        "ad",
        "at",
        "au",
        "so",
        "sf",
        "fy",
        "fn",
    ]
    structured = st.one_of(
        st.builds(
            lambda verb, args: ":".join(["rem", verb, *args]),
            st.sampled_from(rem_verbs),
            st.lists(
                number | st.sampled_from(["o", "15", "60", "1", "2", "none", "type", "0800"]), max_size=3
            ),
        ),
        st.builds(
            lambda session, question, answer: f"chk:{session}:{question}:{answer}",
            st.sampled_from(ids["session"]) | st.text("0123456789abcdef", min_size=6, max_size=6),
            st.sampled_from(ids["question"]) | st.text(max_size=8),
            st.sampled_from(["y", "n", "", "maybe"]),
        ),
        st.builds(
            lambda action, args: ":".join(["set", action, *args]),
            st.sampled_from(["cc", "tz", "skip", "country", "zone", "", "x"]),
            st.lists(
                st.sampled_from(["XX", "Mars/Base", "../../etc", "", "GB"]) | st.text(max_size=6), max_size=2
            ),
        ),
        st.builds(
            lambda action, arg: f"qa:{action}:{arg}",
            st.sampled_from(["more", "topic", "page", "x"]),
            st.sampled_from(["-1", "999999", "massage", "", "../x"]) | st.text(max_size=10),
        ),
    )
    overlong = st.builds(lambda s: s + "9" * 70, structured)
    # Surrogates: what a broken client (or a forged JSON string with lone \ud800 escapes) can produce.
    raw = st.text(st.characters(categories=["Cs", "Lu", "Nd", "Po", "So"]), min_size=1, max_size=80)
    return st.one_of(structured, structured, overlong, raw, st.sampled_from(["rem", "chk", "set", "qa", ":"]))


async def test_fuzz_forged_callbacks_change_nothing_of_anyone_else(
    bot: BotHarness, clock: FixedClock, errors: ErrorRecorder, counter: Counter
) -> None:
    ids = await _victim_world(bot, clock)
    (own,) = await bot.send(ATTACKER, "/settings")
    engine = bot.app.bot_data["engine"]
    victim_rows = await snapshot(engine, user_id=VICTIM)
    victim_memory = copy.deepcopy(bot.app.user_data[VICTIM])
    for table in ("users", "reminder_plans", "reminder_occurrences"):
        assert victim_rows[table], f"set-up left {table} empty for the victim"
    errors.assert_none("set-up")

    async def case(data: str) -> None:
        counter.cases += 1
        _next_minute(clock)
        answers = len(bot.api.calls_of("answerCallbackQuery"))
        replies = await bot.press_data(ATTACKER, own, data)
        assert len(bot.api.calls_of("answerCallbackQuery")) > answers, f"press {data!r} not answered"
        _no_apology(replies, data)
        errors.assert_none(data)

    await fuzz(case, data=_forged_data(ids))
    assert await snapshot(engine, user_id=VICTIM) == victim_rows
    assert bot.app.user_data[VICTIM] == victim_memory
    assert counter.cases >= min(100, FUZZ.max_examples), counter.cases


# ---------------------------------------------------------------------- update kinds

coordinate = st.one_of(
    st.floats(-90, 90),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e300, -500.0, 0.0, 91.0, -181.0, 180.0]),
)


def _update_kinds(api_user: int) -> st.SearchStrategy[tuple[str, Any]]:
    """(kind, argument) pairs; the test turns each into a real update at run time."""
    return st.one_of(
        st.tuples(st.just("photo"), st.none() | text_strategy.map(lambda t: t[:1024])),
        st.tuples(st.just("sticker"), st.sampled_from(["👍", "🩸", "😀"])),
        st.tuples(st.just("location"), st.tuples(coordinate, coordinate | st.floats(-180, 180))),
        st.tuples(st.just("contact"), st.text("+0123456789", min_size=1, max_size=16)),
        st.tuples(st.just("voice"), st.none()),
        st.tuples(st.just("edit"), text_strategy),
        st.tuples(st.just("group"), text_strategy | st.sampled_from(["/emergency", "/signs", "/check"])),
        st.tuples(st.just("channel"), text_strategy),
        st.tuples(st.just("channel_edit"), text_strategy),
        st.tuples(st.just("block"), st.none()),
    )


PRIVATE_KINDS = {"photo", "sticker", "location", "contact", "voice", "edit"}


async def test_fuzz_every_kind_of_update(
    bot: BotHarness, clock: FixedClock, errors: ErrorRecorder, counter: Counter
) -> None:
    user = USERS[0]
    await bot.send(user, "/start")
    kinds: dict[str, int] = {}

    async def case(item: tuple[str, Any]) -> None:
        kind, arg = item
        counter.cases += 1
        kinds[kind] = kinds.get(kind, 0) + 1
        _next_minute(clock)
        api = bot.api
        before = len(api.messages(user))
        if kind == "photo":
            update = api.user_sends_photo(user, caption=arg)
        elif kind == "sticker":
            update = api.user_sends_sticker(user, emoji=arg)
        elif kind == "location":
            update = updates.location(api, user, *arg)
        elif kind == "contact":
            update = updates.contact(api, user, phone=arg)
        elif kind == "voice":
            update = updates.voice(api, user)
        elif kind == "edit":
            await bot.send(user, "hello")
            before = len(api.messages(user))
            own = max(mid for mid, m in api._chats[user].messages.items() if m.bot is None)
            update = api.user_edits_message(user, own, arg)
        elif kind == "group":
            update = updates.group_text(api, user, GROUP, arg)
        elif kind == "channel":
            update = updates.channel_post(api, CHANNEL, arg)
        elif kind == "channel_edit":
            update = updates.channel_post(api, CHANNEL, arg, edited=True)
        else:
            api.block(user)
            update = api.pending_updates()[-1]
            api.unblock(user)
        await bot.feed(update)
        replies = api.messages(user)[before:]
        if kind in PRIVATE_KINDS:
            assert replies, f"no reply to a {kind} ({arg!r})"
        _no_apology(replies + api.messages(GROUP), item)
        assert api.messages(CHANNEL) == [], "the bot must never post in a channel"
        errors.assert_none(item)

    await fuzz(case, item=_update_kinds(user))
    assert counter.cases >= min(100, FUZZ.max_examples), counter.cases
    assert len(kinds) >= 8, kinds
