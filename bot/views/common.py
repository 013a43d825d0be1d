"""User-visible text for the foundation: welcome, help, settings, country and time zone, fallbacks.

Every string a user can see lives in ``bot.views`` (ready for translation), as Telegram HTML with
all dynamic parts escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from bot.domain.countries import Country
from bot.domain.timezones import display_zone
from bot.views.callbacks import encode


@dataclass(frozen=True, slots=True)
class CommandInfo:
    """A command shown in Telegram's menu and in /help."""

    name: str
    description: str
    in_menu: bool = True


# Order matters: it is the order of the menu and of /help. Safety first.
COMMANDS: tuple[CommandInfo, ...] = (
    CommandInfo("emergency", "What to do in an emergency, with your emergency number"),
    CommandInfo("sos", "Same as /emergency", in_menu=False),
    CommandInfo("signs", "Warning signs of a clot in the leg or lung, and of bleeding"),
    CommandInfo("check", "A quick symptom check, one question at a time"),
    CommandInfo("ask", "Ask a question about blood clots, e.g. /ask can I massage a clot"),
    CommandInfo("topics", "Browse everything ClotCare can explain"),
    CommandInfo(
        "addmed", "Add a medicine reminder, e.g. /addmed apixaban 5 mg 8am and 8pm (brand names too)"
    ),
    CommandInfo("stockings", "Compression stocking reminders, e.g. /stockings 07:30 21:00"),
    CommandInfo("reminders", "See, pause, change or delete your reminders, page by page"),
    CommandInfo("history", "Your doses over the last 14 days"),
    CommandInfo("settings", "Your country, emergency number, time zone and blood-thinner status"),
    CommandInfo("country", "Set your country, e.g. /country uk"),
    CommandInfo("timezone", "Set your time zone: a city, GMT+1, EST or Europe/Berlin"),
    CommandInfo("export", "Download everything ClotCare stores about you"),
    CommandInfo("forget", "Delete everything ClotCare stores about you"),
    CommandInfo("help", "What ClotCare can do"),
    CommandInfo("start", "Welcome, and set your country and time zone", in_menu=False),
    CommandInfo("cancel", "Stop the guided step you are in (any other command stops it too)"),
)

DISCLAIMER = (
    "<i>ClotCare is not a substitute for medical advice from a doctor, nurse or pharmacist. "
    "In an emergency, call your emergency number.</i>"
)


def menu_commands(available: frozenset[str]) -> list[tuple[str, str]]:
    """Return (command, description) pairs for Telegram's menu, limited to available commands."""
    return [(c.name, c.description) for c in COMMANDS if c.in_menu and c.name in available]


def render_welcome(first_name: str | None, returning: bool) -> str:
    """Render the /start greeting, what the bot does, and the disclaimer."""
    name = escape(first_name or "there")
    hello = f"Welcome back, {name}." if returning else f"Hello {name}, I'm <b>ClotCare</b>."
    return (
        f"{hello}\n\n"
        "I help people who have, or may have, a blood clot in a deep vein (DVT) or in the lungs "
        "(a pulmonary embolism, PE):\n"
        "• <b>/signs</b> and <b>/check</b> — warning signs and what to do about them\n"
        "• <b>/emergency</b> — your emergency number and what to say\n"
        "• questions in your own words — for example “can I massage a clot?”\n"
        "• reminders for blood thinners and compression stockings\n\n"
        f"{DISCLAIMER}"
    )


def render_onboarding_country() -> str:
    """Ask for the user's country (skippable)."""
    return (
        "So I can give you the right emergency number, which country are you in?\n"
        "Send <code>/country</code> and its name or code, e.g. <code>/country uk</code> "
        "or <code>/country DE</code> — or pick one below."
    )


def onboarding_country_keyboard(common: Sequence[Country]) -> InlineKeyboardMarkup:
    """Offer a few common countries plus Skip."""
    row: list[InlineKeyboardButton] = []
    rows: list[list[InlineKeyboardButton]] = []
    for c in common:
        row.append(InlineKeyboardButton(f"{c.flag} {c.name}", callback_data=encode("set", "cc", c.code)))
        if len(row) == 3:
            rows.append(row)
            row = []
    if row:
        rows.append(row)
    rows.append([InlineKeyboardButton("Skip for now", callback_data=encode("set", "skip"))])
    return InlineKeyboardMarkup(rows)


def render_onboarding_timezone(country_name: str | None) -> str:
    """Ask for the user's time zone (needed for reminders)."""
    where = f" in {escape(country_name)}" if country_name else ""
    return (
        f"Which time zone are you{where}? Reminders use it.\n"
        "Share your location with the button below, or send e.g. <code>/timezone Europe/London</code>, "
        "<code>/timezone new york</code> or <code>/timezone UTC+2</code>."
    )


