"""/settings, /country, /timezone, shared locations and the settings buttons."""

from __future__ import annotations

import asyncio
import logging

from telegram import CallbackQuery, Message, ReplyKeyboardRemove, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.domain.countries import country, resolve_country, suggest_countries
from bot.domain.timezones import (
    is_valid_zone,
    local_now,
    offset_label,
    resolve_timezone,
    timezone_at,
    utc_offset,
    zone_label,
)
from bot.handlers.common import ClotApplication, ClotContext, command_args
from bot.handlers.flowstate import FlowKind, FlowState, register_steps, set_flow
from bot.handlers.start import common_countries, private_chat_id
from bot.services.errors import StorageUnavailable
from bot.views import common as views
from bot.views.callbacks import decode
from bot.views.reminders import render_timezone_moves
from bot.views.safety import emergency_number_line

log = logging.getLogger(__name__)


def _time_text(zone: str, context: ClotContext) -> str:
    return local_now(zone, context.services.clock.now()).strftime("%H:%M")


async def settings(update: Update, context: ClotContext) -> None:
    """Show country, emergency number and time zone, with buttons to change them."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    try:
        profile = await context.services.users.profile(user.id)
    except StorageUnavailable:
        await message.reply_text(views.render_storage_unavailable(), parse_mode=ParseMode.HTML)
        return
    code = profile.country if profile else None
    zone = profile.timezone if profile else None
    known = country(code) if code else None
    line = emergency_number_line(context.services.emergency.lookup(code)) if code else None
    safety = await context.services.users.safety_profile(user.id)
    thinner = views.render_blood_thinner(safety.said_on_blood_thinners, safety.anticoagulant)
    await message.reply_text(
        views.render_settings(known, line, zone, _time_text(zone, context) if zone else None, thinner),
        parse_mode=ParseMode.HTML,
        reply_markup=views.settings_keyboard(),
    )


async def _apply_country(message: Message, user_id: int, code: str, context: ClotContext) -> None:
    try:
        change = await context.services.users.set_country(user_id, private_chat_id(message, user_id), code)
    except StorageUnavailable:
        await message.reply_text(views.render_storage_unavailable(), parse_mode=ParseMode.HTML)
        return
    line = emergency_number_line(context.services.emergency.lookup(change.country.code))
    await message.reply_text(
        views.render_country_set(change.country, line, change.zone_set), parse_mode=ParseMode.HTML
    )
    if change.profile.timezone is None:
        await message.reply_text(
            views.render_onboarding_timezone(change.country.name),
            parse_mode=ParseMode.HTML,
            reply_markup=views.location_keyboard(),
        )


async def handle_country_text(message: Message, user_id: int, text: str, context: ClotContext) -> None:
    """Resolve a typed country (from /country or after the 'Change country' button)."""
    found = resolve_country(text)
    if found is not None:
        await _apply_country(message, user_id, found.code, context)
        return
    suggestions = suggest_countries(text)
    await message.reply_text(
        views.render_country_unknown(text, suggestions),
        parse_mode=ParseMode.HTML,
        reply_markup=views.country_suggestions_keyboard(suggestions) if suggestions else None,
    )


async def country_command(update: Update, context: ClotContext) -> None:
    """Set the country from an ISO code, an English name or an alias."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    args = command_args(context)
    if not args:
        await message.reply_text(
            views.render_country_usage(),
            parse_mode=ParseMode.HTML,
            reply_markup=views.onboarding_country_keyboard(common_countries()),
        )
        return
    await handle_country_text(message, user.id, " ".join(args), context)


