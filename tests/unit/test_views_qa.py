"""Q&A views: valid, escaped Telegram HTML; bodies split under the limit; keyboards with valid callbacks."""

from __future__ import annotations

import datetime
import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import InlineKeyboardMarkup

from bot.domain.content import ContentBase, Section, Source, Topic
from bot.knowledge.loader import default_content_dir, load_content
from bot.services.qa import QAResult
from bot.views.callbacks import decode
from bot.views.qa import (
    DID_YOU_MEAN_PREFIX,
    NO_ANSWER,
    TELL_ME_MORE,
    answer_keyboard,
    no_answer_keyboard,
    render_answer,
    render_ask_usage,
    render_no_answer,
    render_topic_body,
    render_topics_intro,
    topics_keyboard,
)

TELEGRAM_LIMIT = 4096
ALLOWED_TAGS = {"b", "i", "a", "code"}


class TelegramHTMLChecker(HTMLParser):
    """Collect problems that Telegram's HTML parser would reject."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        if tag == "a" and [name for name, _ in attrs] != ["href"]:
            self.problems.append("<a> needs exactly one href")
        if tag != "a" and attrs:
            self.problems.append(f"<{tag}> has attributes")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(f"unbalanced </{tag}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.problems.append(f"self-closing <{tag}/>")

    def handle_data(self, data: str) -> None:
        if "<" in data or ">" in data:
            self.problems.append(f"raw angle bracket in {data!r}")
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in {"lt", "gt", "amp", "quot"}:
            self.problems.append(f"entity &{name};")

    def handle_charref(self, name: str) -> None:
        self.text.append("?")

    def unknown_decl(self, data: str) -> None:
        self.problems.append(f"declaration {data!r}")


def assert_telegram_html(text: str) -> None:
    checker = TelegramHTMLChecker()
    checker.feed(text)
    checker.close()
    # A bare "&" that does not start an entity is rejected by Telegram.
    bare_amp = re.search(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)", text)
    assert bare_amp is None, f"bare & in {text!r}"
    assert not checker.problems, checker.problems
    assert not checker.stack, f"unclosed {checker.stack}"


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def make_topic(**changes: object) -> Topic:
    fields: dict[str, object] = {
        "id": "sample_topic",
        "title": "Sample <topic> & co",
        "summary": "Short & <sweet>",
        "questions": ("a", "b", "c", "d", "e"),
        "keywords": ("k",),
        "related": (),
        "sources": (Source("NHS: <DVT> & you", 'https://www.nhs.uk/conditions/?a=1&b="2"'),),
        "reviewed": datetime.date(2026, 11, 27),
        "body": "Body",
    }
    fields.update(changes)
    return Topic(**fields)  # type: ignore[arg-type]


def callbacks(markup: InlineKeyboardMarkup) -> list[str]:
    return [str(button.callback_data) for row in markup.inline_keyboard for button in row]


@pytest.fixture(scope="module")
def content() -> ContentBase:
    return load_content(default_content_dir())


def test_answer_is_escaped_html_with_title_summary_and_linked_source() -> None:
    topic = make_topic()
    text = render_answer(QAResult(topic=topic, score=0.9, reason="match", related=()))
    assert_telegram_html(text)
    assert text.startswith("<b>Sample &lt;topic&gt; &amp; co</b>\n\nShort &amp; &lt;sweet&gt;")
    href = "https://www.nhs.uk/conditions/?a=1&amp;b=&quot;2&quot;"
    assert f'Source: <a href="{href}">NHS: &lt;DVT&gt; &amp; you</a>' in text


def test_seed_source_is_named_but_not_linked() -> None:
    topic = make_topic(sources=(Source("ClotCare seed document", "seed:000_f53e1a9ab90c161b"),))
    text = render_answer(QAResult(topic=topic, score=1.0, reason="match", related=()))
    assert text.endswith("Source: ClotCare seed document")
    assert "<a" not in text


def test_every_real_topic_renders_valid_html(content: ContentBase) -> None:
    for topic in content.all():
        related = tuple(t for t in (content.get(r) for r in topic.related) if t is not None)
        result = QAResult(topic=topic, score=1.0, reason="match", related=related)
        assert_telegram_html(render_answer(result))
        parts = render_topic_body(topic)
        assert parts[0].startswith(f"<b>{topic.title}</b>".replace("&", "&amp;"))
        for part in parts:
            assert_telegram_html(part)
            assert utf16_units(part) <= TELEGRAM_LIMIT
            assert "**" not in part
            assert not re.search(r"^- ", part, re.MULTILINE)
        assert len(callbacks(answer_keyboard(result))) == 1 + min(3, len(related))


def test_body_markdown_becomes_telegram_html() -> None:
    topic = make_topic(
        body="**Bold start** and <script> & stuff\n\n- first **point**\n- second\n\nEnd 3 * 4 ** 2"
    )
    (part,) = render_topic_body(topic)
    assert part == (
        "<b>Sample &lt;topic&gt; &amp; co</b>\n\n"
        "<b>Bold start</b> and &lt;script&gt; &amp; stuff\n\n"
        "• first <b>point</b>\n• second\n\n"
        "End 3 * 4 ** 2"
    )
    assert_telegram_html(part)


def test_long_bodies_split_on_paragraph_boundaries() -> None:
    paragraphs = [f"Paragraph {i}: " + "word " * 150 for i in range(30)]
    parts = render_topic_body(make_topic(body="\n\n".join(paragraphs)))
    assert len(parts) > 1
    assert parts[0].startswith("<b>Sample")
    for part in parts:
        assert utf16_units(part) <= 4000
        assert_telegram_html(part)
        for chunk in part.split("\n\n")[1 if part is parts[0] else 0 :]:
            assert chunk.startswith("Paragraph "), "a paragraph was cut in the middle"
    joined = "\n\n".join(parts)
    assert all(p.strip() in joined for p in paragraphs)


def test_a_single_huge_paragraph_is_still_split_safely() -> None:
    body = "**" + "&<>" * 3000 + "** " + "😀" * 5000 + " " + "x" * 9000
    parts = render_topic_body(make_topic(body=body))
    assert len(parts) > 3
    for part in parts:
        assert utf16_units(part) <= 4000
        assert_telegram_html(part)


# Pieces that stress the converter: Markdown markers, HTML look-alikes, astral characters, long words.
markdown_text = st.lists(
    st.sampled_from(
        ["a", "word ", " ", "*", "**", "-", "- ", "\n", "\n\n", "&", "&amp;", "<b>", "</a>", "😀", "é"]
    )
    | st.text(max_size=40)
    | st.just("x" * 700),
    max_size=400,
).map("".join)


@settings(max_examples=150, deadline=None)
@given(body=markdown_text, title=st.text(max_size=80))
def test_any_body_renders_to_valid_parts_under_the_limit(body: str, title: str) -> None:
    parts = render_topic_body(make_topic(title=title, body=body or "x"))
    assert parts
    assert parts[0].startswith("<b>")
    for part in parts:
        assert utf16_units(part) <= TELEGRAM_LIMIT
        assert_telegram_html(part)


@settings(max_examples=100, deadline=None)
@given(title=st.text(max_size=200), summary=st.text(max_size=300), source=st.text(max_size=100))
def test_any_answer_is_valid_html(title: str, summary: str, source: str) -> None:
    topic = make_topic(title=title, summary=summary, sources=(Source(source, "https://example.org/?q=<&>"),))
    assert_telegram_html(render_answer(QAResult(topic=topic, score=1.0, reason="match", related=())))


def test_answer_keyboard_encodes_more_and_related(content: ContentBase) -> None:
    topic = content.get("massage_clot")
    assert topic is not None
    related = tuple(t for t in (content.get(r) for r in topic.related) if t is not None)
    markup = answer_keyboard(QAResult(topic=topic, score=1.0, reason="massage_override", related=related))
    data = callbacks(markup)
    assert data[0] == "qa:more:massage_clot"
    assert data[1:] == [f"qa:topic:{t.id}" for t in related[:3]]
    assert markup.inline_keyboard[0][0].text == "📖 Tell me more"
    for item in data:
        decoded = decode(item)
        assert decoded is not None
        assert decoded.prefix == "qa"


def test_no_answer_reply_points_to_people_and_topics(content: ContentBase) -> None:
    text = render_no_answer()
    assert_telegram_html(text)
    assert NO_ANSWER in text
    assert "pharmacist or doctor" in text
    assert "don't cover" in text
    assert "/topics" in text
    result = QAResult(topic=None, score=0.0, reason="no_match", related=())
    assert render_answer(result) == text
    assert answer_keyboard(result).inline_keyboard == ()
    data = callbacks(no_answer_keyboard(content))
    assert 3 <= len(data) <= 6
    assert all(d.startswith("qa:topic:") and d.removeprefix("qa:topic:") in content.topics for d in data)


def test_topics_keyboard_pages_through_everything(content: ContentBase) -> None:
    topics = content.all()
    pages = -(-len(topics) // 8)
    seen: list[str] = []
    for page in range(pages):
        markup = topics_keyboard(topics, page)
        rows = markup.inline_keyboard
        topic_rows = [r for r in rows if str(r[0].callback_data).startswith("qa:topic:")]
        assert len(topic_rows) <= 8
        seen += [str(r[0].callback_data).removeprefix("qa:topic:") for r in topic_rows]
        nav = [str(b.callback_data) for r in rows for b in r if str(b.callback_data).startswith("qa:page:")]
        expected_nav = ([f"qa:page:{page - 1}"] if page > 0 else []) + (
            [f"qa:page:{page + 1}"] if page < pages - 1 else []
        )
        assert nav == expected_nav
    assert seen == [t.id for t in topics]


def test_topics_keyboard_clamps_stale_pages(content: ContentBase) -> None:
    topics = content.all()
    assert (
        topics_keyboard(topics, 999).inline_keyboard
        == topics_keyboard(topics, -(-len(topics) // 8) - 1).inline_keyboard
    )
    assert topics_keyboard(topics, -3).inline_keyboard == topics_keyboard(topics, 0).inline_keyboard
    assert topics_keyboard([], 0).inline_keyboard == ()


def test_usage_and_intro_texts_are_valid_html() -> None:
    usage = render_ask_usage()
    assert_telegram_html(usage)
    assert "<code>/ask " in usage
    intro = render_topics_intro()
    assert_telegram_html(intro)
    assert intro.strip()


def test_an_answer_with_a_section_shows_summary_then_that_section() -> None:
    section = Section(heading="At <night>", text="- Take them off in bed & rest.", questions=("q",))
    topic = make_topic(body="**At <night>**\n\n- Take them off in bed & rest.", sections=(section,))
    text = render_answer(QAResult(topic=topic, score=1.0, reason="match", related=(), section=section))
    assert_telegram_html(text)
    summary_at = text.index("Short &amp; &lt;sweet&gt;")
    heading_at = text.index("<b>At &lt;night&gt;</b>")
    assert summary_at < heading_at < text.index("• Take them off in bed &amp; rest.") < text.index("Source:")


def test_a_section_too_long_for_one_message_falls_back_to_the_summary() -> None:
    section = Section(heading="Huge", text="word " * 2000)
    topic = make_topic(sections=(section,))
    text = render_answer(QAResult(topic=topic, score=1.0, reason="match", related=(), section=section))
    assert "Huge" not in text
    assert "Short &amp;" in text
    assert utf16_units(text) <= TELEGRAM_LIMIT


def test_every_real_section_renders_valid_html_under_the_limit(content: ContentBase) -> None:
    for topic in content.all():
        for section in topic.sections:
            text = render_answer(
                QAResult(topic=topic, score=1.0, reason="match", related=(), section=section)
            )
            assert_telegram_html(text)
            assert utf16_units(text) <= TELEGRAM_LIMIT


def test_a_close_call_offers_did_you_mean_before_related_topics(content: ContentBase) -> None:
    topic, other, related = (
        content.topics[t] for t in ("thrombolysis", "what_happens_to_the_clot", "ivc_filter")
    )
    markup = answer_keyboard(
        QAResult(topic=topic, score=1.0, reason="match", related=(related,), suggestions=(other,))
    )
    labels = [button.text for row in markup.inline_keyboard for button in row]
    assert labels == [TELL_ME_MORE, f"{DID_YOU_MEAN_PREFIX}{other.title}", related.title]
    assert callbacks(markup)[1:] == [f"qa:topic:{other.id}", f"qa:topic:{related.id}"]


def test_a_refusal_with_suggestions_says_so_plainly_and_offers_them(content: ContentBase) -> None:
    near = (content.topics["diet_and_warfarin"], content.topics["anticoagulants"])
    text = render_no_answer(near)
    assert_telegram_html(text)
    assert "leaflets don't cover" in text
    assert "pharmacist or doctor" in text
    assert "Did you mean" in text
    assert "information" not in text
    assert callbacks(no_answer_keyboard(content, near)) == [
        "qa:topic:diet_and_warfarin",
        "qa:topic:anticoagulants",
    ]
    refused = QAResult(topic=None, score=0.3, reason="no_match", related=(), suggestions=near)
    assert render_answer(refused) == text
    assert callbacks(answer_keyboard(refused)) == callbacks(no_answer_keyboard(content, near))
