"""The paraphrase suite in CI: thousands of generated wordings of every emergency and urgent sign."""

from __future__ import annotations

import pytest

from bot.domain.triage import Severity
from tests.eval.triage_eval import Report, evaluate, summary
from tests.eval.triage_paraphrase import PAST, SIGNS, all_cases, negative_cases, positive_cases


@pytest.fixture(scope="module")
def report() -> Report:
    return evaluate(all_cases())


def test_suite_is_large_and_covers_every_sign(report: Report) -> None:
    assert len(report.outcomes) >= 3000
    assert report.total(Severity.EMERGENCY) >= 1000
    assert report.total(Severity.URGENT) >= 1000
    assert {s for s, _ in positive_cases()} == {s.sign for s in SIGNS}
    assert {s for s, _ in negative_cases()} == {s.sign for s in SIGNS}


def test_suite_is_deterministic() -> None:
    assert [c.text for c in all_cases()] == [c.text for c in all_cases()]


def test_emergency_recall_is_at_least_99_5_percent(report: Report) -> None:
    assert report.emergency_recall >= 0.995, summary(report, show=[Severity.EMERGENCY])


def test_urgent_recall_is_at_least_99_percent(report: Report) -> None:
    assert report.urgent_recall >= 0.99, summary(report, show=[Severity.URGENT])


def test_negated_and_general_variants_do_not_escalate(report: Report) -> None:
    assert report.info_specificity >= 0.98, summary(report, show=[Severity.INFO])


def test_every_sign_has_reports_about_someone_with_the_writer() -> None:
    assert all(sign.others for sign in SIGNS)
    texts = {c.text for _, c in positive_cases()}
    assert all(other in texts for sign in SIGNS for other in sign.others)


def test_past_and_recovered_variants_are_in_the_suite() -> None:
    texts = [c.text for _, c in negative_cases()]
    for template in PAST:
        assert sum(t == template.format(noun=s.noun) for s in SIGNS for t in texts) == 2 * len(SIGNS)
