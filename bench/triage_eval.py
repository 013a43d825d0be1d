"""Red-flag detector eval: confusion matrices, misses and per-message latency.

Run with ``python bench/triage_eval.py`` (``make eval``). It scores four sets:

* development  tests/eval/triage_cases.yaml, the messages the rules were developed against;
* development 2  tests/eval/triage_dev2.yaml, round 2's everyday-words set (tuned on too);
* held-out     tests/eval/triage_heldout.yaml, written before the concept rules and never tuned on
               (``--skip-heldout`` leaves it out; see tests/eval/RESULTS.md);
* over-escalation  tests/eval/triage_overescalation.yaml, ordinary questions and chit-chat;
* paraphrase   tests/eval/triage_paraphrase.py, thousands of generated wordings.

``--misses`` lists every wrong prediction. No asserts: tests/eval/test_triage_*.py are the gates.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.domain.triage import detect_red_flags
from tests.eval.triage_eval import (
    CASES_PATH,
    DEV2_PATH,
    HELDOUT_PATH,
    OVERESCALATION_PATH,
    Case,
    evaluate,
    load_cases,
)
from tests.eval.triage_paraphrase import all_cases


def main() -> None:
    """Print each set's confusion matrix and headline rates, then how long one message takes."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--misses", action="store_true", help="list every wrong prediction")
    parser.add_argument("--skip-heldout", action="store_true", help="don't score the held-out set")
    parser.add_argument("--repeat", type=int, default=5, help="timing passes over the development set")
    args = parser.parse_args()

    sets: list[tuple[str, list[Case]]] = [
        ("development", load_cases(CASES_PATH)),
        ("development 2", load_cases(DEV2_PATH)),
    ]
    if not args.skip_heldout:
        sets.append(("held-out", load_cases(HELDOUT_PATH)))
    sets.append(("over-escalation", load_cases(OVERESCALATION_PATH, default_label="info")))
    sets.append(("paraphrase", all_cases()))
    for name, cases in sets:
        report = evaluate(cases)
        print(f"== {name}: {len(cases)} messages\n")
        print(report.table())
        if args.misses and report.misses:
            print("\nmisses:")
            print(report.miss_list())
        print()

    cases = sets[0][1]
    for case in cases:  # warm the caches once, as a running bot has them
        detect_red_flags(case.text, on_blood_thinners=case.on_blood_thinners)
    timings: list[float] = []
    for _ in range(max(1, args.repeat)):
        for case in cases:
            started = time.perf_counter()
            detect_red_flags(case.text, on_blood_thinners=case.on_blood_thinners)
            timings.append((time.perf_counter() - started) * 1e3)
    timings.sort()
    p95 = timings[int(0.95 * (len(timings) - 1))]
    print(
        f"latency per message (development set, warm): median {statistics.median(timings):.2f} ms, "
        f"p95 {p95:.2f} ms, max {timings[-1]:.2f} ms"
    )


if __name__ == "__main__":
    main()
