"""Benchmark "never slow": the real ``python -m bot run`` process against the HTTP fake Bot API.

(1) **question throughput**: 100 users each ask 3 questions, each waiting for the answer before the
    next (a human pace, no think time); answers/s of ClotCare vs a bare PTB echo bot on the same fake.
    ClotCare runs twice: with its overall limit raised to 1000 msg/s (the fake has no limits, so this
    compares update handling) and with the production default of 30 msg/s.
(2) **noisy neighbour**: one user sends 40 messages at once; right after, 10 other users ask one
    question each; the slowest of those 10 answers, from send to answer.
(3) **fan-out**: 200 reminders due in the same minute at the default 30 msg/s; seconds from the due
    instant to the last one, and the p95 lag of 20 single reminders due 3 s apart. The reminders are
    written to the database behind the bot's back, so only the periodic tick plus the wake-up it sets
    for the next due instant can deliver them.
(4) **internal dispatch** (needs --postgres-url / TEST_POSTGRES_URL): N reminders due at once on
    PostgreSQL, sent by 1, 2 and 4 dispatcher processes into an unlimited in-process sender; msg/s.
(5) **materialisation** (PostgreSQL): the first tick's materialisation of 100,000 plans.

Prints a table; no asserts on time. Everything shares this machine (2 cores when last measured).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scale import ECHO_BOT, TOKEN, Row, env_for, processes, spawn, wait_until

from bot.db.session import create_engine, create_session_factory
from bot.db.uow import SqlUnitOfWork
from bot.domain.reminders import ReminderPolicy
from bot.services.dispatcher import SENT, Dispatcher, MissedSummary, ReminderMessage, SendResult
from tests.fakes.seed import fresh_postgres, seed_due, seed_plans, status_counts
from tests.fakes.telegram import FakeBotAPI, FakeTelegramServer

QUESTIONS = ("can I fly with a blood clot", "what is warfarin", "is alcohol ok")


class TimedAPI(FakeBotAPI):
    """The fake Bot API, noting when each successful sendMessage reached it (per chat)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sent_at: dict[int, list[float]] = {}
        self._times = threading.Lock()

    def handle(self, method: str, params: Any, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        status, body = super().handle(method, params, **kwargs)
        if status == 200 and method.lower() == "sendmessage":
            with self._times:
                self.sent_at.setdefault(int(params["chat_id"]), []).append(time.time())
        return status, body

    def count(self, chat_id: int) -> int:
        with self._times:
            return len(self.sent_at.get(chat_id, ()))


def _answered(api: TimedAPI, user: int, n: int) -> bool:
    return api.count(user) >= n


def _human_users(api: TimedAPI, users: range, questions: tuple[str, ...]) -> None:
    """Each user asks each question and waits for its answer; all users at once (one thread each)."""

    def one(user: int) -> None:
        for n, question in enumerate(questions, start=1):
            api.user_sends(user, question)
            # The fake's own condition variable: no busy polling competing with the bots for the CPU.
            api.wait_for_messages(user, n, timeout=300)

    threads = [threading.Thread(target=one, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _start_bot(api: TimedAPI, server: FakeTelegramServer, folder: Path, name: str, **extra: str) -> Any:
    url = f"sqlite:///{folder / f'{name}.sqlite3'}"
    return spawn([sys.executable, "-m", "bot", "run"], env_for(server, url, **extra), folder / f"{name}.log")


def throughput(folder: Path, users: int = 100) -> list[Row]:
    """(1) answers/s at a human pace: ClotCare (two limits) vs a bare echo bot."""
    results: dict[str, float] = {}
    runs: list[tuple[str, dict[str, str] | None]] = [
        ("ClotCare, limit raised", {"TELEGRAM_MAX_MESSAGES_PER_SECOND": "1000"}),
        ("ClotCare, default 30/s", {}),
        ("bare PTB echo bot", None),
    ]
    for name, extra in runs:
        api = TimedAPI(token=TOKEN)
        with FakeTelegramServer(api) as server, processes() as procs:
            if extra is None:
                args = [sys.executable, "-c", ECHO_BOT, TOKEN, server.base_url]
                procs.append(spawn(args, env_for(server, "sqlite://"), folder / "echo.log"))
            else:
                procs.append(_start_bot(api, server, folder, f"t{len(results)}", **extra))
            api.wait_until_polling(timeout=60)
            started = time.perf_counter()
            _human_users(api, range(1, users + 1), QUESTIONS)
            results[name] = users * len(QUESTIONS) / (time.perf_counter() - started)
    echo = results["bare PTB echo bot"]
    rows = [Row(f"(1) {name}", f"{rate:,.0f} answers/s", "") for name, rate in results.items()]
    for name in ("ClotCare, limit raised", "ClotCare, default 30/s"):
        rows.append(Row(f"(1) ratio {name} / echo", f"{results[name] / echo:.2f}", "goal >= 0.9"))
    return rows


def noisy_neighbour(folder: Path, flood: int = 40, others: int = 10) -> Row:
    """(2) the slowest answer to 10 other users while one user floods 40 messages."""
    api = TimedAPI(token=TOKEN)
    with FakeTelegramServer(api) as server, processes() as procs:
        procs.append(_start_bot(api, server, folder, "noisy"))
        api.wait_until_polling(timeout=60)
        for _ in range(flood):
            api.user_sends(7000, QUESTIONS[1])
        sent: dict[int, float] = {}
        for user in range(7001, 7001 + others):
            sent[user] = time.time()
            api.user_sends(user, QUESTIONS[0])
        for user in sent:
            wait_until(partial(_answered, api, user, 1), 300, f"user {user}", poll=0.002)
        slowest = max(api.sent_at[u][0] - sent[u] for u in sent)
        flooder_done = api.count(7000)
    return Row(
        "(2) noisy neighbour: slowest other answer",
        f"{slowest:.2f} s",
        f"{others} users while one sent {flood} at once ({flooder_done} of its replies out by then); "
        "goal <= 1 s",
    )


def _lags(api: TimedAPI, dues: dict[int, datetime]) -> list[float]:
    return [api.sent_at[u][0] - due.timestamp() for u, due in dues.items()]


def fan_out(folder: Path, n: int = 200, singles: int = 20) -> list[Row]:
    """(3) 200 reminders due at one instant at 30 msg/s; then single reminders' lag."""
    api = TimedAPI(token=TOKEN)
    for user in range(1, n + singles + 1):
        api.register_user(user)
    with FakeTelegramServer(api) as server, processes() as procs:
        url = f"sqlite:///{folder / 'fan.sqlite3'}"
        procs.append(spawn([sys.executable, "-m", "bot", "run"], env_for(server, url), folder / "fan.log"))
        api.wait_until_polling(timeout=60)
        due = (datetime.now(UTC) + timedelta(seconds=30)).replace(microsecond=0)
        asyncio.run(seed_due(url, n, due))
        wait_until(lambda: sum(api.count(u) >= 1 for u in range(1, n + 1)) == n, 120, "fan-out", poll=0.01)
        lags = _lags(api, dict.fromkeys(range(1, n + 1), due))
        # Single reminders, 3 s apart: users n+1 .. n+singles, seeded one by one (ids must not clash).
        first = (datetime.now(UTC) + timedelta(seconds=25)).replace(microsecond=0)
        dues = {n + i: first + timedelta(seconds=3 * i) for i in range(1, singles + 1)}
        asyncio.run(_seed_singles(url, dues))
        wait_until(lambda: all(api.count(u) >= 1 for u in dues), 180, "single reminders", poll=0.01)
        single = sorted(_lags(api, dues))
    p95 = single[max(0, round(0.95 * len(single)) - 1)]
    return [
        Row(
            f"(3) fan-out: {n} due at once, last sent after",
            f"{max(lags):.2f} s",
            f"goal <= {1.1 * n / 30:.2f} s (1.1 x {n}/30); first after {min(lags):.2f} s",
        ),
        Row(
            f"(3) single reminder lag, p95 of {singles}",
            f"{p95:.2f} s",
            f"median {statistics.median(single):.2f} s, max {max(single):.2f} s; goal p95 < 2 s",
        ),
    ]


async def _seed_singles(url: str, dues: dict[int, datetime]) -> None:
    """Insert one user, plan and pending occurrence per entry, each due at its own instant."""
    from sqlalchemy import Table, insert

    from bot.db.base import Base
    from bot.db.reminders import ReminderOccurrence, ReminderPlan

    users = Base.metadata.tables["users"]
    plans, occurrences = cast(Table, ReminderPlan.__table__), cast(Table, ReminderOccurrence.__table__)
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            for user, due in dues.items():
                local = due.replace(second=0, microsecond=0)
                await conn.execute(
                    insert(users).values(
                        user_id=user,
                        chat_id=user,
                        timezone="UTC",
                        active=True,
                        created_at=due,
                        updated_at=due,
                    )
                )
                plan_id = (
                    await conn.execute(
                        insert(plans)
                        .values(
                            user_id=user,
                            kind="dose",
                            name="apixaban",
                            dose="5 mg",
                            times=f"{local:%H:%M}",
                            timezone="UTC",
                            active=True,
                            materialised_until=due + timedelta(days=3),
                            created_at=due,
                            updated_at=due,
                        )
                        .returning(plans.c.id)
                    )
                ).scalar_one()
                await conn.execute(
                    insert(occurrences).values(
                        plan_id=plan_id,
                        user_id=user,
                        kind="dose",
                        priority=0,
                        local_date=local.date(),
                        local_time=local.time(),
                        due_at=due,
                        deadline=due + timedelta(hours=4),
                        status="pending",
                        next_action_at=due,
                        delivered_late=False,
                        attempts=0,
                    )
                )
    finally:
        await engine.dispose()


class NullSender:
    """An unlimited in-process sender: every message 'sent' at once."""

    async def send_reminder(self, message: ReminderMessage) -> SendResult:
        return SENT

    async def send_missed_summary(self, summary: MissedSummary) -> SendResult:
        return SENT


def _dispatch_worker(url: str, slice_size: int, start: Any, done: Any) -> None:
    async def run() -> int:
        engine = create_engine(url, pool_size=4)
        factory = create_session_factory(engine)
        dispatcher = Dispatcher(
            lambda: SqlUnitOfWork(factory), ReminderPolicy(), batch_size=slice_size, concurrency=slice_size
        )
        start.wait()
        total = 0
        while True:
            report = await dispatcher.tick(datetime.now(UTC), NullSender())
            total += report.sent + report.late
            if report.claimed == 0:
                break
        await engine.dispose()
        return total

    done.put(asyncio.run(run()))


def internal_dispatch(base_url: str, workers: int, n: int, slice_size: int) -> Row:
    """(4) N due reminders, ``workers`` dispatcher processes, unlimited sender: msg/s."""
    with fresh_postgres(base_url, "clotcare_dispatch") as url:
        asyncio.run(seed_due(url, n, datetime.now(UTC) - timedelta(seconds=5)))
        ctx = multiprocessing.get_context("spawn")
        start, done = ctx.Event(), ctx.Queue()
        procs = [
            ctx.Process(target=_dispatch_worker, args=(url, slice_size, start, done)) for _ in range(workers)
        ]
        for p in procs:
            p.start()
        time.sleep(3)  # let every process import and connect before the clock starts
        started = time.perf_counter()
        start.set()
        sent = sum(done.get(timeout=600) for _ in procs)
        elapsed = time.perf_counter() - started
        for p in procs:
            p.join()
        counts = asyncio.run(status_counts(url))
    return Row(
        f"(4) internal dispatch, {workers} worker(s), slice {slice_size}",
        f"{n / elapsed:,.0f} msg/s",
        f"{n:,} due, {sent:,} sent in {elapsed:.1f} s; statuses {counts}",
    )


def materialisation(base_url: str, plans: int) -> Row:
    """(5) The first tick's materialisation over ``plans`` plans never materialised."""
    now = datetime.now(UTC)
    times = ",".join(sorted((now + timedelta(hours=h)).strftime("%H:%M") for h in (2, 14)))
    with fresh_postgres(base_url, "clotcare_mat") as url:
        asyncio.run(seed_plans(url, plans, now, times))

        async def run() -> float:
            engine = create_engine(url)
            factory = create_session_factory(engine)
            dispatcher = Dispatcher(lambda: SqlUnitOfWork(factory), ReminderPolicy())
            started = time.perf_counter()
            await dispatcher.materialise(now)
            elapsed = time.perf_counter() - started
            await engine.dispose()
            return elapsed

        elapsed = asyncio.run(run())
        occurrences = sum(asyncio.run(status_counts(url)).values())
    return Row(
        f"(5) materialise {plans:,} plans", f"{elapsed:.1f} s", f"{occurrences:,} occurrences; goal < 5 s"
    )


def main() -> None:
    """Run the scenarios and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgres-url", default=os.environ.get("TEST_POSTGRES_URL"))
    parser.add_argument("--only", default="1,2,3,4,5", help="scenarios to run, comma-separated")
    parser.add_argument("--reminders", type=int, default=20_000, help="(4) reminders due at once")
    parser.add_argument("--plans", type=int, default=100_000, help="(5) plans")
    parser.add_argument("--slices", default="16", help="(4) slice sizes, comma-separated")
    args = parser.parse_args()
    only = set(args.only.split(","))
    rows: list[Row] = []

    def run(key: str, make: Callable[[], list[Row]]) -> None:
        if key in only:
            found = make()
            rows.extend(found)
            for row in found:
                print(row, flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        run("1", lambda: throughput(folder))
        run("2", lambda: [noisy_neighbour(folder)])
        run("3", lambda: fan_out(folder))
        if args.postgres_url:
            run(
                "4",
                lambda: [
                    internal_dispatch(args.postgres_url, w, args.reminders, int(size))
                    for size in args.slices.split(",")
                    for w in (1, 2, 4)
                ],
            )
            run("5", lambda: [materialisation(args.postgres_url, args.plans)])
        elif only & {"4", "5"}:
            rows.append(Row("(4), (5)", "skipped", "set TEST_POSTGRES_URL or pass --postgres-url"))
    width = max(len(r.scenario) for r in rows)
    fig = max(len(r.figure) for r in rows)
    print(f"\n{'scenario':<{width}}  {'figure':>{fig}}  note")
    for r in rows:
        print(f"{r.scenario:<{width}}  {r.figure:>{fig}}  {r.note}")
    print(f"\n{os.cpu_count()} CPU cores; fake Bot API, PostgreSQL and every process on this machine.")


if __name__ == "__main__":
    main()
