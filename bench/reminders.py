"""Benchmark reminder delivery: N plans due in the same minute, two ways, side by side.

* **database tick** (what ClotCare does): plans and occurrences in SQLite, one ``Dispatcher.tick``
  claiming due rows in leased batches and sending through ``bot.jobs.TelegramSender``;
* **JobQueue, one job per reminder** (the obvious alternative): N ``run_once`` jobs on PTB's JobQueue
  (APScheduler 3, in memory), each awaiting the same send.

Both send to the in-process fake Bot API (``FakeBotAPI`` through ``FakeRequest``: no network), with
the same message text and buttons. Each row runs in its own child process so peak memory is its own.

Run with ``python bench/reminders.py`` (100,000 plans) or ``--plans 5000`` for a quick run.
Reports lost and duplicated reminders, dispatch throughput and peak RSS. No asserts on time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import resource
import subprocess
import sys
import tempfile
import time as wall
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from apscheduler.events import EVENT_JOB_MISSED
from sqlalchemy import Table, func, select
from telegram import Bot
from telegram.ext import ApplicationBuilder, CallbackContext
from telegram.request import RequestData
from typing_extensions import override

from bot.db.base import Base
from bot.db.migrate import upgrade_to_head
from bot.db.reminders import ReminderOccurrence, ReminderPlan
from bot.db.session import create_engine, create_session_factory
from bot.db.uow import SqlUnitOfWork
from bot.domain.reminders import Action, ReminderKind, ReminderPolicy
from bot.jobs import TelegramSender
from bot.services.dispatcher import Dispatcher, ReminderMessage, SendOutcome, TickReport
from bot.services.reminders import ReminderInfo
from tests.fakes.telegram import FakeBotAPI, FakeRequest

TOKEN = "123456:BENCH-TOKEN"
ZONE = "Europe/London"  # UTC in November, so local 08:00 is 08:00 UTC
DAY = date(2026, 11, 27)
SETUP_AT = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)
DUE_AT = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
DRUGS = ("apixaban", "rivaroxaban", "dabigatran", "edoxaban", "warfarin")


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the comparison."""

    mode: str
    plans: int
    delivered: int
    lost: int
    duplicates: int
    dispatch_seconds: float
    per_second: float
    peak_rss_mib: float
    note: str


def measured_row(mode: str, plans: int, transport: CountingRequest, elapsed: float, note: str) -> Row:
    """Build a row from what the fake delivered: one chat per plan, so extra sends are duplicates."""
    chats, sends = transport.delivered()
    return Row(
        mode=mode,
        plans=plans,
        delivered=chats,
        lost=plans - chats,
        duplicates=sends - chats,
        dispatch_seconds=elapsed,
        per_second=sends / elapsed if elapsed else 0.0,
        peak_rss_mib=peak_rss_mib(),
        note=note,
    )


