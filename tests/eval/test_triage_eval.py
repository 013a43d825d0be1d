"""The detector against the labelled cases: no emergency or urgent message may be missed."""

from __future__ import annotations

import pytest

from bot.domain.triage import Severity
from tests.eval.triage_eval import DEV2_PATH, OVERESCALATION_PATH, Report, evaluate, load_cases, summary


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


# --- the second development set (round 2): everyday words, relatives now, past symptoms -----------


@pytest.fixture(scope="module")
def dev2() -> Report:
    return evaluate(load_cases(DEV2_PATH))


def test_dev2_is_big_and_unique(dev2: Report) -> None:
    texts = [o.case.text for o in dev2.outcomes]
    assert len(texts) >= 150
    assert len(set(texts)) == len(texts)
    assert dev2.total(Severity.INFO) >= 30
    assert not set(texts) & {c.text for c in load_cases()}


def test_dev2_emergencies_are_caught_or_asked_about(dev2: Report) -> None:
    # Every emergency escalates, except at most one that the safety net asks about (a runny nose or a
    # nosebleed: "my nose has been pouring for half an hour" is honestly ambiguous).
    missed = [o for o in dev2.misses if o.case.expected is Severity.EMERGENCY]
    assert dev2.emergency_recall >= 0.98, summary(dev2, show=[Severity.EMERGENCY])
    assert all(o.uncertain for o in missed), summary(dev2, show=[Severity.EMERGENCY])


def test_dev2_urgent_cases_are_caught(dev2: Report) -> None:
    assert dev2.urgent_recall == 1.0, summary(dev2, show=[Severity.URGENT])


def test_dev2_info_is_rarely_escalated_or_asked_about(dev2: Report) -> None:
    assert dev2.info_specificity >= 0.95, summary(dev2, show=[Severity.INFO])
    info = [o for o in dev2.outcomes if o.case.expected is Severity.INFO]
    assert sum(o.uncertain for o in info) <= 0.1 * len(info)
