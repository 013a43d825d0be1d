"""The content base loads, every real topic is valid, and broken files fail naming file and field."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

from bot.domain.content import ContentBase, Source, Topic
from bot.knowledge.loader import ContentError, default_content_dir, load_content

SEED_URL = "seed:000_f53e1a9ab90c161b"
REQUIRED_TOPICS = {
    "massage_clot",
    "what_is_a_clot",
    "what_is_dvt",
    "superficial_vs_deep",
    "why_clots_form",
    "pulmonary_embolism",
    "dvt_symptoms",
    "pe_symptoms",
    "suspected_clot_what_to_do",
    "anticoagulants",
    "thrombolysis",
    "compression_stockings",
    "ivc_filter",
    "treatment_is_individual",
    "missed_dose",
    "dose_questions",
    "bleeding_on_blood_thinners",
    "risk_factors",
    "travel_and_clots",
    "pregnancy_and_clots",
    "exercise_after_clot",
    "diet_and_warfarin",
    "alcohol_and_blood_thinners",
    "painkillers_and_blood_thinners",
    "diagnosis_tests",
    "recovery_and_post_thrombotic_syndrome",
    "recurrence_prevention",
    "surgery_dental_on_blood_thinners",
}
# Topics added for the questions people actually ask (issue 10).
NEW_TOPICS = {
    "treatment_overview",
    "what_happens_to_the_clot",
    "heat_and_raising_leg",
    "sickness_diarrhoea_after_dose",
    "vaccines_and_injections",
    "supplements_and_herbal_remedies",
    "side_effects_other_than_bleeding",
    "timing_and_food",
    "work_driving_and_sex",
    "clots_and_cancer",
    "provoked_vs_unprovoked",
    "travel_insurance",
    "heavy_periods_on_blood_thinners",
}
REVIEW_DATES = {datetime.date(2026, 11, 27), datetime.date(2026, 11, 30)}

VALID = """\
---
id: {id}
title: "A test topic"
summary: "A short answer."
questions:
  - "one?"
  - "two?"
  - "three?"
  - "four?"
  - "five?"
keywords:
  - test
related: []
sources:
  - title: "NHS: Deep vein thrombosis (DVT)"
    url: "https://www.nhs.uk/conditions/deep-vein-thrombosis-dvt/"
reviewed: 2026-11-27
---
Some **body** text.

