"""The retriever meets its accuracy bar on the evaluation set (tests/eval/qa_cases.yaml)."""

from __future__ import annotations

import pytest

from bot.knowledge.loader import default_content_dir, load_content
from bot.knowledge.retrieval import MASSAGE_TOPIC
from tests.eval.qa_eval import HELDOUT_PATH, EvalReport, evaluate, load_cases

MIN_ACCURACY = 0.98


@pytest.fixture(scope="module")
def report() -> EvalReport:
    return evaluate(load_cases())


def test_cases_are_well_formed() -> None:
    cases = load_cases()
    topics = load_content(default_content_dir()).topics
    assert len(cases) >= 120
    assert sum(MASSAGE_TOPIC in c.expect for c in cases) >= 15
    assert sum(c.out_of_scope for c in cases) >= 20
    assert sum("dose_questions" in c.expect for c in cases) >= 5
    assert len({c.question.casefold() for c in cases}) == len(cases), "duplicate questions"
    unknown = {t for c in cases for t in c.expect if t not in topics}
    assert not unknown, f"cases expect unknown topics: {unknown}"
    assert {t for c in cases for t in c.expect} == set(topics), "every topic needs eval cases"


def test_top1_accuracy(report: EvalReport) -> None:
    assert report.accuracy >= MIN_ACCURACY, report.summary()


def test_every_massage_question_gets_the_massage_topic(report: EvalReport) -> None:
    assert report.massage_correct == report.massage_total, report.summary()


def test_every_out_of_scope_question_is_refused(report: EvalReport) -> None:
    assert report.out_of_scope_refused == report.out_of_scope_total, report.summary()


def test_section_labelled_questions_get_their_section(report: EvalReport) -> None:
    assert report.section_total >= 3
    assert report.section_correct == report.section_total, report.summary()


def test_the_held_out_set_is_well_formed() -> None:
    # Only its shape is checked here: its score is measured twice and reported (RESULTS_QA.md),
    # never asserted, so that nobody tunes on it.
    cases = load_cases(HELDOUT_PATH)
    topics = load_content(default_content_dir()).topics
    assert len(cases) >= 130
    assert sum(c.out_of_scope for c in cases) >= 20
    assert len({c.question.casefold() for c in cases}) == len(cases), "duplicate questions"
    assert all(c.kind for c in cases)
    unknown = {t for c in cases for t in c.expect if t not in topics}
    assert not unknown, f"held-out cases expect unknown topics: {unknown}"
    for case in cases:
        if case.section is not None:
            (topic_id,) = case.expect
            assert topics[topic_id].section(case.section) is not None, case.question
