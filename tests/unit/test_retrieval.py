"""Retriever: safety overrides, lay terms, typos, refusals and the shape of its answers."""

from __future__ import annotations

import time
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from bot.domain.content import ContentBase
from bot.knowledge.loader import default_content_dir, load_content
from bot.knowledge.retrieval import Answer, Retriever
from bot.services.qa import QAService


@pytest.fixture(scope="module")
def content() -> ContentBase:
    return load_content(default_content_dir())


@pytest.fixture(scope="module")
def retriever(content: ContentBase) -> Retriever:
    return Retriever(content)


@pytest.mark.parametrize(
    "question",
    [
        "can I massage my DVT",
        "is it ok to rub a blood clot",
        "foam rolling a leg with a clot",
        "should I stretch my calf if I think it's a clot",
        "massage gun on my thrombosis",
        "can I press on the clot",
        "my leg is swollen, can I give it a rub?",
        "can i masage a blod clot",
        "MASSAGE. CLOT. OK?",
    ],
)
def test_massage_questions_always_get_the_massage_topic(retriever: Retriever, question: str) -> None:
    answer = retriever.answer(question)
    assert answer == Answer(topic_id="massage_clot", score=1.0, reason="massage_override")


@pytest.mark.parametrize(
    "question",
    [
        "do compression stockings squeeze the leg too much",
        "should I rub the skin after my clexane injection",
        "does high blood pressure cause clots",
    ],
)
def test_pressure_words_without_a_clot_to_rub_are_not_massage(retriever: Retriever, question: str) -> None:
    assert retriever.answer(question).reason != "massage_override"


@pytest.mark.parametrize(
    "question",
    [
        "how much apixaban should I take",
        "how many mg of rivaroxaban",
        "what dose of warfarin is right",
        "can I take a double dose",
        "should I increase my dose",
        "what's the dosage for eliquis",
        "I took my xarelto twice by mistake",
    ],
)
def test_dose_questions_are_never_answered_with_an_amount(retriever: Retriever, question: str) -> None:
    answer = retriever.answer(question)
    assert (answer.topic_id, answer.reason) == ("dose_questions", "dose_override")


@pytest.mark.parametrize(
    "question",
    [
        "I forgot my apixaban, should I take a double dose?",
        "missed a dose of warfarin",
        "skipped my xarelto yesterday, can I take two today",
        "forgot my injection",
    ],
)
def test_missed_doses_go_to_the_missed_dose_topic_even_when_doubling_is_asked(
    retriever: Retriever, question: str
) -> None:
    answer = retriever.answer(question)
    assert (answer.topic_id, answer.reason) == ("missed_dose", "dose_override")


@pytest.mark.parametrize(
    ("question", "topic_id"),
    [
        ("how much alcohol can I drink on warfarin", "alcohol_and_blood_thinners"),
        ("how long do I need to take apixaban", "treatment_length"),
    ],
)
def test_amounts_of_other_things_are_not_dose_questions(
    retriever: Retriever, question: str, topic_id: str
) -> None:
    answer = retriever.answer(question)
    assert (answer.topic_id, answer.reason) == (topic_id, "match")


@pytest.mark.parametrize(
    ("question", "topic_id"),
    [
        ("can I drink wine on blood thinners", "alcohol_and_blood_thinners"),
        ("clot in my lung", "pulmonary_embolism"),
        ("what is a PE", "pulmonary_embolism"),
        ("is paracetamol ok with xarelto", "painkillers_and_blood_thinners"),
        ("nurofen and eliquis", "painkillers_and_blood_thinners"),
        ("cranberry juice and coumadin", "diet_and_warfarin"),
        ("bruises from my jabs", "blood_thinner_injections"),
        ("do flight socks work", "compression_stockings"),
    ],
)
def test_lay_terms_and_brand_names(retriever: Retriever, question: str, topic_id: str) -> None:
    assert retriever.answer(question).topic_id == topic_id


@pytest.mark.parametrize(
    ("question", "topic_id"),
    [
        ("simptoms of a dvt", "dvt_symptoms"),
        ("what is thromboysis", "thrombolysis"),
        ("can i drink alchohol on warfrin", "alcohol_and_blood_thinners"),
        ("compresion stokings", "compression_stockings"),
        ("what is an anticoagulent", "anticoagulants"),
    ],
)
def test_typos_are_repaired(retriever: Retriever, question: str, topic_id: str) -> None:
    assert retriever.answer(question).topic_id == topic_id