- a bullet
"""


@pytest.fixture(scope="module")
def content() -> ContentBase:
    return load_content(default_content_dir())


def write(directory: Path, topic_id: str, text: str | None = None) -> Path:
    path = directory / f"{topic_id}.md"
    path.write_text(VALID.format(id=topic_id) if text is None else text, encoding="utf-8")
    return path


def broken(topic_id: str, old: str, new: str) -> str:
    text = VALID.format(id=topic_id)
    assert old in text
    return text.replace(old, new)


# --- the real content ---------------------------------------------------------------------------


def test_every_real_file_loads(content: ContentBase) -> None:
    assert set(content.topics) >= REQUIRED_TOPICS | NEW_TOPICS
    assert 40 <= len(content.topics) <= 60


def test_topics_have_complete_front_matter(content: ContentBase) -> None:
    for topic in content.all():
        assert len(topic.summary) <= 300
        assert len(topic.questions) >= 5
        assert topic.keywords
        assert topic.sources
        assert topic.reviewed in REVIEW_DATES, topic.id
        assert topic.body
        assert all(r in content.topics for r in topic.related)


def test_seed_facts_are_cited_where_they_are_used(content: ContentBase) -> None:
    seed_topics = {
        "massage_clot", "what_is_a_clot", "what_is_dvt", "superficial_vs_deep", "why_clots_form",
        "pulmonary_embolism", "dvt_symptoms", "pe_symptoms", "suspected_clot_what_to_do", "anticoagulants",
        "thrombolysis", "compression_stockings", "ivc_filter", "treatment_is_individual",
    }  # fmt: skip
    for topic_id in seed_topics:
        topic = content.get(topic_id)
        assert topic is not None
        assert SEED_URL in {s.url for s in topic.sources}, topic_id


def test_sources_are_reputable(content: ContentBase) -> None:
    allowed = (
        "https://www.nhs.uk/",
        "https://www.cdc.gov/",
        "https://wwwnc.cdc.gov/",
        "https://www.nice.org.uk/",
        "https://www.nhlbi.nih.gov/",
        "https://www.rcog.org.uk/",
        "https://www.sdcep.org.uk/",
        SEED_URL,
    )
    for topic in content.all():
        for source in topic.sources:
            assert source.url.startswith(allowed), (topic.id, source.url)


def test_all_is_sorted_by_title_and_get_finds_by_id(content: ContentBase) -> None:
    titles = [t.title.casefold() for t in content.all()]
    assert titles == sorted(titles)
    massage = content.get("massage_clot")
    assert massage is not None
    assert massage.title == "Can I massage a blood clot away?"
    assert content.get("no_such_topic") is None


def test_massage_topic_says_no_and_why(content: ContentBase) -> None:
    topic = content.get("massage_clot")
    assert topic is not None
    assert topic.summary.startswith("No.")
    text = (topic.summary + topic.body).casefold()
    assert "lungs" in text
    assert "emergency number" in text


def test_missed_dose_follows_safety_rule_5(content: ContentBase) -> None:
    topic = content.get("missed_dose")
    assert topic is not None
    summary = topic.summary.casefold()
    assert "don't take two doses" in summary
    assert "leaflet" in summary
    assert "pharmacist" in summary


def test_no_topic_tells_people_to_stop_or_double_their_medicine(content: ContentBase) -> None:
    forbidden = re.compile(
        r"\b(?:you should|you can|you may) stop (?:taking )?(?:your|the)\b|\btake a double dose\b", re.I
    )
    for topic in content.all():
        assert not forbidden.search(topic.summary + "\n" + topic.body), topic.id


def test_bleeding_topic_lists_every_emergency_sign(content: ContentBase) -> None:
    topic = content.get("bleeding_on_blood_thinners")
    assert topic is not None
    body = topic.body.casefold()
    for sign in ("vomit", "cough up blood", "black", "red blood in your poo", "pink, red or brown pee",
                 "10 minutes", "severe headache", "hit your head"):  # fmt: skip
        assert sign in body, sign
    assert "call the emergency number now" in body


def test_every_topic_is_cited_with_a_review_date(content: ContentBase) -> None:
    for topic in content.all():
        assert topic.sources, topic.id
        for source in topic.sources:
            assert source.title.strip(), topic.id
            assert source.url.startswith(("https://", "http://", "seed:")), (topic.id, source.url)
        assert topic.reviewed in REVIEW_DATES, topic.id


def test_new_topics_are_complete_with_sections(content: ContentBase) -> None:
    for topic_id in NEW_TOPICS:
        topic = content.get(topic_id)
        assert topic is not None, topic_id
        assert 5 <= len(topic.questions) <= 10, topic_id
        assert topic.reviewed == datetime.date(2026, 11, 30), topic_id
        assert topic.related, topic_id
        asked = [s for s in topic.sections if s.questions]
        assert 2 <= len(asked) <= 4, topic_id
        for section in asked:
            assert f"**{section.heading}**" in topic.body, (topic_id, section.heading)


_DOUBLING = re.compile(
    r"two doses|double (?:up|dose)|take extra(?! care)|another dose|catch up", re.IGNORECASE
)


def test_no_topic_forbids_a_second_dose_without_deferring_to_the_leaflet(content: ContentBase) -> None:
    # SAFETY rule 5: a few regimens do allow a make-up dose, so every "don't take two doses" defers to
    # the leaflet or a pharmacist, in the same line (bullet or paragraph), or in the same summary.
    for topic in content.all():
        lines = [topic.summary, *topic.body.splitlines()]
        for line in lines:
            if _DOUBLING.search(line):
                folded = line.casefold()
                assert "leaflet" in folded or "pharmacist" in folded, (topic.id, line)
        text = (topic.summary + "\n" + topic.body).casefold()
        assert "never take two doses" not in text, topic.id


_WORD = re.compile(r"[a-z0-9]+")
_SUFFIXES = ("ing", "ed", "es", "s", "ly", "e")


def _stem(word: str) -> str:
    for _ in range(2):
        for suffix in _SUFFIXES:
            if len(word) - len(suffix) >= 3 and word.endswith(suffix):
                word = word[: -len(suffix)]
                break
    return word


def test_stem_reduces_word_forms_to_one_stem() -> None:
    assert _stem("fillings") == _stem("filling") == _stem("fill")
    assert _stem("vaccines") == _stem("vaccine")
    assert _stem("swelling") == _stem("swell")
    assert _stem("pe") == "pe"


def test_every_keyword_is_covered_by_the_topic(content: ContentBase) -> None:
    # A keyword promises an answer: each of its words must appear, as a word or the same stem, in the
    # topic's title, summary, body, example questions or section questions.
    missing: list[tuple[str, str]] = []
    for topic in content.all():
        section_questions = [q for section in topic.sections for q in section.questions]
        text = " ".join([topic.title, topic.summary, topic.body, *topic.questions, *section_questions])
        stems = {_stem(w) for w in _WORD.findall(text.casefold())}
        for keyword in topic.keywords:
            if any(_stem(w) not in stems for w in _WORD.findall(keyword.casefold())):
                missing.append((topic.id, keyword))
    assert not missing, missing


def test_stockings_topic_says_nice_does_not_recommend_them_to_prevent_clots(content: ContentBase) -> None:
    topic = content.get("compression_stockings")
    assert topic is not None
    body = " ".join(topic.body.split())
    assert (
        "NICE, which advises the NHS, does not recommend compression stockings to prevent another clot"
        " or post-thrombotic syndrome after a DVT." in body
    )
    wearing = topic.section("Wearing them: day, night and how long")
    assert wearing is not None
    assert "night" in wearing.text
    assert wearing.questions


def test_pregnancy_wording_names_the_harm_contraception_and_urgent_advice(content: ContentBase) -> None:
    for topic_id in ("pregnancy_and_clots", "contraception_hrt_and_clots"):
        topic = content.get(topic_id)
        assert topic is not None
        text = " ".join((topic.summary + " " + topic.body).split()).casefold()
        assert "warfarin can harm an unborn baby" in text, topic_id
        assert "avoided in pregnancy" in text, topic_id
        assert "reliable contraception" in text, topic_id
        assert "urgent" in text, topic_id


def test_heavy_periods_say_when_to_get_help(content: ContentBase) -> None:
    topic = content.get("heavy_periods_on_blood_thinners")
    assert topic is not None
    text = " ".join((topic.summary + " " + topic.body).split()).casefold()
    for sign in ("every hour", "coin", "faint", "call the emergency number", "don't stop your"):
        assert sign in text, sign
    bleeding = content.get("bleeding_on_blood_thinners")
    assert bleeding is not None
    assert "heavy_periods_on_blood_thinners" in bleeding.related
    assert "heavy periods" in bleeding.body.casefold()


def test_treatment_is_in_the_definition_summaries_and_the_embolus_route_is_told(content: ContentBase) -> None:
    dvt = content.get("what_is_dvt")
    pe = content.get("pulmonary_embolism")
    assert dvt is not None
    assert pe is not None
    for topic in (dvt, pe):
        assert "blood thinner" in topic.summary.casefold(), topic.id
    route = pe.summary.casefold()
    position = 0
    for part in ("deep vein", "larger veins", "right side of the heart", "pulmonary arteries", "lungs"):
        found = route.find(part, position)
        assert found >= 0, (part, route)
        position = found + len(part)


def test_default_content_dir_is_the_repository_folder() -> None:
    directory = default_content_dir()
    assert directory.parts[-2:] == ("content", "topics")
    assert (directory / "massage_clot.md").is_file()


# --- validation of broken files -----------------------------------------------------------------


def test_a_valid_fixture_loads(tmp_path: Path) -> None:
    write(tmp_path, "alpha")
    content = load_content(tmp_path)
    topic = content.get("alpha")
    assert topic == Topic(
        id="alpha",
        title="A test topic",
        summary="A short answer.",
        questions=("one?", "two?", "three?", "four?", "five?"),
        keywords=("test",),
        related=(),
        sources=(
            Source(
                "NHS: Deep vein thrombosis (DVT)", "https://www.nhs.uk/conditions/deep-vein-thrombosis-dvt/"
            ),
        ),
        reviewed=datetime.date(2026, 11, 27),
        body="Some **body** text.\n\n- a bullet",
    )


@pytest.mark.parametrize(
    ("old", "new", "field", "problem"),
    [
        ('  - "five?"\n', "", "questions", "needs at least 5 questions"),
        ('title: "A test topic"\n', "", "title", "is required"),
        ('summary: "A short answer."', 'summary: "' + "x" * 301 + '"', "summary", "the limit is 300"),
        ("reviewed: 2026-11-27", 'reviewed: "2026-11-27"', "reviewed", "date"),
        ("reviewed: 2026-11-27", "reviewed: tomorrow", "reviewed", "date"),
        ("related: []", "related: [no_such_topic]", "related", "no_such_topic"),
        ("related: []", "related: [alpha]", "related", "itself"),
        ("keywords:\n  - test", "keywords: []", "keywords", "at least 1"),
        (
            'sources:\n  - title: "NHS: Deep vein thrombosis (DVT)"\n'
            '    url: "https://www.nhs.uk/conditions/deep-vein-thrombosis-dvt/"',
            "sources: []",
            "sources",
            "at least 1 source",
        ),
        (
            'url: "https://www.nhs.uk/conditions/deep-vein-thrombosis-dvt/"',
            'url: "ftp://x"',
            "sources.0.url",
            "http",
        ),
        ('title: "A test topic"', "title: 42", "title", "string"),
        ("questions:\n", "questions: oops\nold_questions:\n", "questions", "list"),
        ("keywords:", "colour: blue\nkeywords:", "colour", "not a known field"),
        ('summary: "A short answer."', 'summary: "Take 5 mg twice a day."', "summary", "dose"),
        ("Some **body** text.", "Take 2.5mg in the morning.", "body", "dose"),
        ("Some **body** text.", "Call 999 now.", "body", "phone number"),
        ("Some **body** text.", "# A heading", "body", "unsupported Markdown"),
        ("Some **body** text.", "See [the NHS](https://nhs.uk).", "body", "unsupported Markdown"),
        ("Some **body** text.\n\n- a bullet\n", "   \n", "body", "must not be empty"),
        ("id: alpha", "id: Alpha-Topic", "id", "snake_case"),
    ],
)
def test_broken_files_name_file_and_field(
    tmp_path: Path, old: str, new: str, field: str, problem: str
) -> None:
    path = write(tmp_path, "alpha", broken("alpha", old, new))
    with pytest.raises(ContentError) as caught:
        load_content(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{path}: field '{field}': "), message
    assert problem in message
    assert caught.value.field == field


def test_id_must_match_file_name(tmp_path: Path) -> None:
    path = write(tmp_path, "alpha", VALID.format(id="beta"))
    with pytest.raises(
        ContentError, match=r"alpha\.md: field 'id': 'beta' must equal the file name 'alpha'"
    ) as caught:
        load_content(tmp_path)
    assert caught.value.path == str(path)


def test_missing_front_matter_names_the_file(tmp_path: Path) -> None:
    write(tmp_path, "alpha", "Just a body, no front matter.\n")
    with pytest.raises(ContentError, match=r"alpha\.md: must start with YAML front matter"):
        load_content(tmp_path)


def test_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    write(tmp_path, "alpha", "---\nid: [unclosed\n---\nbody\n")
    with pytest.raises(ContentError, match=r"alpha\.md: field 'front matter': invalid YAML"):
        load_content(tmp_path)


def test_front_matter_must_be_a_mapping(tmp_path: Path) -> None:
    write(tmp_path, "alpha", "---\n- just\n- a list\n---\nbody\n")
    with pytest.raises(ContentError, match=r"alpha\.md: field 'front matter': must be a YAML mapping"):
        load_content(tmp_path)


def test_empty_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="no topic files"):
        load_content(tmp_path)


def test_related_ids_across_files(tmp_path: Path) -> None:
    write(tmp_path, "alpha", broken("alpha", "related: []", "related: [beta]"))
    write(tmp_path, "beta")
    content = load_content(tmp_path)
    alpha = content.get("alpha")
    assert alpha is not None
    assert alpha.related == ("beta",)
