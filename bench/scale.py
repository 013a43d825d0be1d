"""Benchmark scale-out: worker processes on PostgreSQL, start-up with many plans, update throughput.

(a) **dispatch throughput**: N reminders due at once on a fresh PostgreSQL database, delivered by 1, 2
    and 4 ``python -m bot worker`` processes to the HTTP fake Bot API (no flood limits in the fake;
    the bot's own overall limit is raised with TELEGRAM_MAX_MESSAGES_PER_SECOND so it measures dispatch).
(b) **time to serve**: ``python -m bot run`` started on a database holding 100,000 plans never
    materialised: seconds until it answers /start, and how long its first tick's materialisation takes.
(c) **update throughput**: the real bot vs a bare python-telegram-bot echo bot, each long-polling the
    same fake; N messages queued at once, timed until every reply is recorded.

Needs TEST_POSTGRES_URL (or --postgres-url) for (a) and (b); (c) runs on SQLite. Prints a table; no
asserts on time. Everything (processes, the fake, PostgreSQL) shares this machine, so the fake's
single-process HTTP server is part of what is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from tests.fakes.seed import fresh_postgres, seed_due, seed_plans, status_counts
from tests.fakes.telegram import FakeBotAPI, FakeTelegramServer

REPO = Path(__file__).resolve().parents[1]
TOKEN = "123456:BENCH-TOKEN"
ECHO_BOT = """
import sys
from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(update.effective_message.text)

app = ApplicationBuilder().token(sys.argv[1]).base_url(sys.argv[2]).build()
app.add_handler(MessageHandler(filters.TEXT, echo))
app.run_polling(timeout=1)
"""
_LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) ")


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the report."""

    scenario: str
    figure: str
    note: str