def peak_rss_mib() -> float:
    """Return this process's peak resident set size in MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


class CountingRequest(FakeRequest):
    """The in-process transport, counting delivered messages per chat instead of keeping a call log.

    FakeBotAPI records every call for test assertions; over 100,000 sends that log would dominate
    the memory figures, so it is emptied after each call.
    """

    __slots__ = ("sends",)

    def __init__(self, api: FakeBotAPI) -> None:
        super().__init__(api)
        self.sends: Counter[int] = Counter()

    @override
    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = None,
        write_timeout: object = None,
        connect_timeout: object = None,
        pool_timeout: object = None,
    ) -> tuple[int, bytes]:
        """Send through the fake; count a successful sendMessage for its chat."""
        status, body = await super().do_request(url, method, request_data)
        if url.endswith("/sendMessage") and status == 200 and request_data is not None:
            self.sends[int(str(request_data.parameters["chat_id"]))] += 1
        self._api.calls.clear()
        return status, body

    def delivered(self) -> tuple[int, int]:
        """Return (distinct chats that got a reminder, reminders sent)."""
        return len(self.sends), sum(self.sends.values())


def fake_api(plans: int) -> FakeBotAPI:
    """Return a fake Bot API where every user has started the bot."""
    api = FakeBotAPI(token=TOKEN)
    for user_id in range(1, plans + 1):
        api.register_user(user_id)
    return api


# ---------------------------------------------------------------------- the database tick


async def seed(url: str, plans: int) -> None:
    """Insert one user and one dose plan at 08:00 per user, as /addmed would, in bulk."""
    engine = create_engine(url)
    users = Base.metadata.tables["users"]
    async with engine.begin() as conn:
        for start in range(1, plans + 1, 10_000):
            ids = range(start, min(start + 10_000, plans + 1))
            await conn.execute(
                users.insert(),
                [
                    {
                        "user_id": i,
                        "chat_id": i,
                        "timezone": ZONE,
                        "active": True,
                        "created_at": SETUP_AT,
                        "updated_at": SETUP_AT,
                    }
                    for i in ids
                ],
            )
            await conn.execute(
                cast(Table, ReminderPlan.__table__).insert(),
                [
                    {
                        "user_id": i,
                        "kind": ReminderKind.DOSE.value,
                        "name": DRUGS[i % len(DRUGS)],
                        "dose": "5 mg",
                        "times": "08:00",
                        "timezone": ZONE,
                        "active": True,
                        "materialised_until": SETUP_AT,
                        "created_at": SETUP_AT,
                        "updated_at": SETUP_AT,
                    }
                    for i in ids
                ],
            )
    await engine.dispose()


async def run_database(plans: int, batch: int, concurrency: int) -> Row:
    """Seed SQLite, materialise, then time the tick that delivers every due reminder."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        upgrade_to_head(url)
        await seed(url, plans)
        api = fake_api(plans)
        transport = CountingRequest(api)
        bot = Bot(TOKEN, request=transport)
        await bot.initialize()
        engine = create_engine(url)
        factory = create_session_factory(engine)
        dispatcher = Dispatcher(
            lambda: SqlUnitOfWork(factory),
            ReminderPolicy(),
            batch_size=batch,
            max_batches=plans // batch + 2,
            concurrency=concurrency,
        )
        started = wall.perf_counter()
        await dispatcher.materialise(SETUP_AT)
        materialised = wall.perf_counter() - started
        sender = TelegramSender(bot)
        rss_before = peak_rss_mib()
        started = wall.perf_counter()
        total = TickReport()
        while True:
            report = await dispatcher.tick(DUE_AT + timedelta(seconds=30), sender)
            total = total + report
            if report.claimed == 0:
                break
        elapsed = wall.perf_counter() - started
        async with engine.connect() as conn:
            still_pending = await conn.scalar(
                select(func.count())
                .select_from(ReminderOccurrence)
                .where(ReminderOccurrence.status == "pending", ReminderOccurrence.due_at <= DUE_AT)
            )
        await engine.dispose()
        await bot.shutdown()
    return measured_row(
        "database tick (ClotCare)",
        plans,
        transport,
        elapsed,
        f"materialise {materialised:.1f} s; batch {batch}, {concurrency} sends in flight; "
        f"due but still pending {still_pending}; failed {total.failed}; peak RSS before dispatch "
        f"{rss_before:,.0f} MiB",
    )


# ---------------------------------------------------------------------- PTB JobQueue, one job per reminder


def reminder_for(user_id: int) -> ReminderMessage:
    """Return the same message the tick would send to ``user_id``."""
    info = ReminderInfo(
        occurrence_id=user_id,
        kind=ReminderKind.DOSE,
        name=DRUGS[user_id % len(DRUGS)],
        dose="5 mg",
        local_date=DAY,
        local_time=time(8),
        timezone=ZONE,
        due_at=DUE_AT,
        deadline=DUE_AT + timedelta(hours=4),
    )
    return ReminderMessage(user_id, user_id, Action.SEND, info, ReminderPolicy().snooze_choices)


