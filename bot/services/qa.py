"""Question answering use case: find the topic for a question and gather what the reply needs."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.content import ContentBase, Topic
from bot.knowledge.retrieval import Reason, Retriever


@dataclass(frozen=True, slots=True)
class QAResult:
    """The outcome of one question: the topic (None means "no answer"), why, and related topics."""

    topic: Topic | None
    score: float
    reason: Reason
    related: tuple[Topic, ...]


class QAService:
    """Answer free-text questions from the content base only (SAFETY rule 6: never guess)."""

    def __init__(self, content: ContentBase, retriever: Retriever) -> None:
        self._content = content
        self._retriever = retriever

    def ask(self, question: str) -> QAResult:
        """Return the topic answering the question, or a result with no topic when there is none."""
        # Red-flag symptom triage runs before this, in the handler: an emergency never reaches Q&A.
        answer = self._retriever.answer(question)
        topic = self._content.get(answer.topic_id) if answer.topic_id is not None else None
        if topic is None:
            reason = answer.reason if answer.reason in ("no_match", "empty") else "no_match"
            return QAResult(topic=None, score=answer.score, reason=reason, related=())
        return QAResult(topic=topic, score=answer.score, reason=answer.reason, related=self._related(topic))

    @property
    def content(self) -> ContentBase:
        """Return the content base answers come from."""
        return self._content

    def explain(self, topic_id: str) -> QAResult | None:
        """Return the answer for one topic chosen by id (a topic button), or None if it does not exist."""
        topic = self._content.get(topic_id)
        if topic is None:
            return None
        return QAResult(topic=topic, score=1.0, reason="match", related=self._related(topic))

    def topic(self, topic_id: str) -> Topic | None:
        """Return one topic by id (for "tell me more" and browsing), or None if it does not exist."""
        return self._content.get(topic_id)

    def topics(self) -> list[Topic]:
        """Return every topic, sorted by title."""
        return self._content.all()

    def _related(self, topic: Topic) -> tuple[Topic, ...]:
        found = (self._content.get(topic_id) for topic_id in topic.related)
        return tuple(t for t in found if t is not None)
