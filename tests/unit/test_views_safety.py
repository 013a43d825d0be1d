"""Safety views: the severity contract, valid escaped Telegram HTML, and SAFETY.md wording rules."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser

import pytest
from telegram import InlineKeyboardMarkup

from bot.domain.emergency import EmergencyDirectory, EmergencyInfo, HealthLine, default_emergency_numbers_path
from bot.domain.triage import (
    BLOOD_THINNER_QUESTION_ID,
    CHECK_QUESTIONS,
    CheckOutcome,
    Severity,
    TriageResult,
    check_question,
)
from bot.views import safety
from bot.views.callbacks import decode

SIREN, WARNING = "🚨", "⚠️"
TELEGRAM_LIMIT = 4096
DIRECTORY = EmergencyDirectory.load(default_emergency_numbers_path())
KNOWN: list[EmergencyInfo] = [info for c in DIRECTORY.codes() if (info := DIRECTORY.lookup(c)) is not None]
# Every country, plus "unknown".
COUNTRIES: list[EmergencyInfo | None] = [*KNOWN, None]
NASTY = EmergencyInfo(
    country_code="ZZ",
    country_name="<Nowhere> & Co",
    ambulance="999",
    general=("999", "112"),
    note='Say "help" <b>loudly</b> & clearly',
    non_emergency=HealthLine("Line <1> & <2>", "0800 000 000"),
    source="test",
    reviewed=date(2026, 11, 27),
)

EMERGENCY_SIGN_SETS = [
    frozenset({"breathless"}),
    frozenset({"chest_pain", "leg_swelling"}),
    frozenset({"coughing_blood"}),
    frozenset({"bleeding_vomit"}),
    frozenset({"bleeding_stool"}),
    frozenset({"bleeding_urine", "bleeding_wont_stop"}),
    frozenset({"bleeding_wont_stop"}),
    frozenset({"severe_headache"}),
    frozenset({"head_injury"}),
    frozenset({"headache_or_head_injury"}),
    frozenset(),
]
URGENT_SIGN_SETS = [
    frozenset({"leg_swelling"}),
    frozenset({"leg_pain", "warm_skin", "red_skin", "hard_vein"}),
    frozenset({"bleeding_stool"}),  # not on a blood thinner
    frozenset({"head_injury"}),
    frozenset(),
]


def ids(info: EmergencyInfo | None) -> str:
    return "unknown" if info is None else info.country_code


def first_line(text: str) -> str:
    return text.split("\n", 1)[0]


def ambulance(info: EmergencyInfo | None) -> str:
    return "112" if info is None else info.ambulance


def assert_emergency(text: str, info: EmergencyInfo | None) -> None:
    assert text.startswith(SIREN)
    assert ambulance(info) in first_line(text)
    assert WARNING not in text


def assert_urgent(text: str) -> None:
    assert WARNING in text
    assert SIREN not in text


def assert_neutral(text: str) -> None:
    assert SIREN not in text
    assert WARNING not in text


class _TelegramHTML(HTMLParser):
    """Collect structure problems in a Telegram-HTML message."""

    ALLOWED = frozenset({"b", "i", "u", "a", "code"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.ALLOWED:
            self.problems.append(f"tag <{tag}>")
        if tag != "a" and attrs:
            self.problems.append(f"attributes on <{tag}>")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(f"misnested </{tag}>")

    def handle_data(self, data: str) -> None:
        if "<" in data or ">" in data:
            self.problems.append(f"raw angle bracket in {data!r}")

    def handle_entityref(self, name: str) -> None:
        if name not in {"lt", "gt", "amp", "quot"}:
            self.problems.append(f"entity &{name};")

    def handle_charref(self, name: str) -> None:
        self.problems.append(f"char ref &#{name};")


def assert_valid_html(text: str) -> None:
    parser = _TelegramHTML()
    parser.feed(text)
    parser.close()
    assert parser.problems == [], parser.problems
    assert parser.stack == [], f"unclosed {parser.stack}"
    # Every ampersand starts an entity: nothing slipped through unescaped.
    assert re.findall(r"&(?!(?:lt|gt|amp|quot);)", text) == []
    assert len(text) <= TELEGRAM_LIMIT


def all_renders(info: EmergencyInfo | None) -> list[tuple[str, str]]:
    """Every safety message for one country, tagged with the contract it must meet."""
    out = [
        ("emergency", safety.render_emergency(info)),
        ("neutral", safety.render_signs(info)),
        ("neutral", safety.render_red_flag_reply(TriageResult(Severity.INFO, frozenset()), info)),
        ("neutral", safety.render_check_result(CheckOutcome(Severity.INFO, frozenset()), info)),
    ]
    for signs in EMERGENCY_SIGN_SETS:
        out.append(("emergency", safety.render_red_flag_reply(TriageResult(Severity.EMERGENCY, signs), info)))
        out.append(("emergency", safety.render_check_result(CheckOutcome(Severity.EMERGENCY, signs), info)))
    for signs in URGENT_SIGN_SETS:
        out.append(("urgent", safety.render_red_flag_reply(TriageResult(Severity.URGENT, signs), info)))
        out.append(("urgent", safety.render_check_result(CheckOutcome(Severity.URGENT, signs), info)))
    return out


def country_free_renders() -> list[str]:
    questions = [*CHECK_QUESTIONS, check_question(BLOOD_THINNER_QUESTION_ID)]
    return [
        safety.render_check_intro(),
        safety.render_check_stale(),
        safety.render_unknown_country_prompt(),
        *(safety.render_check_question(q) for q in questions if q is not None),
    ]


# --- the severity contract ------------------------------------------------------------------------


@pytest.mark.parametrize("info", [*COUNTRIES, NASTY], ids=ids)
def test_severity_contract_for_every_country(info: EmergencyInfo | None) -> None:
    for kind, text in all_renders(info):
        if kind == "emergency":
            assert_emergency(text, info)
        elif kind == "urgent":
            assert_urgent(text)
        else:
            assert_neutral(text)


def test_messages_without_a_country_carry_no_severity_emoji() -> None:
    for text in country_free_renders():
        assert_neutral(text)


@pytest.mark.parametrize("info", [*COUNTRIES, NASTY], ids=ids)
def test_every_message_is_valid_escaped_telegram_html(info: EmergencyInfo | None) -> None:
    for _, text in all_renders(info):
        assert_valid_html(text)
    for text in country_free_renders():
        assert_valid_html(text)


def test_data_from_the_table_is_escaped() -> None:
    text = safety.render_emergency(NASTY)
    assert "<b>loudly</b>" not in text
    assert "&lt;b&gt;loudly&lt;/b&gt; &amp; clearly" in text
    urgent = safety.render_red_flag_reply(TriageResult(Severity.URGENT, frozenset({"leg_pain"})), NASTY)
    assert "Line &lt;1&gt; &amp; &lt;2&gt; on 0800 000 000" in urgent


# --- the emergency number -----------------------------------------------------------------------


def test_emergency_number_line() -> None:
    assert safety.emergency_number_line(DIRECTORY.lookup("GB")) == "999 (or 112)"
    assert safety.emergency_number_line(DIRECTORY.lookup("US")) == "911"
    assert safety.emergency_number_line(DIRECTORY.lookup("FR")) == "15 (or 112)"
    assert safety.emergency_number_line(None) == "112 from a mobile, or your local emergency number"


@pytest.mark.parametrize("info", KNOWN, ids=ids)
def test_first_line_names_every_number_that_works(info: EmergencyInfo) -> None:
    line = first_line(safety.render_emergency(info))
    for number in (info.ambulance, *info.general):
        assert number in line


def test_unknown_country_gets_112_and_a_prompt_to_set_it() -> None:
    for text in (
        safety.render_emergency(None),
        safety.render_signs(None),
        safety.render_red_flag_reply(TriageResult(Severity.EMERGENCY, frozenset({"breathless"})), None),
        safety.render_red_flag_reply(TriageResult(Severity.URGENT, frozenset({"leg_pain"})), None),
    ):
        assert "112 from a mobile, or your local emergency number" in text
        assert "/country" in text
    assert "/country" not in safety.render_emergency(DIRECTORY.lookup("GB"))


def test_set_country_keyboard() -> None:
    keyboard = safety.set_country_keyboard()
    assert isinstance(keyboard, InlineKeyboardMarkup)
    [[button]] = keyboard.inline_keyboard
    assert button.text == "Set my country"
    assert button.callback_data == "set:country"


# --- SAFETY.md wording ----------------------------------------------------------------------------


def test_emergency_screen_says_what_to_do() -> None:
    text = safety.render_emergency(DIRECTORY.lookup("GB"))
    for phrase in (
        "pulmonary embolism",
        "address",
        "Don't drive yourself",
        "Unlock the front door",
        "Sit upright",
        "medicines",
        "shortness of breath",
        "coughing up blood",
        "massage",
    ):
        assert phrase in text, phrase


def test_urgent_reply_says_today_and_never_massage() -> None:
    gb = DIRECTORY.lookup("GB")
    text = safety.render_red_flag_reply(TriageResult(Severity.URGENT, frozenset({"leg_swelling"})), gb)
    assert "today" in first_line(text)
    assert "Don't rub, massage" in text
    assert "NHS 111" in text
    assert "999" in text  # when to escalate
    us = safety.render_red_flag_reply(TriageResult(Severity.URGENT, frozenset({"leg_swelling"})), None)
    assert "non-emergency health line" in us


def test_signs_checklist_leads_with_the_number_and_covers_three_groups() -> None:
    gb = DIRECTORY.lookup("GB")
    text = safety.render_signs(gb)
    assert first_line(text).startswith("<b>Call 999 (or 112) now</b>")
    for phrase in (
        "pulmonary embolism",
        "Get medical help today",
        "On a blood thinner?",
        "massage",
        "NHS 111",
    ):
        assert phrase in text


def test_no_doses_anywhere() -> None:
    texts = [t for info in COUNTRIES for _, t in all_renders(info)] + country_free_renders()
    for text in texts:
        assert not re.search(r"\d\s*(?:mg|milligram|tablets?|doses?)\b", text, re.IGNORECASE)
        assert "double" not in text.lower()
        assert "stop taking" not in text.lower()


# --- the guided check -------------------------------------------------------------------------


def test_every_check_question_has_plain_text() -> None:
    for q in [*CHECK_QUESTIONS, check_question(BLOOD_THINNER_QUESTION_ID)]:
        assert q is not None
        text = safety.render_check_question(q)
        assert "?" in text
        assert_neutral(text)


def test_check_keyboard_encodes_session_question_and_answer() -> None:
    keyboard = safety.check_keyboard("breathless", "s1")
    [[yes, no]] = keyboard.inline_keyboard
    assert (yes.text, no.text) == ("Yes", "No")
    assert yes.callback_data == "chk:s1:breathless:y"
    assert no.callback_data == "chk:s1:breathless:n"
    decoded = decode(yes.callback_data)
    assert decoded is not None
    assert decoded.args == ("s1", "breathless", "y")


def test_every_question_fits_telegram_callback_limit_with_a_32_char_session() -> None:
    session = "x" * 32
    for q in [*CHECK_QUESTIONS, check_question(BLOOD_THINNER_QUESTION_ID)]:
        assert q is not None
        safety.check_keyboard(q.id, session)  # raises CallbackDataError if too long


def test_check_stale_and_intro() -> None:
    assert safety.render_check_stale() == "That check has ended — send /check to start again."
    assert "/emergency" in safety.render_check_intro()
