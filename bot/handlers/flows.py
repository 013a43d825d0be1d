"""One guided flow per user, kept in the database: a command ends it, a restart does not.

Feature handlers keep their step and their answers so far as one typed ``FlowState``
(bot.handlers.flowstate); this module makes that state trustworthy:

* before any other handler (group -2), the stored flow is loaded once per process, and any command
  except /cancel ends the open flow (so a complete one-line ``/addmed`` never leaves a wizard behind);
* after every handler (group 100), a changed flow is written to the database, so a half-finished flow
  survives a restart (and a crash after the reply);
* a stored flow this bot cannot read (an unknown step, an answer of the wrong type) is dropped, and the
  user is told to start that step again.

Only the step and what was asked for (a medicine name, a dose, times, a plan id) is stored; the
symptom check keeps its answers in memory only and is never stored.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Final

from telegram import MessageEntity, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import TypeHandler

from bot.handlers.common import ClotApplication, ClotContext
from bot.handlers.flowstate import FlowState, FlowStateError, clear_flow_state, get_flow, set_flow
from bot.services.errors import StorageUnavailable
from bot.views import common as views

log = logging.getLogger(__name__)

_LOADED_KEY: Final = "_flow_loaded"
_SAVED_KEY: Final = "_flow_saved"
BEFORE_GROUP: Final = -2
AFTER_GROUP: Final = 100


def _stored_state(context: ClotContext) -> tuple[str, dict[str, Any]] | None:
    """Return the flow and answers that belong in the database, or None when no storable flow is open."""
    state = get_flow(context)
    return state.to_record() if state is not None and state.kind.stored else None


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
        saved = _stored_state(context)
        if record is not None and get_flow(context) is None:
            restored = await _restore(update, context, record.flow, record.data)
            # A dropped row still counts as stored, so after_update deletes it.
            saved = _stored_state(context) if restored else (record.flow, dict(record.data))
        data[_SAVED_KEY] = _encode(saved)
    name = command_name(update)
    if name is not None and name != "cancel" and get_flow(context) is not None:
        # Any command replaces the flow it interrupts; /cancel ends it itself and says so.
        log.info("flow ended by a command: user=%s", user.id)
        clear_flow_state(context)


async def _restore(update: Update, context: ClotContext, flow: object, answers: object) -> bool:
    """Open the stored step again; tell the user when it cannot be read, and return False then."""
    try:
        set_flow(context, FlowState.from_record(flow, answers))
        return True
    except FlowStateError as exc:
        user_id = update.effective_user.id if update.effective_user is not None else None
        log.warning("stored flow dropped: user=%s reason=%s", user_id, exc)
        message = update.effective_message
        if message is not None:
            try:
                await message.reply_text(views.render_flow_dropped(), parse_mode=ParseMode.HTML)
            except TelegramError as error:
                log.warning("flow dropped reply not sent: user=%s error=%s", user_id, type(error).__name__)
        return False


async def after_update(update: Update, context: ClotContext) -> None:
    """Store the flow if the update changed it (or end the stored one)."""
    user = update.effective_user
    data = context.user_data
    if user is None or data is None or not data.get(_LOADED_KEY):
        return
    state = _stored_state(context)
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
