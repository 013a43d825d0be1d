"""Shared handler plumbing: the typed context and small reply helpers."""

from __future__ import annotations

from typing import Any, cast

from telegram import Message, Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.services.container import Services

SERVICES_KEY = "services"


class ClotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """CallbackContext with typed access to the services."""

    @property
    def services(self) -> Services:
        """Return the services wired by the composition root."""
        return cast(Services, self.bot_data[SERVICES_KEY])


ClotApplication = Application[ExtBot[None], ClotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any]


def message_of(update: Update) -> Message | None:
    """Return the message to answer (new or edited), if any."""
    return update.effective_message


def command_args(context: ClotContext) -> list[str]:
    """Return the command's arguments (never None)."""
    return list(context.args or [])
