"""Score the red-flag detector against labelled messages: a 3x3 confusion matrix and the misses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.domain.triage import Severity, detect_red_flags

EVAL_DIR = Path(__file__).resolve().parent
CASES_PATH = EVAL_DIR / "triage_cases.yaml"
HELDOUT_PATH = EVAL_DIR / "triage_heldout.yaml"
DEV2_PATH = EVAL_DIR / "triage_dev2.yaml"
OVERESCALATION_PATH = EVAL_DIR / "triage_overescalation.yaml"
LABELS: Mapping[str, Severity] = {
    "emergency": Severity.EMERGENCY,
    "urgent": Severity.URGENT,
    "info": Severity.INFO,
}
_ORDER = (Severity.EMERGENCY, Severity.URGENT, Severity.INFO)


@dataclass(frozen=True, slots=True)
class Case:
    """One labelled message."""

    text: str
    expected: Severity
    on_blood_thinners: bool | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """A case and what the detector said about it."""

    case: Case
    predicted: Severity
    signs: frozenset[str]
    uncertain: bool = False


@dataclass(frozen=True, slots=True)
class Report:
    """Confusion matrix (matrix[expected][predicted]) plus every case the detector got wrong."""

    matrix: Mapping[Severity, Mapping[Severity, int]]
    outcomes: tuple[Outcome, ...]

    def total(self, expected: Severity) -> int:
        """Return how many cases carry the label ``expected``."""
        return sum(self.matrix[expected].values())

    @property
    def emergency_recall(self) -> float:
        """Return the share of emergencies predicted as EMERGENCY."""
        return _share(self.matrix[Severity.EMERGENCY][Severity.EMERGENCY], self.total(Severity.EMERGENCY))

    @property
    def urgent_recall(self) -> float:
        """Return the share of urgent cases predicted URGENT or higher."""
        row = self.matrix[Severity.URGENT]
        return _share(row[Severity.URGENT] + row[Severity.EMERGENCY], self.total(Severity.URGENT))

    @property
    def info_specificity(self) -> float:
        """Return the share of info cases that were not escalated."""
        return _share(self.matrix[Severity.INFO][Severity.INFO], self.total(Severity.INFO))

    @property
    def misses(self) -> tuple[Outcome, ...]:
        """Return the cases whose prediction differs from the label."""
        return tuple(o for o in self.outcomes if o.predicted is not o.case.expected)

    def table(self) -> str:
        """Render the confusion matrix and the headline rates as plain text."""
        width = 11
        header = "expected \\ predicted".ljust(22) + "".join(s.name.lower().rjust(width) for s in _ORDER)
        rows = [header]
        for expected in _ORDER:
            cells = "".join(str(self.matrix[expected][p]).rjust(width) for p in _ORDER)
            rows.append(expected.name.lower().ljust(22) + cells)
        rows.append("")
        rows.append(f"emergency caught as emergency: {self.emergency_recall:.1%}")
        rows.append(f"urgent caught as urgent or higher: {self.urgent_recall:.1%}")
        rows.append(f"info left unescalated: {self.info_specificity:.1%}")
        missed = [o for o in self.misses if o.predicted is Severity.INFO]
        netted = sum(o.uncertain for o in missed)
        asked = sum(o.uncertain for o in self.outcomes if o.case.expected is Severity.INFO)
        rows.append(
            f'safety net ("Is this happening to you now?"): caught {netted} of {len(missed)} missed signs;'
            f" asked on {asked} of {self.total(Severity.INFO)} info messages"
        )
        return "\n".join(rows)

    def miss_list(self) -> str:
        """Render every wrong prediction, one per line."""
        return "\n".join(
            f"  {o.case.expected.name.lower():>9} -> {o.predicted.name.lower():<9}"
            f"{' (net)' if o.uncertain else ''} {o.case.text!r}"
            f" signs={sorted(o.signs)} thinners={o.case.on_blood_thinners}"
            for o in self.misses
        )


def _share(part: int, whole: int) -> float:
    """Return part/whole, counting an empty class as fully met."""
    return 1.0 if whole == 0 else part / whole


def load_cases(path: Path = CASES_PATH, *, default_label: str | None = None) -> list[Case]:
    """Read the labelled cases from YAML (a case without a label gets ``default_label``)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases: list[Case] = []
    for i, item in enumerate(data["cases"]):
        label = item.get("label", default_label)
        if label not in LABELS:
            raise ValueError(f"case {i}: unknown label {label!r}")
        thinners = item.get("on_blood_thinners")
        if thinners is not None and not isinstance(thinners, bool):
            raise ValueError(f"case {i}: on_blood_thinners must be true or false")
        cases.append(Case(text=str(item["text"]), expected=LABELS[label], on_blood_thinners=thinners))
    return cases


def evaluate(cases: Iterable[Case]) -> Report:
    """Run the detector on every case and tally the results."""
    matrix = {e: dict.fromkeys(_ORDER, 0) for e in _ORDER}
    outcomes: list[Outcome] = []
    for case in cases:
        result = detect_red_flags(case.text, on_blood_thinners=case.on_blood_thinners)
        matrix[case.expected][result.severity] += 1
        outcomes.append(
            Outcome(case=case, predicted=result.severity, signs=result.signs, uncertain=result.uncertain)
        )
    return Report(matrix=matrix, outcomes=tuple(outcomes))


def summary(report: Report, *, show: Sequence[Severity] = _ORDER) -> str:
    """Render the table followed by the misses for the labels in ``show``."""
    misses = [o for o in report.misses if o.case.expected in show]
    lines = [report.table()]
    if misses:
        lines.append("\nmisses:")
        lines.extend(
            f"  {o.case.expected.name.lower():>9} -> {o.predicted.name.lower():<9} {o.case.text!r}"
            f" signs={sorted(o.signs)}"
            for o in misses
        )
    return "\n".join(lines)
