"""Scale-out end to end: ``python -m bot worker`` processes beside the bot, one of them killed mid-way."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.conftest import POSTGRES_ENV, SKIP_POSTGRES_REASON
from tests.e2e.conftest import BotProcess
from tests.fakes.seed import fresh_postgres, seed_due, status_counts
from tests.fakes.telegram import FakeBotAPI, FakeTelegramServer

OCCURRENCES = 2_000
KILL_AFTER = 300
# The Dispatcher's slice (= its send concurrency): the most one dead worker can have sent unrecorded.
IN_FLIGHT = 16
FAST = {
    "REMINDER_TICK_SECONDS": "1",
    # Long enough for a batch to be sent well within it, short enough to keep the test quick.
    "REMINDER_CLAIM_LEASE_SECONDS": "20",
    # The fake has no flood limits; this measures the dispatch, not the 30/s pacing.
    "TELEGRAM_MAX_MESSAGES_PER_SECOND": "1000",
    "AUTO_MIGRATE": "false",
}


def _spawn_worker(bot: BotProcess, name: str) -> subprocess.Popen[bytes]:
    with (bot.log_path.parent / f"{name}.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "worker"],
            cwd=bot.log_path.parent,
            env=bot.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def _sends_per_chat(api: FakeBotAPI) -> Counter[int]:
    return Counter(int(c.params["chat_id"]) for c in api.calls_of("sendMessage") if c.ok)


def _stop(proc: subprocess.Popen[bytes], timeout: float = 20.0) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(timeout=timeout)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _logs(tmp_path: Path) -> str:
    return "\n".join(
        f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(tmp_path.glob("*.log"))
    )


@pytest.mark.postgres
def test_two_workers_and_the_bot_deliver_every_reminder_once_despite_a_killed_worker(
    fake_api: tuple[FakeBotAPI, FakeTelegramServer], tmp_path: Path
) -> None:
    """2,000 reminders due at once: nothing lost, duplicates only from the killed worker's slice."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(SKIP_POSTGRES_REASON)
    api, server = fake_api
    for user_id in range(1, OCCURRENCES + 1):
        api.register_user(user_id)
    with fresh_postgres(base) as url:
        asyncio.run(seed_due(url, OCCURRENCES, datetime.now(UTC) - timedelta(seconds=5)))
        bot = BotProcess(api, server, url, tmp_path / "bot.log")
        bot.extra_env.update(FAST)
        doomed = _spawn_worker(bot, "worker-killed")
        survivor = _spawn_worker(bot, "worker")
        try:
            bot.start(timeout=60)
            deadline = time.monotonic() + 60
            while sum(_sends_per_chat(api).values()) < KILL_AFTER:
                assert doomed.poll() is None, _logs(tmp_path)
                assert time.monotonic() < deadline, _logs(tmp_path)
                time.sleep(0.005)
            doomed.kill()  # SIGKILL: no chance to finish or release its claims
            doomed.wait(timeout=10)
            at_kill = sum(_sends_per_chat(api).values())

            deadline = time.monotonic() + 60
            while True:
                counts = asyncio.run(status_counts(url))
                if counts.get("sent") == OCCURRENCES:
                    break
                assert time.monotonic() < deadline, f"{counts}\n{_logs(tmp_path)}"
                time.sleep(0.5)
            assert _stop(survivor) == 0, _logs(tmp_path)
            assert bot.stop() == 0, _logs(tmp_path)
        finally:
            for proc in (doomed, survivor):
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            bot.stop(signal.SIGKILL)

        sends = _sends_per_chat(api)
        lost = [u for u in range(1, OCCURRENCES + 1) if sends[u] == 0]
        duplicates = sum(sends.values()) - len(sends)
        print(
            f"\nscale-out: {OCCURRENCES} due, killed a worker after {at_kill} sends; "
            f"lost={len(lost)} duplicates={duplicates} (bound: one slice of {IN_FLIGHT})"
        )
        assert lost == []
        assert duplicates <= IN_FLIGHT
        assert asyncio.run(status_counts(url)) == {"sent": OCCURRENCES}


