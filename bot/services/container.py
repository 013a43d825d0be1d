"""The services the handlers and jobs use, wired once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.clock import Clock
from bot.domain.emergency import EmergencyDirectory
from bot.services.dispatcher import Dispatcher
from bot.services.qa import QAService
from bot.services.reminders import ReminderService
from bot.services.users import UserService


@dataclass(frozen=True, slots=True)
class Services:
    """Everything a handler may call; built in ``bot.app.build_services``."""

    clock: Clock
    users: UserService
    emergency: EmergencyDirectory
    qa: QAService
    reminders: ReminderService
    dispatcher: Dispatcher