def location_keyboard() -> ReplyKeyboardMarkup:
    """A one-time keyboard with a 'share my location' button."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton("📍 Share my location (for my time zone)", request_location=True)]],
        one_time_keyboard=True,
        resize_keyboard=True,
    )


def zone_choice_keyboard(zones: Sequence[str]) -> InlineKeyboardMarkup:
    """Offer time zones to choose from."""
    rows = [[InlineKeyboardButton(z, callback_data=encode("set", "tz", z))] for z in zones[:6]]
    return InlineKeyboardMarkup(rows)


def render_help(available: frozenset[str]) -> str:
    """Render /help: every available command with one line, then the disclaimer."""
    lines = ["<b>What ClotCare can do</b>", ""]
    lines += [f"/{c.name} — {escape(c.description)}" for c in COMMANDS if c.name in available]
    lines += ["", "You can also just type a question in your own words.", "", DISCLAIMER]
    return "\n".join(lines)


def render_blood_thinner(on: bool | None, medicine: str | None) -> str:
    """Say what the bot takes as the user's blood-thinner status, and why."""
    if medicine is not None:
        return f"Blood thinner: yes (you have a reminder for {escape(medicine)})"
    if on is None:
        return "Blood thinner: not known — tell me with the buttons below"
    return f"Blood thinner: {'yes' if on else 'no'} (you told me)"


def render_blood_thinner_question() -> str:
    """Ask whether the user takes a blood thinner (it decides how bleeding is triaged)."""
    return (
        "Do you take a blood thinner (an anticoagulant such as apixaban, rivaroxaban, warfarin or "
        "injections like enoxaparin)? It tells me to treat bleeding as an emergency."
    )


def blood_thinner_keyboard() -> InlineKeyboardMarkup:
    """Buttons to say whether the user takes a blood thinner."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("💊 I take a blood thinner", callback_data=encode("set", "bt", "y")),
                InlineKeyboardButton("I don't", callback_data=encode("set", "bt", "n")),
            ]
        ]
    )


def render_blood_thinner_set(on: bool, medicine: str | None) -> str:
    """Confirm the blood-thinner answer; an active anticoagulant reminder still counts."""
    text = "Noted: you take a blood thinner." if on else "Noted: you don't take a blood thinner."
    if not on and medicine is not None:
        text += (
            f" You still have a reminder for {escape(medicine)}, a blood thinner, so I'll treat bleeding "
            "as an emergency while it is active. Delete or pause it in /reminders if you've stopped it."
        )
    return text


def render_settings(
    country: Country | None,
    emergency_line: str | None,
    zone: str | None,
    local_time: str | None,
    blood_thinner: str = "",
) -> str:
    """Render /settings."""
    country_text = f"{country.flag} {escape(country.name)}" if country else "not set"
    zone_text = f"{escape(display_zone(zone))} (now {escape(local_time or '')})" if zone else "not set"
    lines = ["<b>Your settings</b>", "", f"Country: {country_text}"]
    if emergency_line:
        lines.append(f"Emergency number: {emergency_line}")
    lines.append(f"Time zone: {zone_text}")
    if blood_thinner:
        lines.append(blood_thinner)
    if country is None or zone is None:
        lines += ["", "Use the buttons below to fill in what is missing."]
    return "\n".join(lines)


def settings_keyboard() -> InlineKeyboardMarkup:
    """Buttons to change the country or time zone."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("🌍 Change country", callback_data=encode("set", "country")),
                InlineKeyboardButton("🕒 Change time zone", callback_data=encode("set", "zone")),
            ],
            [InlineKeyboardButton("💊 Blood thinner", callback_data=encode("set", "btask"))],
        ]
    )


def render_country_usage() -> str:
    """Explain how to use /country."""
    return (
        "Tell me your country by name or code, for example:\n"
        "<code>/country uk</code>, <code>/country Germany</code>, <code>/country US</code>"
    )


def render_country_set(country: Country, emergency_line: str, zone_set: str | None) -> str:
    """Confirm the new country and its emergency number."""
    text = f"Country set to {country.flag} <b>{escape(country.name)}</b>.\nEmergency number: {emergency_line}"
    if zone_set:
        text += f"\nTime zone set to <b>{escape(zone_set)}</b> (change it with /timezone)."
    return text


