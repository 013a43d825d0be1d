"""Chat with the real Application in a terminal: the in-process fake Bot API stands in for Telegram.

This is how a clinician reviews ClotCare offline: the same handlers, views and database code as in
production, no token and no network. Bot messages are shown as plain text; inline buttons are
numbered and pressed by typing their number.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from telegram import Update

CONSOLE_USER_ID = 1001
Writer = Callable[[str], None]
Reader = Callable[[str], str]


class ConsoleSession:
    """One terminal conversation: feeds what the user types, prints what the bot sends."""

    def __init__(self, app: Any, api: Any, write: Writer) -> None:
        self._app = app
        self._api = api
        self._write = write
        self._seen: dict[int, tuple[str, bool]] = {}
        self._buttons: list[tuple[int, str]] = []

    async def handle_line(self, line: str) -> None:
        """Turn one typed line into an update (text or button press) and process it."""
        line = line.strip()
        if line.isdigit() and 1 <= int(line) <= len(self._buttons):
            message_id, data = self._buttons[int(line) - 1]
            update = self._api.user_presses(CONSOLE_USER_ID, message_id, data, require_button=False)
        elif line.casefold() in {"/location", "/loc"}:
            update = self._api.user_sends_location(CONSOLE_USER_ID, 51.5072, -0.1276)
        else:
            update = self._api.user_sends(CONSOLE_USER_ID, line or " ", first_name="Reviewer")
        await self._app.process_update(Update.de_json(update, self._app.bot))
        self.show_new()

    def show_new(self) -> None:
        """Print bot messages that are new or changed since the last call, with numbered buttons."""
        buttons: list[tuple[int, str]] = []
        for msg in self._api.messages(CONSOLE_USER_ID):
            state = (msg.plain_text + repr(msg.reply_markup), msg.edited)
            if self._seen.get(msg.message_id) == state:
                continue
            self._seen[msg.message_id] = state
            label = "bot (edited)" if msg.edited else "bot"
            body = msg.plain_text or ("[document " + msg.document[0] + "]" if msg.document else "")
            if msg.photo is not None:
                body = f"[picture, {len(msg.photo)} bytes] {body}"
            self._write(f"\n{label}> {body}\n")
            for row in msg.buttons:
                for text, data in row:
                    if data:
                        buttons.append((msg.message_id, data))
                        self._write(f"   [{len(buttons)}] {text}\n")
        if buttons:
            self._buttons = buttons


async def _watch(session: ConsoleSession, interval: float = 1.0) -> None:
    while True:
        await asyncio.sleep(interval)
        session.show_new()


async def _run(database_url: str, read: Reader, write: Writer) -> int:
    from bot.app import build_application, build_runtime
    from bot.config import Settings
    from bot.db.migrate import upgrade_to_head
    from bot.devtools import fake_telegram as fake

    api = fake.FakeBotAPI()
    settings = Settings(
        _env_file=None,
        telegram_bot_token=api.token,
        database_url=database_url,
        telegram_api_base_url="http://fake-telegram.invalid/bot",
    )
    upgrade_to_head(database_url)
    runtime = build_runtime(settings)
    app = build_application(
        settings,
        runtime,
        request=fake.FakeRequest(api),
        updates_request=fake.FakeRequest(api),
        rate_limited=False,
    )
    session = ConsoleSession(app, api, write)
    write(
        "ClotCare console — you are chatting with the real bot through a fake Telegram.\n"
        "Type messages or /commands; type a button's number to press it; /location shares a location "
        "(London); Ctrl-D or 'quit' leaves.\n"
    )
    async with app:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        # Reminders arrive on their own (the tick runs in the JobQueue): show them as they come.
        watcher = asyncio.create_task(_watch(session))
        try:
            await session.handle_line("/start")
            while True:
                try:
                    line = await asyncio.to_thread(read, "\nyou> ")
                except EOFError:
                    break
                if line.strip().casefold() in {"quit", "exit"}:
                    break
                await session.handle_line(line)
        finally:
            watcher.cancel()
            await app.stop()
            if app.post_shutdown is not None:
                await app.post_shutdown(app)
    write("\nBye.\n")
    return 0


def _write_stdout(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def run_console(database_url: str | None = None, read: Reader = input, write: Writer | None = None) -> int:
    """Run the console until EOF or 'quit'; use a temporary SQLite database unless one is given."""
    out: Writer = write or _write_stdout
    if database_url is not None:
        return asyncio.run(_run(database_url, read, out))
    with tempfile.TemporaryDirectory(prefix="clotcare-console-") as folder:
        return asyncio.run(_run(f"sqlite:///{Path(folder) / 'console.sqlite3'}", read, out))