@pytest.mark.parametrize(
    "question",
    [
        "what's the weather",
        "how do I bake bread",
        "who won the football",
        "is my cat sick",
        "how tall is mount everest",
        "what are the symptoms of flu",
        "can i take ibuprofen for a hangover",
        "what is a normal blood pressure",
        "how do i fix my car",
        "how do I lower my car insurance",
    ],
)
def test_off_topic_questions_are_refused_not_guessed(retriever: Retriever, question: str) -> None:
    answer = retriever.answer(question)
    assert answer.topic_id is None
    assert answer.reason == "no_match"
    # A refusal may offer the nearest topics as "Did you mean ...?", never the answer itself.
    assert len(answer.alternatives) <= 3


@pytest.mark.parametrize("question", ["", "   ", "?!", "the and of", "👍"])
def test_empty_questions(retriever: Retriever, question: str) -> None:
    assert retriever.answer(question) == Answer(topic_id=None, score=0.0, reason="empty")


def test_a_match_carries_a_confidence_and_alternatives(retriever: Retriever, content: ContentBase) -> None:
    answer = retriever.answer("what are the signs of a dvt")
    assert answer.topic_id == "dvt_symptoms"
    assert answer.reason == "match"
    assert 0.45 <= answer.score <= 1.0
    assert 1 <= len(answer.alternatives) <= 3
    assert answer.topic_id not in answer.alternatives
    assert all(a in content.topics for a in answer.alternatives)


def test_threshold_controls_refusal(content: ContentBase) -> None:
    question = "leg feels tight and hot and looks red"
    strict = Retriever(content, threshold=0.99).answer(question)
    lenient = Retriever(content, threshold=0.0).answer(question)
    assert strict.topic_id is None
    assert lenient.topic_id == "dvt_symptoms"


def test_overrides_only_point_at_topics_that_exist(tmp_path: Path) -> None:
    (tmp_path / "what_is_dvt.md").write_text(
        "---\nid: what_is_dvt\ntitle: What is a DVT?\nsummary: A clot in a deep vein.\n"
        "questions: [what is a dvt, dvt meaning, define dvt, deep vein thrombosis, is dvt serious]\n"
        "keywords: [dvt]\nrelated: []\nsources: [{title: NHS, url: 'https://www.nhs.uk/'}]\n"
        "reviewed: 2026-11-27\n---\nA clot in a deep vein.\n",
        encoding="utf-8",
    )
    lonely = Retriever(load_content(tmp_path))
    assert lonely.answer("can I massage my dvt").reason != "massage_override"
    assert lonely.answer("how much apixaban should I take").reason != "dose_override"
    assert lonely.answer("what is a dvt").topic_id == "what_is_dvt"


def test_answers_are_frozen(retriever: Retriever) -> None:
    answer = retriever.answer("what is a dvt")
    with pytest.raises(FrozenInstanceError):
        answer.topic_id = "x"  # type: ignore[misc]


def test_long_questions_are_cheap(retriever: Retriever) -> None:
    question = "clot " * 5000
    started = time.perf_counter()
    answer = retriever.answer(question)
    assert time.perf_counter() - started < 0.5
    assert answer.reason in ("match", "no_match")


def test_service_resolves_topics_and_related(content: ContentBase, retriever: Retriever) -> None:
    service = QAService(content, retriever)
    result = service.ask("can i massage a clot")
    assert result.topic is not None
    assert result.topic.id == "massage_clot"
    assert result.reason == "massage_override"
    assert [t.id for t in result.related] == list(result.topic.related)
    refused = service.ask("who won the football")
    assert (refused.topic, refused.reason, refused.related) == (None, "no_match", ())
    assert service.content is content
    explained = service.explain("ivc_filter")
    assert explained is not None
    ivc = content.get("ivc_filter")
    assert ivc is not None
    assert explained.topic is ivc
    assert (explained.reason, len(explained.related)) == ("match", len(ivc.related))
    assert service.explain("nope") is None
    assert service.topic("ivc_filter") is content.get("ivc_filter")
    assert service.topic("nope") is None
    assert service.topics() == content.all()
