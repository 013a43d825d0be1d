"""Question answering use case: find the topic for a question and gather what the reply needs."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.content import ContentBase, Section, Topic
from bot.knowledge.retrieval import Answer, Reason, Retriever

# How many "Did you mean ...?" buttons a refusal or a close call offers.
MAX_SUGGESTIONS = 3


@dataclass(frozen=True, slots=True)
class QAResult:
    """The outcome of one question: the topic (None means "no answer"), why, and related topics."""

    topic: Topic | None
    score: float
    reason: Reason
    related: tuple[Topic, ...]
    # The part of the topic that answers the question (None: the summary alone answers it).
    section: Section | None = None
    # "Did you mean ...?": the next-best topics on a refusal or a close call, most relevant first.
    suggestions: tuple[Topic, ...] = ()


class QAService:
    """Answer free-text questions from the content base only (SAFETY rule 6: never guess)."""

    def __init__(self, content: ContentBase, retriever: Retriever) -> None:
        self._content = content
        self._retriever = retriever

    def ask(self, question: str, *, context: str | None = None) -> QAResult:
        """Return the topic answering the question, or a result with no topic when there is none.

        ``context`` is the id of the topic this person was just shown, so that a short follow-up
        ("and at night?") is understood against it. The caller keeps it in memory only.
        """
        # Red-flag symptom triage runs before this, in the handler: an emergency never reaches Q&A.
        answer = self._retriever.answer(question, context=context)
        topic = self._content.get(answer.topic_id) if answer.topic_id is not None else None
        if topic is None:
            reason = answer.reason if answer.reason in ("no_match", "empty") else "no_match"
            return QAResult(
                topic=None,
                score=answer.score,
                reason=reason,
                related=(),
                suggestions=self._topics(answer.alternatives),
            )
        section = topic.section(answer.section) if answer.section is not None else None
        suggestions = self._topics(answer.alternatives[:1]) if answer.close_call else ()
        return QAResult(
            topic=topic,
            score=answer.score,
            reason=answer.reason,
            related=self._related(topic, answer, exclude={s.id for s in suggestions}),
            section=section,
            suggestions=suggestions,
        )

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

    def _topics(self, topic_ids: tuple[str, ...]) -> tuple[Topic, ...]:
        found = (self._content.get(topic_id) for topic_id in topic_ids[:MAX_SUGGESTIONS])
        return tuple(t for t in found if t is not None)

    def _related(
        self, topic: Topic, answer: Answer | None = None, *, exclude: set[str] | None = None
    ) -> tuple[Topic, ...]:
        """Return the related topics: those the question touched most first, then in the author's order."""
        ids = [topic_id for topic_id in topic.related if topic_id not in (exclude or set())]
        if answer is not None and answer.ranking:
            rank = {topic_id: i for i, topic_id in enumerate(answer.ranking)}
            ids.sort(key=lambda topic_id: rank.get(topic_id, len(rank)))
        found = (self._content.get(topic_id) for topic_id in ids)
        return tuple(t for t in found if t is not None)