async def run_job_queue(plans: int) -> Row:
    """Schedule one run_once job per reminder, all due at the same instant, and count what arrives."""
    logging.getLogger("apscheduler").setLevel(logging.CRITICAL)  # one "missed" warning per skipped job
    api = fake_api(plans)
    transport = CountingRequest(api)
    app = ApplicationBuilder().token(TOKEN).request(transport).get_updates_request(FakeRequest(api)).build()
    assert app.job_queue is not None
    sender = TelegramSender(app.bot)
    ran = 0
    finished = 0
    missed = 0
    last_done = 0.0

    async def remind(context: CallbackContext[Any, Any, Any, Any]) -> None:
        nonlocal ran, finished, last_done
        ran += 1
        try:
            assert context.job is not None
            assert isinstance(context.job.data, ReminderMessage)
            result = await sender.send_reminder(context.job.data)
            if result.outcome is not SendOutcome.SENT:
                logging.getLogger(__name__).warning("send failed: %s", result.outcome)
        finally:
            finished += 1
            last_done = wall.perf_counter()

    def on_missed(_event: object) -> None:
        nonlocal missed
        missed += 1

    # APScheduler drops a job that starts more than misfire_grace_time late and only emits this event.
    app.job_queue.scheduler.add_listener(on_missed, EVENT_JOB_MISSED)

    # Leave time to schedule everything before the reminders fall due, so no job starts out late.
    lead = 10.0 + plans / 2_500
    due = datetime.now(UTC) + timedelta(seconds=lead)
    due_perf = wall.perf_counter() + lead
    scheduling = wall.perf_counter()
    for user_id in range(1, plans + 1):
        app.job_queue.run_once(remind, when=due, data=reminder_for(user_id), name=str(user_id))
    scheduled_in = wall.perf_counter() - scheduling
    async with app:
        await app.start()
        ready_before_due = due_perf - wall.perf_counter()
        rss_before = peak_rss_mib()
        await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()))
        while finished + missed < plans:
            await asyncio.sleep(0.01)
            if wall.perf_counter() - due_perf > 600:
                break
        # From the instant the reminders fell due until every job has either run or been dropped.
        elapsed = max(wall.perf_counter(), last_done) - due_perf
        await app.stop()
    return measured_row(
        "JobQueue, 1 job/reminder",
        plans,
        transport,
        elapsed,
        f"scheduling {scheduled_in:.1f} s, all jobs in place {ready_before_due:.1f} s before they fell "
        f"due; jobs run {ran}, dropped as misfired (APScheduler misfire_grace_time 1 s) {missed}; "
        f"peak RSS before dispatch {rss_before:,.0f} MiB",
    )


# ---------------------------------------------------------------------- driver


def child(mode: str, args: argparse.Namespace) -> None:
    """Run one row in this process and print it as JSON."""
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("bot").setLevel(logging.WARNING)
    if mode == "database":
        row = asyncio.run(run_database(args.plans, args.batch, args.concurrency))
    else:
        row = asyncio.run(run_job_queue(args.plans))
    print(json.dumps(asdict(row)))


def main() -> None:
    """Run both rows in child processes and print them side by side."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--plans", type=int, default=100_000, help="plans due in the same minute")
    parser.add_argument("--batch", type=int, default=500, help="rows claimed per batch by the tick")
    parser.add_argument("--concurrency", type=int, default=32, help="sends in flight per batch")
    parser.add_argument("--row", choices=("database", "jobqueue"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.row:
        child(args.row, args)
        return
    print(f"{args.plans:,} plans due at 08:00, in-process fake Bot API (no network)\n")
    rows: list[Row] = []
    for mode in ("database", "jobqueue"):
        command = [
            sys.executable,
            __file__,
            "--row",
            mode,
            "--plans",
            str(args.plans),
            "--batch",
            str(args.batch),
            "--concurrency",
            str(args.concurrency),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"{mode} run failed:\n{done.stderr[-3000:]}")
            continue
        rows.append(Row(**json.loads(done.stdout.strip().splitlines()[-1])))
    header = (
        f"{'mode':<26} {'plans':>8} {'lost':>8} {'dups':>5} {'dispatch s':>10} {'reminders/s':>11} "
        f"{'peak RSS MiB':>12}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row.mode:<26} {row.plans:>8,} {row.lost:>8,} {row.duplicates:>5,} "
            f"{row.dispatch_seconds:>10.1f} {row.per_second:>11,.0f} {row.peak_rss_mib:>12,.0f}"
        )
    print()
    for row in rows:
        print(f"{row.mode}: {row.note}")


if __name__ == "__main__":
    main()
