"""Red-flag detector eval: confusion matrix, misses and per-message latency.

Run with ``python bench/triage_eval.py`` (``--misses`` lists every wrong prediction). No asserts:
tests/eval/test_triage_eval.py is the gate.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.domain.triage import detect_red_flags
from tests.eval.triage_eval import evaluate, load_cases


def main() -> None:
    """Print the confusion matrix, the headline rates and how long one message takes."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--misses", action="store_true", help="list every wrong prediction")
    parser.add_argument("--repeat", type=int, default=5, help="timing passes over all cases")
    args = parser.parse_args()

    cases = load_cases()
    report = evaluate(cases)
    print(f"{len(cases)} labelled messages\n")
    print(report.table())
    if args.misses and report.misses:
        print("\nmisses:")
        print(report.miss_list())

    timings: list[float] = []
    for _ in range(max(1, args.repeat)):
        for case in cases:
            started = time.perf_counter()
            detect_red_flags(case.text, on_blood_thinners=case.on_blood_thinners)
            timings.append((time.perf_counter() - started) * 1e3)
    timings.sort()
    p95 = timings[int(0.95 * (len(timings) - 1))]
    print(f"\nlatency per message: median {statistics.median(timings):.2f} ms, p95 {p95:.2f} ms")


if __name__ == "__main__":
    main()
