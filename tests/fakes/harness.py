"""Drive the real Application in-process: real Update objects through ``process_update``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from typing import Any

from telegram import Update

from bot.app import Knowledge, build_application, build_runtime, load_knowledge
from bot.config import Settings
from bot.domain.clock import Clock, FixedClock
from bot.handlers.common import ClotApplication
from tests.fakes.telegram import BotMessage, FakeBotAPI, FakeRequest


class BotHarness:
    """A user's-eye view of the bot: send text, press buttons, read replies."""

    def __init__(self, app: ClotApplication, api: FakeBotAPI, clock: Clock) -> None:
        self.app = app
        self.api = api
        self.clock = clock

    async def feed(self, update: dict[str, Any]) -> None:
        """Process one raw update the way polling would."""
        await self.app.process_update(Update.de_json(update, self.app.bot))

    async def send(self, user_id: int, text: str, **kwargs: Any) -> list[BotMessage]:
        """Send ``text`` as ``user_id``; return the bot messages it caused in that chat."""
        chat_id = kwargs.get("chat_id") or user_id
        before = len(self.api.messages(chat_id))
        await self.feed(self.api.user_sends(user_id, text, **kwargs))
        return self.api.messages(chat_id)[before:]

    async def press(self, user_id: int, message: BotMessage, label_or_data: str) -> list[BotMessage]:
        """Press the button whose label contains ``label_or_data`` (or whose data equals it)."""
        data = None
        for row in message.buttons:
            for text, callback_data in row:
                if callback_data == label_or_data or label_or_data in text:
                    data = callback_data
                    break
            if data:
                break
        assert data is not None, f"no button {label_or_data!r} in {message.buttons}"
        return await self.press_data(user_id, message, data)

    async def press_data(self, user_id: int, message: BotMessage, data: str) -> list[BotMessage]:
        """Send a callback query with arbitrary (possibly forged or stale) ``data`` for ``message``."""
        before = len(self.api.messages(message.chat_id))
        update = self.api.user_presses(
            user_id, message.message_id, data, chat_id=message.chat_id, require_button=False
        )
        await self.feed(update)
        return self.api.messages(message.chat_id)[before:]


@asynccontextmanager
async def running_bot(
    settings: Settings, clock: Clock | None = None, knowledge: Knowledge | None = None
) -> AsyncIterator[BotHarness]:
    """Build the real Application on the fake Bot API, initialise it, yield a harness."""
    api = FakeBotAPI(
        token=settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
    )
    clock = clock or FixedClock(_default_start())
    runtime = build_runtime(settings, clock=clock, knowledge=knowledge or shared_knowledge())
    app = build_application(
        settings, runtime, request=FakeRequest(api), updates_request=FakeRequest(api), rate_limited=False
    )
    async with app:
        if app.post_init is not None:
            await app.post_init(app)
        try:
            yield BotHarness(app, api, clock)
        finally:
            if app.post_shutdown is not None:
                await app.post_shutdown(app)


@cache
def shared_knowledge() -> Knowledge:
    """Load content/ once per test process: it is immutable and takes most of a harness's start-up."""
    return load_knowledge(Settings(_env_file=None))


def _default_start() -> Any:
    from datetime import UTC, datetime

    return datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
