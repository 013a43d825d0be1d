"""Every safety message ClotCare sends: emergency, red-flag replies, the guided check, /signs.

Severity contract (handlers, tests and people rely on it):

* an EMERGENCY message starts with "🚨" and names the emergency number in its first line;
* an URGENT message contains "⚠️" and never "🚨";
* every other message here carries neither.

So the siren always means "act now" and is never diluted. /signs is a reference checklist, not an
alert about this person, so it carries neither emoji; it still leads with the action and the number
("Call 999 (or 112) now if you notice any of these ...") in its first line, and marks its three groups
with bold headings instead. The same holds for the check's intro, questions and all-clear result.

Wording follows SAFETY.md rules 1-4: the action comes first, plain words, no doses, and never rub or
massage a limb that may have a clot. Messages are Telegram HTML: only <b> and <i> are used and every
piece of text, ours or from data, goes through ``html.escape``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.emergency import EmergencyInfo, HealthLine
from bot.domain.triage import (
    BLOOD_THINNER_QUESTION_ID,
    DVT_SIGNS,
    PE_SIGNS,
    CheckOutcome,
    CheckQuestion,
    Severity,
    TriageResult,
)
from bot.views.callbacks import encode

SIREN = "🚨"
WARNING = "⚠️"
UNKNOWN_NUMBER_LINE = "112 from a mobile, or your local emergency number"
CHECK_PREFIX = "chk"

# Signs seen in the guided check use the same ids as the detector, plus this combined one.
_HEAD_CHECK_ID = "headache_or_head_injury"
_BLEEDING_IDS = frozenset(
    {
        "bleeding_vomit",
        "bleeding_stool",
        "bleeding_urine",
        "bleeding_wont_stop",
        "severe_headache",
        "head_injury",
        _HEAD_CHECK_ID,
        "heavy_period",
    }
)

_PE_SIGN_LINES = (
    "sudden shortness of breath",
    "chest pain that is sharp, or worse when you breathe in or cough",
    "a fast or irregular heartbeat",
    "coughing up blood",
    "fainting, collapsing, or feeling light-headed or dizzy",
)
_DVT_SIGN_LINES = (
    "swelling in one leg or arm",
    "pain, cramping or tenderness, often in the calf",
    "warm skin on the painful or swollen area",
    "red or darker skin on that area",
    "veins that feel hard or sore",
)
_BLEEDING_SIGN_LINES = (
    "vomiting blood, or vomit that looks like coffee grounds",
    "coughing up blood",
    "black poo, or red blood in your poo",
    "pink, red or brown pee",
    "bleeding that doesn't stop after 10 minutes of pressing on it",
    "a severe headache",
    "any serious knock or injury to your head",
)
# What to tell the call handler, most serious first (the first sign present wins).
_BLEEDING_SAY = (
    ("bleeding_vomit", '"I have vomited blood."'),
    ("head_injury", '"I have hit my head."'),
    ("severe_headache", '"I have a sudden, severe headache."'),
    (_HEAD_CHECK_ID, '"I have a severe headache or I have hit my head."'),
    ("bleeding_wont_stop", '"I am bleeding and it will not stop."'),
    ("bleeding_stool", '"I have black poo or blood in my poo."'),
    ("bleeding_urine", '"I have blood in my pee."'),
    ("heavy_period", '"I am bleeding very heavily from my period."'),
)
_NO_MASSAGE = (
    "Don't rub, massage or stretch the leg or arm: that can loosen a clot and send it to your lungs."
)

_QUESTIONS: dict[str, str] = {
    "breathless": "Are you more short of breath than usual, or did breathlessness come on suddenly?",
    "chest_pain": (
        "Do you have chest pain, especially sharp pain or pain that gets worse when you breathe in or cough?"
    ),
    "fast_heartbeat": "Is your heart beating fast or unevenly (racing, pounding or fluttering)?",
    "coughing_blood": "Have you coughed up any blood?",
    "fainting": "Have you fainted or collapsed, or do you feel light-headed or dizzy?",
    BLOOD_THINNER_QUESTION_ID: (
        "Are you taking a blood thinner (an anticoagulant such as apixaban, rivaroxaban, edoxaban, "
        "dabigatran, warfarin or heparin injections)? If you're not sure, tap Yes."
    ),
    "bleeding_vomit": "Have you vomited blood, or vomit that looks like coffee grounds?",
    "bleeding_stool": "Is your poo black, or is there red blood in it?",
    "bleeding_urine": "Is your pee pink, red or brown?",
    "bleeding_wont_stop": "Are you bleeding and it hasn't stopped after 10 minutes of pressing on it?",
    _HEAD_CHECK_ID: "Do you have a severe headache, or have you hit your head?",
    "leg_swelling": "Is one leg or arm swollen?",
    "leg_pain": "Do you have pain, cramping or tenderness in one leg or arm (often the calf)?",
    "warm_skin": "Does the skin feel warm on part of one leg or arm?",
    "red_skin": "Is the skin red or darker than usual on part of one leg or arm?",
    "hard_vein": "Do any veins in one leg or arm feel hard or sore?",
}


def _e(text: str) -> str:
    """Escape text for Telegram HTML."""
    return html.escape(text, quote=False)


def _b(text: str) -> str:
    """Return escaped text in bold."""
    return f"<b>{_e(text)}</b>"


def _i(text: str) -> str:
    """Return escaped text in italics."""
    return f"<i>{_e(text)}</i>"


def _bullets(lines: Iterable[str]) -> str:
    """Return escaped lines as a bulleted list."""
    return "\n".join(f"• {_e(line)}" for line in lines)


def emergency_number_line(info: EmergencyInfo | None) -> str:
    """Return how to reach an ambulance, escaped: "999 (or 112)", or the 112 fallback when unknown."""
    if info is None:
        return _e(UNKNOWN_NUMBER_LINE)
    if info.alternatives:
        return f"{_e(info.ambulance)} (or {' or '.join(_e(n) for n in info.alternatives)})"
    return _e(info.ambulance)


def _call(info: EmergencyInfo | None) -> str:
    """Return the escaped call-to-action phrase used in first lines: "Call 999 (or 112)"."""
    if info is None:
        return f"Call an ambulance ({emergency_number_line(None)})"
    return f"Call {emergency_number_line(info)}"


def _siren_head(info: EmergencyInfo | None) -> str:
    """Return the first line (and the country's note) of every emergency message."""
    head = f"{SIREN} <b>{_call(info)} now.</b>"
    if info is not None and info.note:
        head += "\n" + _i(info.note)
    return head


def _health_line(line: HealthLine) -> str:
    """Return "NHS 111" or "healthdirect on 1800 022 222", escaped."""
    if line.number.replace(" ", "") in line.name.replace(" ", ""):
        return _e(line.name)
    return f"{_e(line.name)} on {_e(line.number)}"


def _same_day_help(info: EmergencyInfo | None) -> str:
    """Return where to get help today: an urgent appointment or the local health line."""
    ask = "Ask for an urgent appointment with a doctor today, or call "
    if info is not None and info.non_emergency is not None:
        return _e(ask) + _health_line(info.non_emergency) + "."
    return _e(ask + "your local non-emergency health line.")


def _country_prompt(info: EmergencyInfo | None) -> str:
    """Return the set-your-country reminder for people whose country we don't know, else ''."""
    return "" if info is not None else "\n\n" + render_unknown_country_prompt()


def _while_you_wait(signs: frozenset[str]) -> str:
    """Return the practical steps while help comes."""
    steps = [
        "Don't drive yourself to hospital.",
        "Unlock the front door so the crew can get in.",
        "Sit upright and stay as still and calm as you can.",
        "Get your list of medicines (or the boxes) ready to show the crew.",
    ]
    if "bleeding_wont_stop" in signs:
        steps.insert(0, "Keep pressing firmly on the bleeding with a clean cloth.")
    if not signs & _BLEEDING_IDS or signs & (PE_SIGNS | DVT_SIGNS):
        steps.append(_NO_MASSAGE)
    return _b("While you wait:") + "\n" + _bullets(steps)


def _emergency_body(signs: frozenset[str], info: EmergencyInfo | None) -> str:
    """Return the full emergency reply for these signs."""
    pe = bool(signs & PE_SIGNS) or not signs & _BLEEDING_IDS
    if pe:
        reason = "What you describe can be a sign of a blood clot in the lung (pulmonary embolism)."
        say = '"I think I may have a blood clot in my lung, a pulmonary embolism."'
    else:
        reason = "This can be a sign of serious bleeding, especially if you take a blood thinner."
        say = next(phrase for sign, phrase in _BLEEDING_SAY if sign in signs)
    parts = [
        _siren_head(info),
        _e(reason) + "\n" + _e("Don't wait to see if it gets better."),
        f"{_b('Say:')} {_e(say)} "
        + _e("Then give your address, and tell them which medicines you take, especially a blood thinner."),
        _while_you_wait(signs),
    ]
    return "\n\n".join(parts) + _country_prompt(info)


def _urgent_body(signs: frozenset[str], info: EmergencyInfo | None) -> str:
    """Return the full urgent (same-day) reply for these signs."""
    dvt = bool(signs & DVT_SIGNS) or not signs & _BLEEDING_IDS
    lines = [f"{WARNING} {_b('Get medical help today.')}"]
    if dvt:
        lines.append(
            _e(
                "Swelling, pain, warmth or redness in one leg or arm can be a sign of a blood clot "
                "(deep vein thrombosis, DVT)."
            )
        )
    else:
        lines.append(_e("This can be a sign of bleeding that a doctor needs to check today."))
    steps = [_same_day_help(info)]
    if dvt:
        steps.append(_e(_NO_MASSAGE))
    body = "\n".join(lines) + "\n\n" + "\n".join(f"• {s}" for s in steps)
    worse = (
        "if you get short of breath, chest pain, a fast heartbeat, cough up blood, or feel faint."
        if dvt
        else "if the bleeding gets worse, you vomit or cough up blood, or you feel faint or very unwell."
    )
    escalate = f"<b>{_call(info)} now</b> " + _e(worse)
    return body + "\n\n" + escalate + _country_prompt(info)


def render_emergency(info: EmergencyInfo | None) -> str:
    """Render /emergency and /sos: the number first, what to say, the signs, what to do while waiting."""
    parts = [
        _siren_head(info),
        f"{_b('Say:')} "
        + _e(
            '"I think I may have a blood clot in my lung, a pulmonary embolism." Then give your address. '
            "If you take a blood thinner and are bleeding, say that too."
        ),
        _b("Call now for any of these:") + "\n" + _bullets(_PE_SIGN_LINES),
        _while_you_wait(frozenset()),
    ]
    return "\n\n".join(parts) + _country_prompt(info)


def render_signs(info: EmergencyInfo | None) -> str:
    """Render the /signs checklist: clot in the lung, clot in a leg or arm, bleeding on a blood thinner."""
    call = _call(info)
    pe = (
        f"<b>{call} now</b> "
        + _e("if you notice any of these signs of a blood clot in the lung (pulmonary embolism):")
        + "\n"
        + _bullets(_PE_SIGN_LINES)
    )
    if info is not None and info.note:
        pe += "\n" + _i(info.note)
    dvt = (
        _b("Get medical help today")
        + " "
        + _e("for signs of a blood clot in a leg or arm (deep vein thrombosis, DVT):")
        + "\n"
        + _bullets(_DVT_SIGN_LINES)
        + "\n"
        + _same_day_help(info)
        + "\n"
        + _e(_NO_MASSAGE)
        + "\n"
        + f"<b>{call} now</b> "
        + _e("if you also feel short of breath or have chest pain.")
    )
    bleeding = (
        f"<b>On a blood thinner? {call} now</b> " + _e("if you have:") + "\n" + _bullets(_BLEEDING_SIGN_LINES)
    )
    tail = _e("Not sure? Send /check and answer a few yes/no questions.")
    return "\n\n".join([pe, dvt, bleeding, tail]) + _country_prompt(info)


def render_red_flag_reply(result: TriageResult, info: EmergencyInfo | None) -> str:
    """Render the reply to a message in which the detector found warning signs."""
    if result.severity is Severity.EMERGENCY:
        return _emergency_body(result.signs, info)
    if result.severity is Severity.URGENT:
        return _urgent_body(result.signs, info)
    return _e(
        "I didn't spot any warning signs in your message. If you have symptoms right now, send /check. "
        "If you feel very unwell, call your emergency number: send /emergency to see it."
    )


def render_check_intro() -> str:
    """Render the start of /check."""
    return (
        _b("Symptom check")
        + "\n"
        + _e(
            "I'll ask a few yes/no questions about how you feel right now. If at any point you feel very "
            "unwell, stop and call your emergency number (send /emergency to see it). "
            "This check doesn't replace a doctor."
        )
    )


def render_check_question(q: CheckQuestion) -> str:
    """Render one yes/no question of the check."""
    return _e(_QUESTIONS[q.id])


def render_check_answered(q: CheckQuestion, yes: bool) -> str:
    """Render a question once answered (its buttons are removed so it can't be tapped again)."""
    return f"{_e(_QUESTIONS[q.id])}\n{_i('Your answer: ' + ('Yes' if yes else 'No'))}"


def check_keyboard(question_id: str, session: str) -> InlineKeyboardMarkup:
    """Return Yes/No buttons for one question; ``session`` ties taps to this run of the check."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Yes", callback_data=encode(CHECK_PREFIX, session, question_id, "y")),
                InlineKeyboardButton("No", callback_data=encode(CHECK_PREFIX, session, question_id, "n")),
            ]
        ]
    )


def render_check_result(outcome: CheckOutcome, info: EmergencyInfo | None) -> str:
    """Render the end of the check: call now, get help today, or no warning signs."""
    if outcome.severity is Severity.EMERGENCY:
        return _emergency_body(outcome.signs, info)
    if outcome.severity is Severity.URGENT:
        return _urgent_body(outcome.signs, info)
    return (
        _b("No warning signs right now.")
        + "\n"
        + _e(
            "You answered No to every question. Symptoms can change: if anything new starts or gets "
            "worse, send /check again, or /emergency if you feel very unwell. If you're worried, speak "
            "to a doctor or pharmacist."
        )
    )


def render_check_stale() -> str:
    """Render the answer to a tap on a check that is over or unknown."""
    return _e("That check has ended — send /check to start again.")


def set_country_keyboard() -> InlineKeyboardMarkup:
    """Return the one-button keyboard that starts setting the user's country."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton("Set my country", callback_data=encode("set", "country"))]]
    )