def test_worker_alone_sends_due_reminders_serves_metrics_and_stops_on_sigterm(
    fake_api: tuple[FakeBotAPI, FakeTelegramServer], tmp_path: Path
) -> None:
    """A worker on its own database delivers, counts on /metrics, never polls, and exits 0 on SIGTERM."""
    api, server = fake_api
    for user_id in range(1, 6):
        api.register_user(user_id)
    url = f"sqlite:///{tmp_path / 'worker.sqlite3'}"
    bot = BotProcess(api, server, url, tmp_path / "bot.log")
    port = _free_port()
    bot.extra_env.update(REMINDER_TICK_SECONDS="1", METRICS_PORT=str(port), WEBHOOK_LISTEN="127.0.0.1")
    # The worker migrates (AUTO_MIGRATE defaults to true); seed once the schema exists.
    worker = _spawn_worker(bot, "worker")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert worker.poll() is None, _logs(tmp_path)
            assert time.monotonic() < deadline, _logs(tmp_path)
            time.sleep(0.1)
        asyncio.run(seed_due(url, 5, datetime.now(UTC) - timedelta(seconds=5)))
        for user_id in range(1, 6):
            api.wait_for_messages(user_id, 1, timeout=20)
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        assert 'clotcare_reminders_total{outcome="sent"} 5.0' in metrics
        assert "clotcare_reminder_dispatch_lag_seconds_count 5.0" in metrics
    finally:
        code = _stop(worker)
    assert code == 0, _logs(tmp_path)
    assert api.calls_of("getUpdates") == []
    assert api.calls_of("setMyCommands") == []


def test_worker_beside_a_bot_on_the_same_sqlite_file_refuses_with_exit_2(
    bot_process: BotProcess, tmp_path: Path
) -> None:
    """SQLite has no SKIP LOCKED: a second dispatcher on the file is refused by the instance lock."""
    result = subprocess.run(
        [sys.executable, "-m", "bot", "worker"],
        cwd=tmp_path,
        env=bot_process.env(),
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert b"Refusing to start" in result.stderr


@pytest.mark.postgres
@pytest.mark.chaos
def test_one_chat_with_150_reminders_due_next_to_30_others_gets_each_once_from_bot_and_worker(
    fake_api: tuple[FakeBotAPI, FakeTelegramServer], tmp_path: Path
) -> None:
    """The slow chat used to keep a batch past its lease: another process re-sent the others' reminders."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(SKIP_POSTGRES_REASON)
    api, server = fake_api
    busy, others = 90_000, range(151, 181)
    for user_id in (busy, *others):
        api.register_user(user_id)
    with fresh_postgres(base) as url:
        asyncio.run(
            seed_due(url, 180, datetime.now(UTC) - timedelta(seconds=5), busy_user=busy, busy_plans=150)
        )
        bot = BotProcess(api, server, url, tmp_path / "bot.log")
        # The 15 s lease that used to give 6 copies in 2 minutes; a sending process must keep it.
        bot.extra_env.update(REMINDER_CLAIM_LEASE_SECONDS="15", AUTO_MIGRATE="false")
        worker = _spawn_worker(bot, "worker")
        try:
            bot.start(timeout=60)
            deadline = time.monotonic() + 400
            while asyncio.run(status_counts(url)).get("sent") != 180:
                assert time.monotonic() < deadline, f"{asyncio.run(status_counts(url))}\n{_logs(tmp_path)}"
                time.sleep(1)
            assert _stop(worker) == 0, _logs(tmp_path)
            assert bot.stop() == 0, _logs(tmp_path)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
            bot.stop(signal.SIGKILL)
    sends = _sends_per_chat(api)
    assert sends[busy] == 150
    assert {sends[u] for u in others} == {1}
