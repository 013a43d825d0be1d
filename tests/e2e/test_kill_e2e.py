"""SIGKILL and a hanging Telegram during dispatch, with the real process on SQLite: nothing is lost.

Delivery is at-least-once: a process killed between sending and recording re-sends what was in
flight once its lease expires, so duplicates are bounded by one batch and answered by the
double-dose guard. The repeated-kill and long-hang variants are chaos tests (``make chaos``).
"""

from __future__ import annotations

import asyncio
import random
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.db.migrate import upgrade_to_head
from tests.e2e.conftest import BotProcess
from tests.fakes.seed import seed_due, status_counts
from tests.fakes.telegram import FakeBotAPI, FakeTelegramServer

pytestmark = pytest.mark.e2e

LEASE_SECONDS = 5
# The dispatcher's claim batch (Dispatcher(batch_size=200)): the most one killed process has in flight.
BATCH_SIZE = 200


@pytest.fixture
def seeded(
    fake_api: tuple[FakeBotAPI, FakeTelegramServer], tmp_path: Path
) -> Iterator[tuple[BotProcess, int]]:
    """A bot process (not started) on a SQLite file holding 400 users with a dose due now."""
    count = 400
    api, server = fake_api
    url = f"sqlite:///{tmp_path / 'kill.sqlite3'}"
    upgrade_to_head(url)
    asyncio.run(seed_due(url, count, datetime.now(UTC) - timedelta(seconds=5)))
    for user_id in range(1, count + 1):
        api.register_user(user_id)
    proc = BotProcess(api, server, url, tmp_path / "bot.log")
    proc.extra_env.update(REMINDER_TICK_SECONDS="1", REMINDER_CLAIM_LEASE_SECONDS=str(LEASE_SECONDS))
    yield proc, count
    proc.stop(signal.SIGKILL)


def _sent(api: FakeBotAPI, count: int) -> list[int]:
    return [len(api.messages(user_id)) for user_id in range(1, count + 1)]


def _wait_all_delivered(proc: BotProcess, count: int, timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        per_user = _sent(proc.api, count)
        if min(per_user) >= 1:
            return per_user
        time.sleep(0.5)
    missing = sum(1 for n in _sent(proc.api, count) if n == 0)
    raise AssertionError(f"{missing} users never got their reminder:\n{proc.logs()[-3000:]}")


def _wait_until_sent(proc: BotProcess, count: int, at_least: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while sum(1 for n in _sent(proc.api, count) if n) < at_least:
        assert time.monotonic() < deadline, proc.logs()[-3000:]
        time.sleep(0.05)


def _check(proc: BotProcess, count: int, in_flight: int) -> None:
    _wait_all_delivered(proc, count, timeout=120)
    # Every occurrence must also be recorded as sent (a timed-out send is retried after a back-off).
    deadline = time.monotonic() + 120
    while (statuses := asyncio.run(status_counts(proc.database_url))) != {"sent": count}:
        assert time.monotonic() < deadline, statuses
        time.sleep(1)
    duplicates = sum(n - 1 for n in _sent(proc.api, count))
    print(f"\n{count} reminders: 0 lost, {duplicates} duplicates (bound {in_flight})")
    assert duplicates <= in_flight, f"{duplicates} duplicates, at most {in_flight} were in flight"


def test_sigkill_mid_dispatch_loses_nothing(seeded: tuple[BotProcess, int]) -> None:
    proc, count = seeded
    proc.start()
    _wait_until_sent(proc, count, at_least=count // 4)
    proc.stop(signal.SIGKILL)
    proc.start()
    _check(proc, count, in_flight=BATCH_SIZE)


@pytest.mark.chaos
def test_repeated_sigkill_at_random_moments_loses_nothing(seeded: tuple[BotProcess, int]) -> None:
    proc, count = seeded
    rng = random.Random(7)
    kills = 0
    for _ in range(5):
        proc.start()
        time.sleep(rng.uniform(0.5, 4.0))
        proc.stop(signal.SIGKILL)
        kills += 1
    proc.start()
    _check(proc, count, in_flight=kills * BATCH_SIZE)


@pytest.mark.chaos
def test_telegram_hanging_during_dispatch_loses_nothing(seeded: tuple[BotProcess, int]) -> None:
    proc, count = seeded
    # Longer than PTB's 5 s read timeout: the client gives up, Telegram delivers anyway.
    proc.api.hang_next("sendMessage", 8.0, times=5)
    proc.start()
    _check(proc, count, in_flight=5)