async def _apply_timezone(
    message: Message, user_id: int, zone: str, fixed: bool, context: ClotContext
) -> None:
    try:
        # The zone and the reminders move together, in one transaction.
        moved = await context.services.reminders.change_timezone(
            user_id, private_chat_id(message, user_id), zone
        )
        if moved.old_zone != zone:
            await context.services.users.timezone_changed(user_id, moved.old_zone, zone)
    except StorageUnavailable:
        await message.reply_text(views.render_storage_unavailable(), parse_mode=ParseMode.HTML)
        return
    now = context.services.clock.now()
    minutes = int(utc_offset(zone, now).total_seconds() // 60)
    await message.reply_text(
        views.render_timezone_set(
            zone_label(zone, now),
            _time_text(zone, context),
            fixed,
            views.offset_in_words(offset_label(zone, now), minutes),
            render_timezone_moves(moved.moves),
        ),
        parse_mode=ParseMode.HTML,
        reply_markup=ReplyKeyboardRemove(),
    )


async def handle_timezone_text(message: Message, user_id: int, text: str, context: ClotContext) -> None:
    """Resolve a typed zone, city or UTC offset."""
    code: str | None = None
    try:
        profile = await context.services.users.profile(user_id)
        code = profile.country if profile else None
    except StorageUnavailable:
        log.warning("timezone: storage unavailable user=%s", user_id)
    # The first lookup of a city reads the GeoNames gazetteer (about a second): keep the loop free.
    match = await asyncio.to_thread(resolve_timezone, text, country=code, now=context.services.clock.now())
    if match.zone is not None:
        await _apply_timezone(message, user_id, match.zone, match.fixed_offset, context)
        return
    await message.reply_text(
        views.render_timezone_unknown(text, match.suggestions, match.ambiguous),
        parse_mode=ParseMode.HTML,
        reply_markup=views.zone_choice_keyboard(match.suggestions) if match.suggestions else None,
    )


async def timezone_command(update: Update, context: ClotContext) -> None:
    """Set the time zone from an IANA name, a city or a UTC offset."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    args = command_args(context)
    if not args:
        await message.reply_text(
            views.render_timezone_usage(), parse_mode=ParseMode.HTML, reply_markup=views.location_keyboard()
        )
        return
    await handle_timezone_text(message, user.id, " ".join(args), context)


async def _country_step(
    message: Message, user_id: int, state: FlowState, text: str, context: ClotContext
) -> None:
    """Take the typed country after the 'Change country' button (the step ends with it)."""
    await handle_country_text(message, user_id, text, context)


async def _timezone_step(
    message: Message, user_id: int, state: FlowState, text: str, context: ClotContext
) -> None:
    """Take the typed time zone after the 'Change time zone' button (the step ends with it)."""
    await handle_timezone_text(message, user_id, text, context)


async def location(update: Update, context: ClotContext) -> None:
    """Set the time zone from a shared location (looked up offline)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.location is None:
        return
    zone = timezone_at(message.location.latitude, message.location.longitude)
    if zone is None:
        await message.reply_text(views.render_location_no_zone(), parse_mode=ParseMode.HTML)
        return
    await _apply_timezone(message, user.id, zone, False, context)


async def _answer(query: CallbackQuery, text: str | None = None) -> None:
    await query.answer(text)


async def settings_button(update: Update, context: ClotContext) -> None:
    """Handle the settings and onboarding buttons (set:...)."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    data = decode(query.data)
    message = query.message if isinstance(query.message, Message) else None
    if data is None or message is None or not data.args:
        await _answer(query, views.render_stale_button())
        return
    action, rest = data.args[0], data.args[1:]
    if action == "cc" and len(rest) == 1 and country(rest[0]) is not None:
        await _answer(query)
        await _apply_country(message, user.id, rest[0], context)
    elif action == "tz" and len(rest) == 1 and is_valid_zone(rest[0]):
        await _answer(query)
        await _apply_timezone(message, user.id, rest[0], False, context)
    elif action == "btask":
        await _answer(query)
        await message.reply_text(
            views.render_blood_thinner_question(),
            parse_mode=ParseMode.HTML,
            reply_markup=views.blood_thinner_keyboard(),
        )
    elif action == "bt" and rest in (("y",), ("n",)):
        await _answer(query)
        on = rest == ("y",)
        try:
            await context.services.users.set_on_blood_thinners(user.id, private_chat_id(message, user.id), on)
        except StorageUnavailable:
            await message.reply_text(views.render_storage_unavailable(), parse_mode=ParseMode.HTML)
            return
        safety = await context.services.users.safety_profile(user.id)
        await message.reply_text(
            views.render_blood_thinner_set(on, safety.anticoagulant), parse_mode=ParseMode.HTML
        )
    elif action == "skip":
        await _answer(query)
        await message.reply_text(views.render_skipped_onboarding(), parse_mode=ParseMode.HTML)
    elif action == "country":
        await _answer(query)
        set_flow(context, FlowState(FlowKind.COUNTRY))
        await message.reply_text(
            views.render_country_usage(),
            parse_mode=ParseMode.HTML,
            reply_markup=views.onboarding_country_keyboard(common_countries()),
        )
    elif action == "zone":
        await _answer(query)
        set_flow(context, FlowState(FlowKind.TIMEZONE))
        await message.reply_text(
            views.render_timezone_usage(), parse_mode=ParseMode.HTML, reply_markup=views.location_keyboard()
        )
    else:
        await _answer(query, views.render_stale_button())


def register(app: ClotApplication) -> set[str]:
    """Register the handlers of this module; return the command names."""
    # Personal settings only in a private chat; in a group they would show to every member.
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("settings", settings, filters=private))
    app.add_handler(CommandHandler("country", country_command, filters=private))
    app.add_handler(CommandHandler("timezone", timezone_command, filters=private))
    app.add_handler(MessageHandler(filters.LOCATION & filters.ChatType.PRIVATE, location))
    app.add_handler(CallbackQueryHandler(settings_button, pattern=r"^set:"))
    register_steps(app, (FlowKind.COUNTRY,), _country_step)
    register_steps(app, (FlowKind.TIMEZONE,), _timezone_step)
    return {"settings", "country", "timezone"}
