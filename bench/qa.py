"""Benchmark Q&A: eval accuracy and per-answer latency over tests/eval/qa_cases.yaml and qa_dev2.yaml.

Run with ``python bench/qa.py`` (add ``--repeat N`` for more timing passes). No asserts on time.
``--heldout`` also scores tests/eval/qa_heldout.yaml: do that only to report, never to tune.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.knowledge.loader import default_content_dir, load_content
from bot.knowledge.retrieval import Granularity, Retriever
from tests.eval.qa_eval import DEV2_PATH, HELDOUT_PATH, evaluate, load_cases


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Return the value at a fraction (0..1) of a sorted list (nearest rank)."""
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def main() -> None:
    """Print accuracy per index granularity, then latency for the default retriever."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=50, help="timing passes over all eval questions")
    parser.add_argument("--heldout", action="store_true", help="also score the held-out set (report only)")
    args = parser.parse_args()

    started = time.perf_counter()
    content = load_content(default_content_dir())
    loaded = time.perf_counter()
    retriever = Retriever(content)
    built = time.perf_counter()
    cases = load_cases()
    print(
        f"content: {len(content.topics)} topics, loaded in {(loaded - started) * 1e3:.0f} ms;"
        f" index built in {(built - loaded) * 1e3:.0f} ms"
    )

    print(f"\neval: {len(cases)} cases")
    print(evaluate(cases, retriever).summary())
    granularities: tuple[Granularity, ...] = ("topic", "question", "hybrid")
    print("\nindex granularity comparison (top-1 overall / massage / out-of-scope):")
    for granularity in granularities:
        report = evaluate(cases, Retriever(content, granularity=granularity))
        figures = f"{report.accuracy:6.1%}  {report.massage_accuracy:6.1%}  {report.refusal_rate:6.1%}"
        print(f"  {granularity:9} {figures}")

    dev2 = load_cases(DEV2_PATH)
    print(f"\ndev2: {len(dev2)} cases")
    print(evaluate(dev2, retriever).summary())

    if args.heldout:
        heldout = load_cases(HELDOUT_PATH)
        print(f"\nheld-out: {len(heldout)} cases")
        print(evaluate(heldout, retriever).summary())

    questions = [case.question for case in (*cases, *dev2)]
    for question in questions:  # warm the typo and stem caches as a running bot would be
        retriever.answer(question)
    timings: list[float] = []
    for _ in range(args.repeat):
        for question in questions:
            t0 = time.perf_counter()
            retriever.answer(question)
            timings.append(time.perf_counter() - t0)
    timings.sort()
    cold = Retriever(content)
    cold_timings = []
    for question in questions:
        t0 = time.perf_counter()
        cold.answer(question)
        cold_timings.append(time.perf_counter() - t0)
    cold_timings.sort()
    ms = 1e3
    print(f"\nlatency per answer over {len(timings)} answers ({args.repeat} passes):")
    print(
        f"  p50 {percentile(timings, 0.5) * ms:.3f} ms   p95 {percentile(timings, 0.95) * ms:.3f} ms"
        f"   max {timings[-1] * ms:.3f} ms   mean {statistics.fmean(timings) * ms:.3f} ms"
    )
    print(
        f"  first pass on a fresh retriever (cold caches): p50 {percentile(cold_timings, 0.5) * ms:.3f} ms"
        f"   p95 {percentile(cold_timings, 0.95) * ms:.3f} ms   max {cold_timings[-1] * ms:.3f} ms"
    )


if __name__ == "__main__":
    main()