def env_for(server: FakeTelegramServer, database_url: str, **extra: str) -> dict[str, str]:
    """Return a bot process environment talking to the fake (nothing inherited from .env)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "REMINDER_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=server.base_url,
        TELEGRAM_FILE_BASE_URL=server.file_base_url,
        DATABASE_URL=database_url,
        LOG_LEVEL="INFO",
        POLLING_TIMEOUT_SECONDS="1",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(REPO),
    )
    env.update(extra)
    return env


@contextmanager
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Collect child processes; SIGTERM (then SIGKILL) whatever is still running on exit."""
    procs: list[subprocess.Popen[bytes]] = []
    try:
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start a child process logging to ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen(args, cwd=log.parent, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_until(condition: Callable[[], bool], timeout: float, what: str, poll: float = 0.05) -> None:
    """Poll ``condition()`` until true; raise TimeoutError naming ``what``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(poll)


def delivered(api: FakeBotAPI) -> tuple[int, int]:
    """Return (distinct chats with a sendMessage, sendMessage calls)."""
    chats = [c.params["chat_id"] for c in api.calls_of("sendMessage") if c.ok]
    return len(set(chats)), len(chats)


def reached(api: FakeBotAPI, n: int) -> bool:
    """Tell whether ``n`` distinct chats got a message."""
    return delivered(api)[0] >= n


def free_port() -> int:
    """Return a TCP port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def healthy(port: int) -> bool:
    """Tell whether a process answers /healthz on ``port``."""
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


# ---------------------------------------------------------------------- (a) dispatch throughput


def dispatch_throughput(base_url: str, workers: int, n: int, folder: Path) -> Row:
    """Deliver ``n`` due reminders with ``workers`` worker processes; report messages per second."""
    api = FakeBotAPI(token=TOKEN)
    for user_id in range(1, n + 1):
        api.register_user(user_id)
    with (
        FakeTelegramServer(api) as server,
        fresh_postgres(base_url, "clotcare_bench") as url,
        processes() as procs,
    ):
        ports = [free_port() for _ in range(workers)]
        for i, port in enumerate(ports):
            env = env_for(
                server,
                url,
                AUTO_MIGRATE="false",
                REMINDER_TICK_SECONDS="1",
                TELEGRAM_MAX_MESSAGES_PER_SECOND="1000",
                METRICS_PORT=str(port),
                WEBHOOK_LISTEN="127.0.0.1",
            )
            procs.append(spawn([sys.executable, "-m", "bot", "worker"], env, folder / f"a{workers}-{i}.log"))
        wait_until(lambda: all(healthy(p) for p in ports), 60, "workers to start", poll=0.2)
        # Seeding commits all rows at once; the clock starts when they become visible.
        asyncio.run(seed_due(url, n, datetime.now(UTC) - timedelta(seconds=1)))
        started = time.perf_counter()
        wait_until(lambda: delivered(api)[0] >= n, 600, "every reminder delivered", poll=0.1)
        elapsed = time.perf_counter() - started
        chats, sends = delivered(api)
        wait_until(lambda: asyncio.run(status_counts(url)).get("sent") == n, 60, "rows recorded", poll=0.5)
    return Row(
        f"(a) dispatch, {workers} worker{'s' if workers > 1 else ''}",
        f"{sends / elapsed:,.0f} msg/s",
        f"{n:,} due at once, all delivered in {elapsed:.1f} s; lost {n - chats}, duplicates {sends - chats}",
    )


# ---------------------------------------------------------------------- (b) time to serve


def _log_instant(line: str) -> float | None:
    match = _LOG_TIME.match(line)
    if match is None:
        return None
    return time.mktime(time.strptime(match[1], "%Y-%m-%d %H:%M:%S")) + int(match[2]) / 1000


def time_to_serve(base_url: str, plans: int, folder: Path) -> list[Row]:
    """Start the bot on ``plans`` unmaterialised plans; time /start's answer and the first tick."""
    api = FakeBotAPI(token=TOKEN)
    newcomer = plans + 1
    api.register_user(newcomer)
    now = datetime.now(UTC)
    # Times two and fourteen hours ahead, so nothing falls due (and is sent) during the measurement.
    times = ",".join(sorted((now + timedelta(hours=h)).strftime("%H:%M") for h in (2, 14)))
    with (
        FakeTelegramServer(api) as server,
        fresh_postgres(base_url, "clotcare_bench") as url,
        processes() as procs,
    ):
        seed_started = time.perf_counter()
        asyncio.run(seed_plans(url, plans, now, times))
        seeded = time.perf_counter() - seed_started
        log = folder / "b-run.log"
        env = env_for(server, url, REMINDER_TICK_SECONDS="20")
        started = time.perf_counter()
        wall_start = time.time()
        api.user_sends(newcomer, "/start")
        procs.append(spawn([sys.executable, "-m", "bot", "run"], env, log))
        wait_until(lambda: bool(api.messages(newcomer)), 300, "/start answered")
        answered = time.perf_counter() - started
        wait_until(lambda: "materialised=" in log.read_text(errors="replace"), 600, "first tick", poll=0.5)
        tick_line = next(line for line in log.read_text().splitlines() if "materialised=" in line)
        ready_line = next(
            (line for line in log.read_text().splitlines() if "Application started" in line), ""
        )
        tick_done = _log_instant(tick_line)
        app_started = _log_instant(ready_line)
        occurrences = sum(asyncio.run(status_counts(url)).values())
    tick = f"{tick_done - app_started:.1f} s" if tick_done and app_started else "n/a"
    boot = f"{app_started - wall_start:.1f} s" if app_started else "n/a"
    return [
        Row(
            f"(b) time to serve, {plans:,} plans",
            f"{answered:.1f} s",
            f"from spawn to the /start reply (process start-up {boot}); bulk seed took {seeded:.1f} s",
        ),
        Row(
            "(b) first tick's materialisation",
            tick,
            f"{occurrences:,} occurrences for {plans:,} plans (26 h lookahead), alongside intake",
        ),
    ]


# ---------------------------------------------------------------------- (c) update throughput


def update_throughput(n: int, folder: Path) -> list[Row]:
    """Queue ``n`` messages for the real bot and for a bare PTB echo bot; time until all are answered."""
    results: dict[str, float] = {}
    for name in ("ClotCare bot", "bare PTB echo bot"):
        api = FakeBotAPI(token=TOKEN)
        with FakeTelegramServer(api) as server, processes() as procs:
            url = f"sqlite:///{folder / f'c-{len(results)}.sqlite3'}"
            if name == "ClotCare bot":
                env = env_for(
                    server, url, TELEGRAM_MAX_MESSAGES_PER_SECOND="1000", REMINDER_TICK_SECONDS="60"
                )
                procs.append(spawn([sys.executable, "-m", "bot", "run"], env, folder / "c-bot.log"))
                text = "/help"
            else:
                args = [sys.executable, "-c", ECHO_BOT, TOKEN, server.base_url]
                procs.append(spawn(args, env_for(server, url), folder / "c-echo.log"))
                text = "hello"
            api.wait_until_polling(timeout=60)
            started = time.perf_counter()
            for user_id in range(1, n + 1):
                api.user_sends(user_id, text)
            wait_until(partial(reached, api, n), 600, f"{name} to answer everyone")
            results[name] = time.perf_counter() - started
    bot, echo = results["ClotCare bot"], results["bare PTB echo bot"]
    return [
        Row(
            "(c) updates, ClotCare bot",
            f"{n / bot:,.0f} upd/s",
            f"{n:,} /help from {n:,} users in {bot:.1f} s",
        ),
        Row("(c) updates, bare PTB echo", f"{n / echo:,.0f} upd/s", f"{n:,} texts in {echo:.1f} s"),
        Row("(c) ratio bot / echo", f"{echo / bot:.2f}", "share of a bare PTB bot's update throughput"),
    ]


def main() -> None:
    """Run the scenarios and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgres-url", default=os.environ.get("TEST_POSTGRES_URL"))
    parser.add_argument("--reminders", type=int, default=10_000, help="(a) reminders due at once")
    parser.add_argument("--workers", default="1,2,4", help="(a) worker counts, comma-separated")
    parser.add_argument("--plans", type=int, default=100_000, help="(b) plans in the database")
    parser.add_argument("--updates", type=int, default=1_000, help="(c) messages queued at once")
    args = parser.parse_args()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.postgres_url:
            for workers in (int(w) for w in args.workers.split(",")):
                rows.append(dispatch_throughput(args.postgres_url, workers, args.reminders, folder))
                print(rows[-1], flush=True)
            rows += time_to_serve(args.postgres_url, args.plans, folder)
            print(rows[-2:], flush=True)
        else:
            rows.append(Row("(a), (b)", "skipped", "set TEST_POSTGRES_URL or pass --postgres-url"))
        rows += update_throughput(args.updates, folder)
    width = max(len(r.scenario) for r in rows)
    fig = max(len(r.figure) for r in rows)
    print(f"\n{'scenario':<{width}}  {'figure':>{fig}}  note")
    for r in rows:
        print(f"{r.scenario:<{width}}  {r.figure:>{fig}}  {r.note}")
    print(f"\n{os.cpu_count()} CPU cores; fake Bot API, PostgreSQL and every process on this machine.")


if __name__ == "__main__":
    main()