def render_unknown_country_prompt() -> str:
    """Render the reminder shown when we don't know the user's country."""
    return _e(
        "I don't know which country you're in, so I can't show your local emergency number. "
        "112 works from a mobile in many countries. Set your country with /country so I can show the "
        "right number."
    )


# --- the safety net (SAFETY.md rule 11): "Is this happening to you now?" -----------------------------

SAFETY_NET_PREFIX = "sn"
SAFETY_NET_JUST_ASKING = "no"
# Buttons in the order people should see them: PE signs, bleeding, then the DVT and period signs.
SAFETY_NET_SIGNS: tuple[tuple[str, str], ...] = (
    ("breathless", "Short of breath"),
    ("chest_pain", "Chest pain"),
    ("fast_heartbeat", "Racing or uneven heartbeat"),
    ("fainting", "Fainted, dizzy or faint"),
    ("coughing_blood", "Coughing up blood"),
    ("bleeding_vomit", "Vomiting blood"),
    ("bleeding_wont_stop", "Bleeding that won't stop"),
    ("bleeding_stool", "Black or bloody poo"),
    ("bleeding_urine", "Pink, red or brown pee"),
    ("severe_headache", "Sudden severe headache"),
    ("head_injury", "Hit my head"),
    ("leg_swelling", "Swollen, sore, warm or red leg or arm"),
    ("heavy_period", "Very heavy period"),
)
SAFETY_NET_SIGN_IDS = frozenset(sign for sign, _ in SAFETY_NET_SIGNS)