def render_country_unknown(query: str, suggestions: Sequence[Country]) -> str:
    """Say the country was not recognised and offer close matches."""
    text = f"I don't know a country called “{escape(query[:60])}”."
    if suggestions:
        text += " Did you mean one of these?"
    else:
        text += " Try its English name or two-letter code, e.g. <code>/country FR</code>."
    return text


def country_suggestions_keyboard(suggestions: Sequence[Country]) -> InlineKeyboardMarkup:
    """Buttons for suggested countries."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(f"{c.flag} {c.name}", callback_data=encode("set", "cc", c.code))]
            for c in suggestions
        ]
    )


def render_timezone_usage() -> str:
    """Explain how to use /timezone."""
    return (
        "Tell me your time zone, for example:\n"
        "<code>/timezone Europe/Berlin</code>, <code>/timezone new york</code>, "
        "<code>/timezone UTC+2</code>\n"
        "or share your location with the button below."
    )


def offset_in_words(label: str, minutes: int) -> str:
    """Say a UTC offset in plain words: "UTC+1, 1 hour ahead of UTC"."""
    if minutes == 0:
        return "UTC, the same as Greenwich time"
    hours, rest = divmod(abs(minutes), 60)
    amount = f"{hours} hour{'s' if hours != 1 else ''}" + (f" {rest} minutes" if rest else "")
    return f"{label}, {amount} {'ahead of' if minutes > 0 else 'behind'} UTC"


def render_timezone_set(
    zone: str, local_time: str, fixed_offset: bool, offset: str = "", moves: str = ""
) -> str:
    """Confirm the new time zone with the local time there and its offset in words."""
    text = f"Time zone set to <b>{escape(zone)}</b>. It's {escape(local_time)} there now"
    text += f" ({escape(offset)})." if offset else "."
    if fixed_offset:
        text += (
            "\nThis is a fixed offset and won't follow daylight saving. For that, send your city, "
            "e.g. <code>/timezone Paris</code>."
        )
    if moves:
        text += "\n" + moves
    return text


def render_timezone_unknown(query: str, suggestions: Sequence[str], ambiguous: bool = False) -> str:
    """Say the zone was not recognised, or that the name fits several places (ask for a city)."""
    if ambiguous:
        return (
            f"“{escape(query[:60])}” can mean more than one time zone. Which city are you in? "
            "Pick one below or send your city, e.g. <code>/timezone Mumbai</code>."
        )
    text = f"I couldn't find a time zone for “{escape(query[:60])}”."
    text += (
        " Did you mean one of these?" if suggestions else " Try a city, e.g. <code>/timezone London</code>."
    )
    return text


def render_location_no_zone() -> str:
    """Say no zone is known at the shared location."""
    return (
        "I couldn't find a time zone at that location. Send your city instead, "
        "e.g. <code>/timezone Madrid</code>."
    )


def render_skipped_onboarding() -> str:
    """Acknowledge skipping onboarding."""
    return (
        "No problem. Until you set a country, I'll say “112 from a mobile, or your local emergency number”. "
        "You can set it any time with /country."
    )


def render_cancelled(anything: bool) -> str:
    """Acknowledge /cancel."""
    if anything:
        return "Stopped. What would you like to do next? /help lists everything."
    return "There was nothing to stop. /help lists what I can do."


def render_private_only(bot_username: str) -> str:
    """Ask a group member to use a private chat for personal commands."""
    return (
        "That's personal, so I only do it in a private chat — "
        f"open @{escape(bot_username)} and send the command there. /emergency and /signs work here too."
    )


def render_unknown_command() -> str:
    """Reply to a command the bot does not have."""
    return "I don't know that command. /help lists what I can do — or just type your question."


def render_unsupported_message() -> str:
    """Reply to stickers, photos, voice notes and other non-text messages."""
    return (
        "I can only read text. Type your question, or use /signs for warning signs and /emergency if "
        "you need urgent help."
    )


def render_error() -> str:
    """Apologise for an internal error."""
    return (
        "Sorry — something went wrong on my side. Please try again. If you feel unwell, use /emergency or "
        "call your emergency number."
    )


def render_storage_unavailable() -> str:
    """Explain that saving is not possible right now."""
    return (
        "Sorry — I can't save anything right now. Please try again in a few minutes. /emergency and /signs "
        "still work."
    )


def render_flow_dropped() -> str:
    """Say that a half-finished step kept from before could not be read and was ended."""
    return (
        "I couldn't pick up the step you were in the middle of, so I've ended it. "
        "Nothing from it was saved. Please start again with the command (for example /addmed)."
    )


def render_stale_button() -> str:
    """Answer a button from an old or unknown message (callback answers are plain text)."""
    return "That button has expired."
