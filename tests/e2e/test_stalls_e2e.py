"""Stalls, not crashes: Telegram hanging, PostgreSQL accepting connections and answering nothing.

A refused connection is easy; a silent one is what used to freeze everything. Through the real
``python -m bot run`` process on the HTTP fake:

* Telegram down for 25 s (every sendMessage hangs, then fails undelivered): each reply sent meanwhile
  arrives once Telegram is back, none lost; safety guidance included.
* PostgreSQL stalled (``ThreadedTcpProxy.stall``): /emergency and red-flag messages are answered
  within a few seconds from the cached or default country, questions from the content base are
  answered, what needs the database gets the polite "can't save right now" once the bounded statement
  timeout fires, and SIGTERM is honoured within the grace period.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_ENV, SKIP_POSTGRES_REASON
from tests.e2e.conftest import BotProcess
from tests.fakes.seed import fresh_postgres
from tests.fakes.tcp_proxy import ThreadedTcpProxy
from tests.fakes.telegram import FakeBotAPI, FakeTelegramServer

pytestmark = pytest.mark.e2e

QUESTION = "can I fly with a blood clot"
RED_FLAG = "I suddenly can't breathe"


def _wait_for(api: FakeBotAPI, chat_id: int, count: int, timeout: float) -> list[str]:
    return [m.plain_text for m in api.wait_for_messages(chat_id, count, timeout=timeout)]


@pytest.mark.chaos
def test_replies_sent_while_telegram_hangs_arrive_after_it_recovers(bot_process: BotProcess) -> None:
    api = bot_process.api
    api.user_sends(6100, QUESTION)
    assert _wait_for(api, 6100, 1, 15)  # warmed up: the connection to the fake is open
    api.outage("sendMessage", 25)
    users = list(range(6101, 6106))
    for user in users:
        api.user_sends(user, QUESTION)
    api.user_sends(6110, "/emergency")
    api.user_sends(6111, RED_FLAG)
    # Nothing can arrive during the outage; everything must arrive after it (retries back off to 30 s).
    for user in users:
        (answer, *_) = _wait_for(api, user, 1, 90)
        assert "journeys" in answer.lower(), answer
    assert _wait_for(api, 6110, 1, 90)[0].startswith("🚨")
    assert _wait_for(api, 6111, 1, 90)[0].startswith("🚨")
    failed = [c for c in api.calls_of("sendMessage") if not c.ok]
    assert failed, "the outage should have failed some sends"
    assert "given up" not in bot_process.logs()


@pytest.mark.postgres
@pytest.mark.chaos
def test_a_stalled_postgresql_never_silences_safety_or_blocks_sigterm(
    fake_api: tuple[FakeBotAPI, FakeTelegramServer], tmp_path: Path
) -> None:
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(SKIP_POSTGRES_REASON)
    api, server = fake_api
    parsed = make_url(base)
    proxy = ThreadedTcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432)
    try:
        with fresh_postgres(base, "clotcare_stall") as url:
            via_proxy = (
                make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
            )
            bot = BotProcess(api, server, via_proxy, tmp_path / "bot.log")
            bot.extra_env.update(
                AUTO_MIGRATE="false",
                DATABASE_STATEMENT_TIMEOUT_SECONDS="3",
                DATABASE_CONNECT_TIMEOUT_SECONDS="2",
                DATABASE_POOL_TIMEOUT_SECONDS="2",
                SHUTDOWN_GRACE_SECONDS="15",
            )
            bot.start(timeout=60)
            try:
                # A known user: the country comes from the cache once the database stalls.
                api.user_sends(6200, "/country GB")
                assert "999" in _wait_for(api, 6200, 1, 15)[0]

                proxy.stall()
                api.user_sends(6200, "/emergency")
                for user in (6201, 6202, 6203):
                    api.user_sends(user, RED_FLAG)
                api.user_sends(6204, QUESTION)
                api.user_sends(6205, "/reminders")
                # "Within a few seconds": far less than the 3 s statement timeout plus retries would take.
                emergency = _wait_for(api, 6200, 2, 8)[1]
                assert emergency.startswith("🚨")
                assert "999" in emergency.splitlines()[0]  # the cached country, not the default
                for user in (6201, 6202, 6203):
                    assert _wait_for(api, user, 1, 8)[0].startswith("🚨")
                assert "journeys" in _wait_for(api, 6204, 1, 15)[0].lower()
                assert "can't" in _wait_for(api, 6205, 1, 30)[0].lower()

                # SIGTERM while the database is still stalled: the process exits within its grace period.
                started = time.monotonic()
                code = bot.stop(signal.SIGTERM, timeout=30)
                print(f"\nstalled-database SIGTERM: exit {code} after {time.monotonic() - started:.1f} s")
                assert code in (0, 1), bot.logs()[-3000:]
                proxy.unstall()
            finally:
                bot.stop(signal.SIGKILL)
    finally:
        proxy.close()
