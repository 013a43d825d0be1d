"""/start, /help and /cancel."""

from __future__ import annotations

import logging

from telegram import Message, ReplyKeyboardRemove, Update
from telegram.constants import ChatType, ParseMode
from telegram.ext import CommandHandler

from bot.domain.countries import Country, country
from bot.handlers.common import ClotApplication, ClotContext
from bot.handlers.flowstate import clear_flow_state
from bot.services.errors import StorageUnavailable
from bot.views import common as views

log = logging.getLogger(__name__)

AVAILABLE_COMMANDS_KEY = "available_commands"
_COMMON_COUNTRIES = ("GB", "US", "DE", "FR", "IN", "AU")


def private_chat_id(message: Message, user_id: int) -> int:
    """Return the chat where the user's own messages (reminders) go: their private chat, never a group."""
    # A private chat's id is the user's id. Using a group's id here would send a member's dose
    # reminders, medicine names included, to everyone in that group.
    return message.chat_id if message.chat.type == ChatType.PRIVATE else user_id


def common_countries() -> list[Country]:
    """Return the countries offered as one-tap choices during onboarding."""
    return [c for c in (country(code) for code in _COMMON_COUNTRIES) if c is not None]


async def start(update: Update, context: ClotContext) -> None:
    """Greet the user, show the disclaimer, and start onboarding (country, then time zone)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    clear_flow_state(context)
    profile = None
    created = True
    try:
        profile, created = await context.services.users.register(
            user.id, private_chat_id(message, user.id), user.language_code
        )
    except StorageUnavailable:
        log.warning("start: storage unavailable user=%s", user.id)
    await message.reply_text(
        views.render_welcome(user.first_name, returning=not created), parse_mode=ParseMode.HTML
    )
    if profile is None or profile.country is None:
        await message.reply_text(
            views.render_onboarding_country(),
            parse_mode=ParseMode.HTML,
            reply_markup=views.onboarding_country_keyboard(common_countries()),
        )
    elif profile.timezone is None:
        known = country(profile.country)
        await message.reply_text(
            views.render_onboarding_timezone(known.name if known else None),
            parse_mode=ParseMode.HTML,
            reply_markup=views.location_keyboard(),
        )


def available_commands(context: ClotContext) -> frozenset[str]:
    """Return the commands this build of the bot registered."""
    return frozenset(context.bot_data.get(AVAILABLE_COMMANDS_KEY, frozenset()))


async def help_command(update: Update, context: ClotContext) -> None:
    """List every command with one line each, and the disclaimer."""
    if update.effective_message is None:
        return
    await update.effective_message.reply_text(
        views.render_help(available_commands(context)), parse_mode=ParseMode.HTML
    )


async def cancel(update: Update, context: ClotContext) -> None:
    """Leave any guided flow (symptom check, reminder set-up, settings prompt)."""
    if update.effective_message is None:
        return
    had_flow = clear_flow_state(context)
    await update.effective_message.reply_text(
        views.render_cancelled(had_flow), parse_mode=ParseMode.HTML, reply_markup=ReplyKeyboardRemove()
    )


def register(app: ClotApplication) -> set[str]:
    """Register the handlers of this module; return the command names."""
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("help", help_command))
    app.add_handler(CommandHandler("cancel", cancel))
    return {"start", "help", "cancel"}
