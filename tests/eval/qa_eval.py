"""Evaluate the Retriever on a YAML case file; shared by the eval tests and bench/qa.py.

tests/eval/qa_cases.yaml and tests/eval/qa_dev2.yaml are development sets; tests/eval/qa_heldout.yaml
is the held-out set, written before tuning and never tuned on (see tests/eval/RESULTS_QA.md).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.knowledge.loader import default_content_dir, load_content
from bot.knowledge.retrieval import MASSAGE_TOPIC, Retriever

CASES_PATH = Path(__file__).resolve().parent / "qa_cases.yaml"
HELDOUT_PATH = Path(__file__).resolve().parent / "qa_heldout.yaml"
# Second development set (round 2): written before the round-2 changes, scored once, then tuned on.
DEV2_PATH = Path(__file__).resolve().parent / "qa_dev2.yaml"
NONE = "none"


@dataclass(frozen=True, slots=True)
class Case:
    """One evaluation question and the topic ids that answer it (empty: the bot must refuse)."""

    question: str
    expect: tuple[str, ...]
    kind: str = ""
    section: str | None = None  # the section heading that answers it, when one section does

    @property
    def out_of_scope(self) -> bool:
        """Return True when the bot must say it has no answer."""
        return not self.expect


@dataclass(frozen=True, slots=True)
class Miss:
    """A case the retriever got wrong (wrong topic, or the right topic with the wrong section)."""

    question: str
    expected: tuple[str, ...]
    got: str | None
    reason: str
    score: float
    kind: str = ""
    section: str | None = None


@dataclass(frozen=True, slots=True)
class EvalReport:
    """Top-1 accuracy overall, per kind, on massage, out-of-scope and section-labelled questions."""

    total: int
    correct: int
    massage_total: int
    massage_correct: int
    out_of_scope_total: int
    out_of_scope_refused: int
    misses: tuple[Miss, ...]
    kind_total: tuple[tuple[str, int], ...] = ()
    kind_correct: tuple[tuple[str, int], ...] = ()
    section_total: int = 0
    section_correct: int = 0

    @property
    def accuracy(self) -> float:
        """Return the share of all cases answered with the expected topic (or refused)."""
        return self.correct / self.total if self.total else 0.0

    @property
    def massage_accuracy(self) -> float:
        """Return the share of massage questions routed to the massage topic."""
        return self.massage_correct / self.massage_total if self.massage_total else 0.0

    @property
    def refusal_rate(self) -> float:
        """Return the share of out-of-scope questions that were refused."""
        return self.out_of_scope_refused / self.out_of_scope_total if self.out_of_scope_total else 0.0

    def summary(self) -> str:
        """Return the figures as a few human-readable lines."""
        lines = [
            f"overall top-1: {self.correct}/{self.total} = {self.accuracy:.1%}",
            f"massage: {self.massage_correct}/{self.massage_total} = {self.massage_accuracy:.1%}",
            f"out-of-scope refused: {self.out_of_scope_refused}/{self.out_of_scope_total}"
            f" = {self.refusal_rate:.1%}",
        ]
        if self.section_total:
            lines.append(f"right section (where labelled): {self.section_correct}/{self.section_total}")
        correct = dict(self.kind_correct)
        for kind, total in self.kind_total:
            lines.append(
                f"  kind {kind:10} {correct.get(kind, 0):3}/{total:<3} = {correct.get(kind, 0) / total:.1%}"
            )
        for m in self.misses:
            expected = "|".join(m.expected) or NONE
            if m.section:
                expected += f" [{m.section}]"
            lines.append(
                f"  MISS {m.question!r}: expected {expected}, got {m.got} ({m.reason}, {m.score:.3f})"
            )
        return "\n".join(lines)


def load_cases(path: Path = CASES_PATH) -> list[Case]:
    """Read the evaluation cases from YAML."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, list):
        raise ValueError(f"{path}: expected a list of cases")
    cases = []
    for item in raw:
        expect = item["expect"]
        # An ambiguous question may list every topic a careful human would accept.
        ids = expect if isinstance(expect, list) else [expect]
        section = item.get("section")
        cases.append(
            Case(
                question=str(item["q"]),
                expect=tuple(str(i) for i in ids if i not in (None, NONE)),
                kind=str(item.get("kind", "")),
                section=str(section) if section is not None else None,
            )
        )
    return cases


def evaluate(cases: list[Case], retriever: Retriever | None = None) -> EvalReport:
    """Run every case through the retriever and tally the results."""
    if retriever is None:
        retriever = Retriever(load_content(default_content_dir()))
    correct = massage_total = massage_correct = oos_total = oos_refused = 0
    section_total = section_correct = 0
    kind_total: Counter[str] = Counter()
    kind_correct: Counter[str] = Counter()
    misses: list[Miss] = []
    for case in cases:
        answer = retriever.answer(case.question)
        ok = answer.topic_id in case.expect if case.expect else answer.topic_id is None
        correct += ok
        if case.kind:
            kind_total[case.kind] += 1
            kind_correct[case.kind] += ok
        if MASSAGE_TOPIC in case.expect:
            massage_total += 1
            massage_correct += ok
        if case.out_of_scope:
            oos_total += 1
            oos_refused += ok
        section_ok = True
        if case.section is not None:
            section_total += 1
            section_ok = ok and getattr(answer, "section", None) == case.section
            section_correct += section_ok
        if not ok or not section_ok:
            misses.append(
                Miss(
                    case.question,
                    case.expect,
                    answer.topic_id,
                    answer.reason,
                    answer.score,
                    case.kind,
                    case.section,
                )
            )
    return EvalReport(
        total=len(cases),
        correct=correct,
        massage_total=massage_total,
        massage_correct=massage_correct,
        out_of_scope_total=oos_total,
        out_of_scope_refused=oos_refused,
        misses=tuple(misses),
        kind_total=tuple(sorted(kind_total.items())),
        kind_correct=tuple(sorted(kind_correct.items())),
        section_total=section_total,
        section_correct=section_correct,
    )
