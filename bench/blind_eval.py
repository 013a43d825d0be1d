"""Score the retired blind sets (tests/eval/blind/): red flags and question answering, report only."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.eval import qa_eval, triage_eval  # noqa: E402

BLIND = ROOT / "tests" / "eval" / "blind"


def main() -> None:
    """Print the triage confusion matrix and the QA scores of each blind set."""
    print("== triage_blind.yaml")
    print(triage_eval.summary(triage_eval.evaluate(triage_eval.load_cases(BLIND / "triage_blind.yaml"))))
    for name in ("qa_blind.yaml", "qa_blind2.yaml"):
        print(f"== {name}")
        print(qa_eval.evaluate(qa_eval.load_cases(BLIND / name)).summary())


if __name__ == "__main__":
    main()
