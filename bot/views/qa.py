"""Q&A replies: answers, topic pages and browsing keyboards, as escaped Telegram HTML."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.content import ContentBase, Topic
from bot.services.qa import QAResult
from bot.views.callbacks import encode

CALLBACK_PREFIX: Final = "qa"
# Telegram allows 4096 UTF-16 code units per message; stay clear of it.
MAX_PART_UNITS: Final = 4000
TOPICS_PER_PAGE: Final = 8
MAX_RELATED_BUTTONS: Final = 3
KEY_TOPICS: Final = (
    "suspected_clot_what_to_do",
    "dvt_symptoms",
    "pe_symptoms",
    "massage_clot",
    "anticoagulants",
)

TELL_ME_MORE: Final = "📖 Tell me more"
PREVIOUS_PAGE: Final = "◀️"
NEXT_PAGE: Final = "▶️"
SOURCE_LABEL: Final = "Source"
NO_ANSWER: Final = (
    "ClotCare's leaflets don't cover that question, so I won't guess. A pharmacist or doctor can answer it."
)
DID_YOU_MEAN: Final = "Did you mean one of these?"
TOPICS_HINT: Final = "You can browse everything I can answer with /topics."
DID_YOU_MEAN_PREFIX: Final = "❓ Did you mean: "

_BOLD: Final = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_BULLET: Final = re.compile(r"^[ \t]*- +", re.MULTILINE)
_PARAGRAPH_BREAK: Final = re.compile(r"\n[ \t]*\n")


def render_answer(result: QAResult) -> str:
    """Render a short answer: the title in bold, the summary, the matching section if any, the source."""
    topic = result.topic
    if topic is None:
        return render_no_answer(result.suggestions)
    lines = [f"<b>{_escape(topic.title)}</b>", "", _escape(topic.summary)]
    source = ["", _source_line(topic)] if topic.sources else []
    if result.section is not None:
        section = ["", f"<b>{_escape(result.section.heading)}</b>", _markdown_to_html(result.section.text)]
        # A section too long for one message is left to "Tell me more"; the summary still answers.
        if _utf16_units("\n".join(lines + section + source)) <= MAX_PART_UNITS:
            lines += section
    return "\n".join(lines + source)


def answer_keyboard(result: QAResult) -> InlineKeyboardMarkup:
    """Build the buttons under an answer: read more, "Did you mean" on a close call, related topics."""
    topic = result.topic
    if topic is None:
        return InlineKeyboardMarkup([[_topic_button(t)] for t in result.suggestions])
    rows = [[InlineKeyboardButton(TELL_ME_MORE, callback_data=encode(CALLBACK_PREFIX, "more", topic.id))]]
    rows += [[_topic_button(other, DID_YOU_MEAN_PREFIX)] for other in result.suggestions]
    rows += [[_topic_button(related)] for related in result.related[:MAX_RELATED_BUTTONS]]
    return InlineKeyboardMarkup(rows)


def render_ask_usage() -> str:
    """Explain /ask when it comes without a question."""
    return (
        "Ask me anything about blood clots, for example:\n"
        "<code>/ask can I massage a clot?</code>\n"
        "You can also just type your question without /ask."
    )


def render_topics_intro() -> str:
    """Introduce the topic browser."""
    return "<b>Topics</b>\nEverything I can explain. Tap one to read it."


def render_no_answer(suggestions: Sequence[Topic] = ()) -> str:
    """Render the plain "no answer" reply: not covered, ask a pharmacist or doctor, maybe a near topic."""
    hint = DID_YOU_MEAN if suggestions else TOPICS_HINT
    return f"{_escape(NO_ANSWER)}\n\n{_escape(hint)}"


def no_answer_keyboard(content: ContentBase, suggestions: Sequence[Topic] = ()) -> InlineKeyboardMarkup:
    """Offer the nearest topics ("Did you mean ...?") when a question has no answer, else key topics."""
    topics = list(suggestions) or [
        t for t in (content.get(topic_id) for topic_id in KEY_TOPICS) if t is not None
    ]
    return InlineKeyboardMarkup([[_topic_button(t)] for t in topics])


def render_topic_body(topic: Topic) -> list[str]:
    """Render a topic's full text as HTML messages, each under Telegram's limit, split between paragraphs."""
    blocks = [f"<b>{_escape(topic.title)}</b>"]
    for paragraph in _PARAGRAPH_BREAK.split(topic.body.strip()):
        if paragraph.strip():
            blocks += _render_fitting(paragraph.strip())
    parts: list[str] = []
    current = ""
    for block in blocks:
        candidate = f"{current}\n\n{block}" if current else block
        if _utf16_units(candidate) <= MAX_PART_UNITS:
            current = candidate
        else:
            parts.append(current)
            current = block
    parts.append(current)
    return parts


def topics_keyboard(topics: Sequence[Topic], page: int) -> InlineKeyboardMarkup:
    """Build one page of the topic browser, with previous/next buttons when there are more pages."""
    pages = max(1, -(-len(topics) // TOPICS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    start = page * TOPICS_PER_PAGE
    rows = [[_topic_button(t)] for t in topics[start : start + TOPICS_PER_PAGE]]
    nav: list[InlineKeyboardButton] = []
    if page > 0:
        nav.append(
            InlineKeyboardButton(PREVIOUS_PAGE, callback_data=encode(CALLBACK_PREFIX, "page", page - 1))
        )
    if page < pages - 1:
        nav.append(InlineKeyboardButton(NEXT_PAGE, callback_data=encode(CALLBACK_PREFIX, "page", page + 1)))
    if nav:
        rows.append(nav)
    return InlineKeyboardMarkup(rows)


def _topic_button(topic: Topic, prefix: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        prefix + topic.title, callback_data=encode(CALLBACK_PREFIX, "topic", topic.id)
    )


def _source_line(topic: Topic) -> str:
    source = topic.sources[0]
    label = f"{_escape(SOURCE_LABEL)}: "
    if source.url.startswith(("https://", "http://")):
        return f'{label}<a href="{html.escape(source.url, quote=True)}">{_escape(source.title)}</a>'
    return f"{label}{_escape(source.title)}"


def _render_fitting(markdown: str) -> list[str]:
    """Render one paragraph; if it is too long, split the Markdown (never the HTML) and render each piece."""
    rendered = _markdown_to_html(markdown)
    if _utf16_units(rendered) <= MAX_PART_UNITS or len(markdown) < 2:
        return [rendered]
    cut = _split_point(markdown)
    return _render_fitting(markdown[:cut].rstrip()) + _render_fitting(markdown[cut:].lstrip())


def _split_point(text: str) -> int:
    # Prefer a line break, then a space, nearest the middle; a hard cut only for one enormous word.
    middle = len(text) // 2
    for separator in ("\n", " "):
        left = text.rfind(separator, 1, middle + 1)
        right = text.find(separator, middle)
        candidates = [i for i in (left, right) if 0 < i < len(text) - 1]
        if candidates:
            return min(candidates, key=lambda i: abs(i - middle))
    return middle


def _markdown_to_html(markdown: str) -> str:
    """Convert the content's small Markdown subset (**bold**, "- " bullets) to escaped Telegram HTML."""
    text = _BULLET.sub("• ", markdown)
    return _BOLD.sub(lambda m: f"<b>{m.group(1)}</b>", _escape(text))


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