def render_safety_net(info: EmergencyInfo | None) -> str:
    """Render the question asked when a message sounds like a symptom but matched no warning sign."""
    number = emergency_number_line(info)
    return (
        _b("Is this happening to you now?")
        + "\n"
        + _e("If you have any of these signs right now, tap it and I'll tell you what to do.")
        + "\n"
        + f"If you feel very unwell, call <b>{number}</b> now. Don't wait."
        + "\n\n"
        + _e("Not sure? Send /check for a few yes/no questions. Just asking? Tap the last button.")
        + _country_prompt(info)
    )


def safety_net_keyboard() -> InlineKeyboardMarkup:
    """Return one button per warning sign (two a row) and a last "No, just asking" button."""
    buttons = [
        InlineKeyboardButton(label, callback_data=encode(SAFETY_NET_PREFIX, sign))
        for sign, label in SAFETY_NET_SIGNS
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append(
        [
            InlineKeyboardButton(
                "No, just asking", callback_data=encode(SAFETY_NET_PREFIX, SAFETY_NET_JUST_ASKING)
            )
        ]
    )
    return InlineKeyboardMarkup(rows)


def render_safety_net_ask_again() -> str:
    """Render the reply to "just asking" when the original question can't be found any more."""
    return _e("OK. Send me your question again and I'll answer it.")
