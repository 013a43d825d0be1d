"""The detector against the labelled cases: no emergency or urgent message may be missed."""

from __future__ import annotations

import pytest

from bot.domain.triage import Severity
from tests.eval.triage_eval import OVERESCALATION_PATH, Report, evaluate, load_cases, summary


@pytest.fixture(scope="module")
def report() -> Report:
    return evaluate(load_cases())


def test_case_file_is_big_and_balanced_enough(report: Report) -> None:
    assert len(report.outcomes) >= 180
    for label in Severity:
        assert report.total(label) >= 40, label


def test_every_emergency_is_predicted_emergency(report: Report) -> None:
    assert report.emergency_recall == 1.0, summary(report, show=[Severity.EMERGENCY])


def test_every_urgent_case_is_caught(report: Report) -> None:
    assert report.urgent_recall == 1.0, summary(report, show=[Severity.URGENT])


def test_at_least_90_percent_of_info_is_not_escalated(report: Report) -> None:
    assert report.info_specificity >= 0.90, summary(report, show=[Severity.INFO])


def test_cases_are_unique(report: Report) -> None:
    texts = [o.case.text for o in report.outcomes]
    duplicates = sorted({t for t in texts if texts.count(t) > 1})
    assert duplicates == []


def test_ordinary_questions_and_chit_chat_are_not_escalated() -> None:
    over = evaluate(load_cases(OVERESCALATION_PATH, default_label="info"))
    assert len(over.outcomes) >= 100
    assert over.info_specificity >= 0.95, summary(over, show=[Severity.INFO])
