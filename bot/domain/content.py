"""The content model: topics the bot can answer from, with their sources and review date."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Source:
    """A public reference a topic's facts come from."""

    title: str
    url: str


@dataclass(frozen=True, slots=True)
class Section:
    """One part of a topic's body: a bold heading line, the text under it, and how people ask about it."""

    heading: str
    text: str
    questions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Topic:
    """One answerable topic: a short summary, a fuller body, and how people ask about it."""

    id: str
    title: str
    summary: str
    questions: tuple[str, ...]
    keywords: tuple[str, ...]
    related: tuple[str, ...]
    sources: tuple[Source, ...]
    reviewed: datetime.date
    body: str
    sections: tuple[Section, ...] = ()

    def section(self, heading: str) -> Section | None:
        """Return the section with this heading, or None."""
        return next((s for s in self.sections if s.heading == heading), None)


@dataclass(frozen=True, slots=True)
class ContentBase:
    """All topics, looked up by id."""

    topics: Mapping[str, Topic]

    def get(self, topic_id: str) -> Topic | None:
        """Return the topic with this id, or None."""
        return self.topics.get(topic_id)

    def all(self) -> list[Topic]:
        """Return every topic, sorted by title."""
        return sorted(self.topics.values(), key=lambda t: (t.title.casefold(), t.id))
