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


# What a guided flow keeps in user_data: its step, the answers so far, the symptom check's state.
FLOW_STATE_KEYS = ("flow", "rem_draft", "check")


def end_flow(context: ClotContext) -> bool:
    """End any guided flow in progress for this user (step and answers); tell whether there was one."""
    if context.user_data is None:
        return False
    had = bool(context.user_data.get("flow"))
    for key in FLOW_STATE_KEYS:
        context.user_data.pop(key, None)
    return had


def clear_flow(context: ClotContext) -> bool:
    """Forget any guided flow in progress for this user; tell whether there was one."""
    return end_flow(context)
