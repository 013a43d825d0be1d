"""User use cases: registration, country and time zone, and the safety profile that never fails."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.clock import Clock
from bot.domain.countries import Country, country
from bot.domain.medicines import is_anticoagulant
from bot.domain.reminders import ReminderKind
from bot.domain.timezones import principal_zone
from bot.domain.users import UserProfile
from bot.services.flows import FlowService
from bot.services.ports import PlanRecord, UnitOfWork

log = logging.getLogger(__name__)

UowFactory = Callable[[], UnitOfWork]
TimezoneListener = Callable[[int, str | None, str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class SafetyProfile:
    """What the safety features need to know; available even when the database is not."""

    country: str | None
    on_blood_thinners: bool | None
    from_cache: bool = False
    # The active plan that makes "on a blood thinner" true whatever the user once answered.
    anticoagulant: str | None = None
    said_on_blood_thinners: bool | None = None


def active_anticoagulant(plans: list[PlanRecord], now: datetime) -> str | None:
    """Return the name of an active, not yet ended anticoagulant plan, if the user has one."""
    for plan in plans:
        if plan.kind is not ReminderKind.DOSE or not plan.active or plan.deleted_at is not None:
            continue
        if plan.last_day is not None and plan.last_day < now.astimezone(ZoneInfo(plan.timezone)).date():
            continue
        if is_anticoagulant(plan.name):
            return plan.name
    return None


@dataclass(frozen=True, slots=True)
class CountryChange:
    """The result of setting a country: the profile and a zone chosen for the user, if any."""

    profile: UserProfile
    country: Country
    zone_set: str | None


class UserService:
    """Register users and keep their settings; cache what safety features need in memory."""

    def __init__(self, uow_factory: UowFactory, clock: Clock, *, safety_timeout: float = 1.0) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._safety_timeout = safety_timeout
        # Lookups that outlived safety_timeout finish (or time out) on their own, off the reply path.
        self._stragglers: set[asyncio.Task[SafetyProfile | None]] = set()
        # A cache, not a source of truth: lets /emergency use the right number while the database is down.
        self._safety_cache: dict[int, SafetyProfile] = {}
        self._timezone_listeners: list[TimezoneListener] = []
        self.flows = FlowService(uow_factory, clock)

    def on_timezone_changed(self, listener: TimezoneListener) -> None:
        """Call ``listener(user_id, old_zone, new_zone)`` after a user's time zone changes."""
        self._timezone_listeners.append(listener)

    def _remember(self, profile: UserProfile) -> UserProfile:
        previous = self._safety_cache.get(profile.user_id)
        medicine = previous.anticoagulant if previous is not None else None
        thinners = True if medicine is not None else profile.on_blood_thinners
        self._safety_cache[profile.user_id] = SafetyProfile(profile.country, thinners, anticoagulant=medicine)
        return profile

    async def register(self, user_id: int, chat_id: int, language: str | None) -> tuple[UserProfile, bool]:
        """Create or refresh the user; return the profile and whether they are new."""
        async with self._uow_factory() as uow:
            profile, created = await uow.users.upsert(user_id, chat_id, language, self._clock.now())
            await uow.commit()
        return self._remember(profile), created

    async def profile(self, user_id: int) -> UserProfile | None:
        """Return the user's profile, or None if they never talked to the bot."""
        async with self._uow_factory() as uow:
            found = await uow.users.get(user_id)
        return None if found is None else self._remember(found)

    async def safety_profile(self, user_id: int) -> SafetyProfile:
        """Return country and blood-thinner status; fall back to the cache if the database fails or stalls.

        "On a blood thinner" is derived from facts: true while an anticoagulant plan is active, else
        what the user said (in /check or /settings), else unknown. The lookup gets ``safety_timeout``
        seconds. It is not cancelled after that (cancelling a query on a stalled connection can itself
        wait): it finishes in the background under the database timeouts, refreshing the cache if it
        succeeds, while the safety reply goes out at once.
        """
        lookup = asyncio.ensure_future(self._fetch_safety_profile(user_id))
        try:
            found = await asyncio.wait_for(asyncio.shield(lookup), self._safety_timeout)
        except Exception as exc:  # noqa: BLE001 - safety replies must survive any storage failure
            if not lookup.done():
                self._stragglers.add(lookup)
                lookup.add_done_callback(self._straggler_done)
            log.warning(
                "database unavailable for safety profile: user=%s error=%s", user_id, type(exc).__name__
            )
            cached = self._safety_cache.get(user_id)
            if cached is None:
                return SafetyProfile(country=None, on_blood_thinners=None, from_cache=True)
            return SafetyProfile(
                cached.country, cached.on_blood_thinners, from_cache=True, anticoagulant=cached.anticoagulant
            )
        if found is None:
            return SafetyProfile(country=None, on_blood_thinners=None)
        return found

    async def _fetch_safety_profile(self, user_id: int) -> SafetyProfile | None:
        """Read the user and their plans, derive the safety profile and refresh the cache."""
        async with self._uow_factory() as uow:
            found = await uow.users.get(user_id)
            plans = await uow.reminders.plans_of(user_id) if found is not None else []
        if found is None:
            return None
        medicine = active_anticoagulant(plans, self._clock.now())
        derived = True if medicine is not None else found.on_blood_thinners
        self._safety_cache[user_id] = SafetyProfile(found.country, derived, anticoagulant=medicine)
        return SafetyProfile(
            found.country, derived, anticoagulant=medicine, said_on_blood_thinners=found.on_blood_thinners
        )

    async def set_country(self, user_id: int, chat_id: int, code: str) -> CountryChange:
        """Set the user's country; set the time zone too when the country has only one."""
        chosen = country(code)
        if chosen is None:
            raise ValueError(f"unknown country code {code!r}")
        now = self._clock.now()
        async with self._uow_factory() as uow:
            current, _ = await uow.users.upsert(user_id, chat_id, None, now)
            principal = principal_zone(chosen.code, now)
            # Only fill in a zone the user has not chosen; never overwrite an explicit choice.
            zone_set = principal if current.timezone is None else None
            fields: dict[str, object] = {"country": chosen.code}
            if zone_set is not None:
                fields["timezone"] = zone_set
            profile = await uow.users.update(user_id, now, **fields)
            await uow.commit()
        assert profile is not None
        if zone_set is not None:
            await self._notify_timezone(user_id, current.timezone, zone_set)
        return CountryChange(profile=self._remember(profile), country=chosen, zone_set=zone_set)

    async def set_timezone(self, user_id: int, chat_id: int, zone: str) -> UserProfile:
        """Set the user's IANA time zone (already validated by the caller)."""
        now = self._clock.now()
        async with self._uow_factory() as uow:
            current, _ = await uow.users.upsert(user_id, chat_id, None, now)
            profile = await uow.users.update(user_id, now, timezone=zone)
            await uow.commit()
        assert profile is not None
        if current.timezone != zone:
            await self._notify_timezone(user_id, current.timezone, zone)
        return self._remember(profile)

    async def timezone_changed(self, user_id: int, old: str | None, new: str) -> None:
        """Tell the listeners that a user's zone changed (when another service stored the change)."""
        await self._notify_timezone(user_id, old, new)

    async def set_on_blood_thinners(self, user_id: int, chat_id: int, value: bool) -> UserProfile:
        """Record whether the user takes a blood thinner (a finished /check, or /settings)."""
        now = self._clock.now()
        async with self._uow_factory() as uow:
            await uow.users.upsert(user_id, chat_id, None, now)
            profile = await uow.users.update(user_id, now, on_blood_thinners=value)
            await uow.commit()
        assert profile is not None
        return self._remember(profile)

    async def deactivate(self, user_id: int) -> None:
        """Mark a user inactive (they blocked the bot)."""
        async with self._uow_factory() as uow:
            await uow.users.update(user_id, self._clock.now(), active=False)
            await uow.commit()

    def _straggler_done(self, task: asyncio.Task[SafetyProfile | None]) -> None:
        self._stragglers.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.debug("late safety-profile lookup failed: %s", type(task.exception()).__name__)

    def forget_cached(self, user_id: int) -> None:
        """Drop everything held in memory about the user."""
        self._safety_cache.pop(user_id, None)

    async def _notify_timezone(self, user_id: int, old: str | None, new: str) -> None:
        for listener in self._timezone_listeners:
            await listener(user_id, old, new)
