"""Load and validate the content base (content/topics/*.md: YAML front matter + Markdown body)."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError, field_validator

from bot.domain.content import ContentBase, Section, Source, Topic
from bot.shipped import shipped_path

MAX_SUMMARY_CHARS = 300
MIN_QUESTIONS = 5
# Topic ids travel in callback data ("qa:more:<id>"), which Telegram caps at 64 bytes.
MAX_ID_CHARS = 48
SEED_PREFIX = "seed:"

_FRONT_MATTER = re.compile(
    r"\A---[ \t]*\r?\n(?P<meta>.*?)\r?\n---[ \t]*(?:\r?\n|\Z)(?P<body>.*)\Z", re.DOTALL
)
_ID = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
# Safety lint (SAFETY rule 5): content never states an amount of a medicine.
_DOSE = re.compile(
    r"\d+(?:[.,]\d+)?\s?(?:mg|mcg|µg|micrograms?|milligrams?|iu|international units?)\b", re.IGNORECASE
)
# Emergency numbers are per-country data the bot adds (SAFETY rule 8), never hard-coded in prose.
_EMERGENCY_NUMBER = re.compile(r"(?<!\d)(?:999|911|112|111|000)(?!\d)")
# The renderer only understands paragraphs, "- " bullets and **bold**; anything else would leak raw.
_UNSUPPORTED_MARKDOWN = re.compile(r"^\s*(?:#|\*\s|\d+\.\s|>)|\[[^\]]*\]\([^)]*\)|`|__", re.MULTILINE)

# A section starts at a line that is nothing but a bold heading, "**Wearing them at night**".
_SECTION_HEADING = re.compile(r"^[ \t]*\*\*(?=\S)(?P<heading>[^*\n]+?)(?<=\S)\*\*[ \t]*$", re.MULTILINE)

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class ContentError(ValueError):
    """Raised when a content file is missing, malformed or breaks a content rule."""

    def __init__(self, path: Path | str, field: str | None, problem: str) -> None:
        self.path = str(path)
        self.field = field
        self.problem = problem
        where = f"{self.path}: field '{field}'" if field else self.path
        super().__init__(f"{where}: {problem}")


class SourceModel(BaseModel):
    """Front matter of one source."""

    model_config = ConfigDict(extra="forbid", strict=True)

    title: NonEmpty
    url: NonEmpty

    @field_validator("url")
    @classmethod
    def _url_scheme(cls, url: str) -> str:
        if not (url.startswith(("https://", "http://")) or (url.startswith(SEED_PREFIX) and len(url) > 5)):
            raise ValueError("must start with http://, https:// or seed:")
        return url


class SectionModel(BaseModel):
    """Front matter of one section: its heading (exactly as in the body) and example questions."""

    model_config = ConfigDict(extra="forbid", strict=True)

    heading: NonEmpty
    questions: list[NonEmpty]


class TopicFrontMatter(BaseModel):
    """Front matter of one topic file."""

    model_config = ConfigDict(extra="forbid", strict=True)

    id: NonEmpty
    title: NonEmpty
    summary: NonEmpty
    questions: list[NonEmpty]
    keywords: list[NonEmpty]
    related: list[NonEmpty]
    sources: list[SourceModel]
    reviewed: datetime.date
    sections: list[SectionModel] = []

    @field_validator("id")
    @classmethod
    def _snake_case(cls, value: str) -> str:
        if not _ID.fullmatch(value) or len(value) > MAX_ID_CHARS:
            raise ValueError(f"must be snake_case, at most {MAX_ID_CHARS} characters")
        return value

    @field_validator("summary")
    @classmethod
    def _short_summary(cls, value: str) -> str:
        if len(value) > MAX_SUMMARY_CHARS:
            raise ValueError(f"is {len(value)} characters; the limit is {MAX_SUMMARY_CHARS}")
        return value

    @field_validator("questions")
    @classmethod
    def _enough_questions(cls, value: list[str]) -> list[str]:
        if len(value) < MIN_QUESTIONS:
            raise ValueError(f"needs at least {MIN_QUESTIONS} questions")
        return value

    @field_validator("keywords")
    @classmethod
    def _some_keywords(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("needs at least 1 keyword")
        return value

    @field_validator("sources")
    @classmethod
    def _some_sources(cls, value: list[SourceModel]) -> list[SourceModel]:
        if not value:
            raise ValueError("needs at least 1 source")
        return value

    @field_validator("reviewed", mode="before")
    @classmethod
    def _plain_date(cls, value: Any) -> Any:
        # YAML turns 2026-11-27 into a date; a quoted string or a timestamp is a mistake in the file.
        if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
            raise ValueError("must be an unquoted date like 2026-11-27")
        return value


def default_content_dir() -> Path:
    """Return the shipped content/topics directory (the checkout's, or the installed wheel's)."""
    return shipped_path("content", "topics")


def load_content(directory: Path) -> ContentBase:
    """Load every topic file in a directory; raise ContentError naming the file and field on any problem."""
    files = sorted(directory.glob("*.md"))
    if not files:
        raise ContentError(directory, None, "no topic files (*.md) found")
    topics: dict[str, Topic] = {}
    origin: dict[str, Path] = {}
    for path in files:
        topic = _load_topic(path)
        if topic.id in topics:
            raise ContentError(path, "id", f"duplicate id {topic.id!r} (also in {origin[topic.id].name})")
        topics[topic.id] = topic
        origin[topic.id] = path
    for topic_id, topic in topics.items():
        for related in topic.related:
            if related == topic_id:
                raise ContentError(origin[topic_id], "related", "a topic cannot be related to itself")
            if related not in topics:
                raise ContentError(origin[topic_id], "related", f"unknown topic id {related!r}")
    return ContentBase(topics=topics)


def _load_topic(path: Path) -> Topic:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(path, None, f"cannot read file: {exc}") from exc
    match = _FRONT_MATTER.match(text.lstrip("\ufeff"))
    if match is None:
        raise ContentError(path, None, "must start with YAML front matter between '---' lines")
    try:
        raw = yaml.safe_load(match["meta"])
    except yaml.YAMLError as exc:
        raise ContentError(path, "front matter", f"invalid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ContentError(path, "front matter", "must be a YAML mapping of fields")
    try:
        meta = TopicFrontMatter.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "front matter"
        raise ContentError(path, field, _friendly(error["type"], error["msg"])) from exc
    if meta.id != path.stem:
        raise ContentError(path, "id", f"{meta.id!r} must equal the file name {path.stem!r}")
    body = match["body"].strip()
    if not body:
        raise ContentError(path, "body", "must not be empty")
    if found := _UNSUPPORTED_MARKDOWN.search(body):
        raise ContentError(
            path, "body", f"unsupported Markdown {found.group().strip()!r}; use paragraphs, '- ' and **bold**"
        )
    sections = _sections(path, body, meta.sections)
    topic = Topic(
        id=meta.id,
        title=meta.title,
        summary=meta.summary,
        questions=tuple(meta.questions),
        keywords=tuple(meta.keywords),
        related=tuple(meta.related),
        sources=tuple(Source(title=s.title, url=s.url) for s in meta.sources),
        reviewed=meta.reviewed,
        body=body,
        sections=sections,
    )
    _lint_safety(path, topic)
    return topic


def split_sections(body: str) -> list[tuple[str, str]]:
    """Split a topic body into (heading, text) pairs at lines that are only a bold heading."""
    found = list(_SECTION_HEADING.finditer(body))
    out: list[tuple[str, str]] = []
    for i, match in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(body)
        out.append((match["heading"].strip(), body[match.end() : end].strip()))
    return out


def _sections(path: Path, body: str, declared: list[SectionModel]) -> tuple[Section, ...]:
    parts = split_sections(body)
    headings = [heading for heading, _ in parts]
    for heading in headings:
        if headings.count(heading) > 1:
            raise ContentError(path, "body", f"the section heading {heading!r} appears twice")
    questions: dict[str, tuple[str, ...]] = {}
    for declared_section in declared:
        if declared_section.heading not in headings:
            raise ContentError(
                path,
                "sections",
                f"heading {declared_section.heading!r} is not a bold heading line in the body"
                f" (known: {', '.join(repr(h) for h in headings) or 'none'})",
            )
        if declared_section.heading in questions:
            raise ContentError(path, "sections", f"heading {declared_section.heading!r} is listed twice")
        questions[declared_section.heading] = tuple(declared_section.questions)
    return tuple(
        Section(heading=heading, text=text, questions=questions.get(heading, ())) for heading, text in parts
    )


def _lint_safety(path: Path, topic: Topic) -> None:
    texts: list[tuple[str, str]] = [("title", topic.title), ("summary", topic.summary), ("body", topic.body)]
    texts += [("questions", q) for q in topic.questions]
    texts += [("keywords", k) for k in topic.keywords]
    texts += [("sections", q) for section in topic.sections for q in section.questions]
    texts += [("sources", s.title) for s in topic.sources]
    for field, text in texts:
        if found := _DOSE.search(text):
            raise ContentError(
                path, field, f"states a dose amount {found.group()!r}; the bot never gives doses"
            )
        if field != "sources" and (found := _EMERGENCY_NUMBER.search(text)):
            raise ContentError(
                path,
                field,
                f"contains the phone number {found.group()!r}; the bot adds the user's own number",
            )


def _friendly(error_type: str, message: str) -> str:
    if error_type == "missing":
        return "is required"
    if error_type == "extra_forbidden":
        return "is not a known field"
    return message.removeprefix("Value error, ")
