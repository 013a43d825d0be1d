"""One guided flow per user, kept in the database: a command ends it, a restart does not.

Feature handlers keep their step in ``context.user_data["flow"]`` and their answers so far in
``context.user_data["rem_draft"]``; this module makes that state trustworthy:

* before any other handler (group -2), the stored flow is loaded once per process, and any command
  except /cancel ends the open flow (so a complete one-line ``/addmed`` never leaves a wizard behind);
* after every handler (group 100), a changed flow is written to the database, so a half-finished flow
  survives a restart (and a crash after the reply).

Only the step and what was asked for (a medicine name, a dose, times, a plan id) is stored; the
symptom check keeps its answers in memory only and is never stored.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Final

from telegram import MessageEntity, Update
from telegram.ext import TypeHandler

from bot.handlers.common import ClotApplication, ClotContext, end_flow
from bot.services.errors import StorageUnavailable

log = logging.getLogger(__name__)

FLOW_KEY: Final = "flow"
DRAFT_KEY: Final = "rem_draft"
_LOADED_KEY: Final = "_flow_loaded"
_SAVED_KEY: Final = "_flow_saved"
# Flows whose answers may be stored; the symptom check ("check") never is.
_STORED_PREFIXES: Final = ("rem.", "country", "timezone")
BEFORE_GROUP: Final = -2
AFTER_GROUP: Final = 100


def _stored_state(data: dict[Any, Any]) -> tuple[str, dict[str, Any]] | None:
    """Return the flow and draft that belong in the database, or None when no storable flow is open."""
    flow = data.get(FLOW_KEY)
    if not isinstance(flow, str) or not flow.startswith(_STORED_PREFIXES):
        return None
    draft = data.get(DRAFT_KEY)
    return flow, dict(draft) if isinstance(draft, dict) else {}


def _encode(state: tuple[str, dict[str, Any]] | None) -> str:
    return json.dumps(state, sort_keys=True, default=str)


def command_name(update: Update) -> str | None:
    """Return the command an update's message starts with ("addmed" for "/addmed@ClotBot x"), or None."""
    message = update.message or update.edited_message
    if message is None or not message.text or not message.entities:
        return None
    first = message.entities[0]
    if first.type != MessageEntity.BOT_COMMAND or first.offset != 0:
        return None
    return message.text[1 : first.length].split("@", 1)[0].casefold()


async def before_update(update: Update, context: ClotContext) -> None:
    """Load the stored flow once per process; end the open flow when a command (not /cancel) arrives."""
    user = update.effective_user
    data = context.user_data
    if user is None or data is None:
        return
    if not data.get(_LOADED_KEY):
        data[_LOADED_KEY] = True
        try:
            record = await context.services.users.flows.load(user.id)
        except StorageUnavailable:
            log.warning("flow state not loaded: user=%s", user.id)
            record = None
        if record is not None and FLOW_KEY not in data:
            data[FLOW_KEY] = record.flow
            data[DRAFT_KEY] = dict(record.data)
        data[_SAVED_KEY] = _encode(_stored_state(data))
    name = command_name(update)
    if name is not None and name != "cancel" and data.get(FLOW_KEY):
        # Any command replaces the flow it interrupts; /cancel ends it itself and says so.
        log.info("flow ended by a command: user=%s", user.id)
        end_flow(context)


async def after_update(update: Update, context: ClotContext) -> None:
    """Store the flow if the update changed it (or end the stored one)."""
    user = update.effective_user
    data = context.user_data
    if user is None or data is None or not data.get(_LOADED_KEY):
        return
    state = _stored_state(data)
    encoded = _encode(state)
    if encoded == data.get(_SAVED_KEY):
        return
    try:
        if state is None:
            await context.services.users.flows.clear(user.id)
        else:
            await context.services.users.flows.save(user.id, state[0], state[1])
    except StorageUnavailable:
        # Memory still holds the flow; it is written with the next update that reaches the database.
        log.warning("flow state not stored: user=%s", user.id)
        return
    data[_SAVED_KEY] = encoded


def register(app: ClotApplication) -> set[str]:
    """Register the before and after handlers (their own groups, around every feature's handlers)."""
    app.add_handler(TypeHandler(Update, before_update), group=BEFORE_GROUP)
    app.add_handler(TypeHandler(Update, after_update), group=AFTER_GROUP)
    return set()
