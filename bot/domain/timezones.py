"""Resolve "Europe/Berlin", "berlin", "new york", "UTC+2" or a shared location to an IANA zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo, available_timezones

from rapidfuzz import fuzz, process

_OFFSET = re.compile(r"^(?:utc|gmt)?\s*([+-−])\s*(\d{1,2})(?::?(\d{2}))?$")
_UTC_NAMES = frozenset({"utc", "gmt", "z", "zulu", "utc+0", "utc-0", "gmt+0", "utc+00:00"})


@dataclass(frozen=True, slots=True)
class ZoneMatch:
    """The outcome of resolving a time zone: one zone, or suggestions to choose from."""

    zone: str | None
    suggestions: tuple[str, ...] = ()
    fixed_offset: bool = False


@cache
def _zones() -> dict[str, str]:
    """Map casefolded IANA names to their canonical spelling (excluding legacy aliases)."""
    return {z.casefold(): z for z in available_timezones() if "/" in z or z == "UTC"}


@cache
def _cities() -> dict[str, str]:
    """Map casefolded city names ("new york", "sao paulo") to zones from zone1970.tab."""
    cities: dict[str, str] = {}
    for zone in _country_zone_table().values():
        for z in zone:
            city = z.rsplit("/", 1)[-1].replace("_", " ").casefold()
            cities.setdefault(city, z)
    for z in _zones().values():
        city = z.rsplit("/", 1)[-1].replace("_", " ").casefold()
        cities.setdefault(city, z)
    return cities


@cache
def _country_zone_table() -> dict[str, tuple[str, ...]]:
    """Read tzdata's zone.tab: ISO country code -> its zones, most populous first."""
    table: dict[str, list[str]] = {}
    text = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        fields = line.split("\t")
        table.setdefault(fields[0], []).append(fields[2])
    return {code: tuple(zones) for code, zones in table.items()}


def zones_for_country(code: str | None) -> tuple[str, ...]:
    """Return the IANA zones used in a country (empty when unknown)."""
    return _country_zone_table().get((code or "").upper(), ())


def principal_zone(code: str | None, now: datetime) -> str | None:
    """Return the country's zone when all its zones keep the same time all year (DE, FR, GB), else None."""
    zones = zones_for_country(code)
    if not zones:
        return None
    if len(zones) == 1:
        return zones[0]
    # Weekly samples over a year catch any zone that differs in offset or in daylight-saving dates.
    samples = [now + timedelta(days=7 * week) for week in range(53)]
    first = [ZoneInfo(zones[0]).utcoffset(s) for s in samples]
    if all([ZoneInfo(z).utcoffset(s) for s in samples] == first for z in zones[1:]):
        return zones[0]
    return None


def is_valid_zone(name: str) -> bool:
    """Tell whether ``name`` is an IANA zone this machine knows."""
    return name.casefold() in _zones()


def _zones_with_offset(offset: timedelta, now: datetime) -> list[str]:
    # Only canonical zones from zone.tab: legacy links like Asia/Calcutta would be duplicates.
    canonical = {z for zones in _country_zone_table().values() for z in zones}
    return sorted(z for z in canonical if ZoneInfo(z).utcoffset(now) == offset)


def resolve_timezone(text: str, *, country: str | None, now: datetime) -> ZoneMatch:
    """Resolve a zone name, a city or a UTC offset; prefer zones of the user's country for offsets."""
    query = " ".join(text.split()).strip()
    folded = query.casefold()
    if not folded:
        return ZoneMatch(zone=None)
    if folded in _UTC_NAMES:
        return ZoneMatch(zone="UTC")
    if folded.replace(" ", "_") in _zones():
        return ZoneMatch(zone=_zones()[folded.replace(" ", "_")])
    city = folded.replace("_", " ")
    if city in _cities():
        return ZoneMatch(zone=_cities()[city])
    offset_match = _OFFSET.match(folded.replace(" ", ""))
    if offset_match:
        return _resolve_offset(offset_match, country=country, now=now)
    names = list(_cities())
    close = process.extract(folded, names, scorer=fuzz.WRatio, limit=3, score_cutoff=85)
    return ZoneMatch(zone=None, suggestions=tuple(dict.fromkeys(_cities()[n] for n, _s, _i in close)))


def _resolve_offset(match: re.Match[str], *, country: str | None, now: datetime) -> ZoneMatch:
    sign = -1 if match.group(1) in "-−" else 1
    hours, minutes = int(match.group(2)), int(match.group(3) or 0)
    if hours > 14 or minutes >= 60:
        return ZoneMatch(zone=None)
    offset = sign * timedelta(hours=hours, minutes=minutes)
    # A real zone of the user's country follows daylight saving; a fixed offset would drift twice a year.
    for zone in zones_for_country(country):
        if ZoneInfo(zone).utcoffset(now) == offset:
            return ZoneMatch(zone=zone)
    if minutes == 0:
        # POSIX-style Etc zones invert the sign: Etc/GMT-2 is UTC+2.
        etc = "UTC" if hours == 0 else f"Etc/GMT{'-' if sign > 0 else '+'}{hours}"
        return ZoneMatch(zone=etc, fixed_offset=hours != 0)
    candidates = _zones_with_offset(offset, now)
    if len(candidates) == 1:
        return ZoneMatch(zone=candidates[0])
    return ZoneMatch(zone=None, suggestions=tuple(candidates[:5]))


@cache
def _finder() -> object:
    from timezonefinder import TimezoneFinder

    # in_memory: read the data once and close the files (mmap-backed files leak ResourceWarnings at exit).
    return TimezoneFinder(in_memory=True)


def timezone_at(latitude: float, longitude: float) -> str | None:
    """Return the IANA zone at a location, offline (None at sea or for invalid coordinates)."""
    if not (-90.0 <= latitude <= 90.0 and -180.0 <= longitude <= 180.0):
        return None
    zone = _finder().timezone_at(lng=longitude, lat=latitude)  # type: ignore[attr-defined]
    return zone if isinstance(zone, str) and is_valid_zone(zone) else None


def local_now(zone: str, now: datetime) -> datetime:
    """Return ``now`` in ``zone``."""
    return now.astimezone(ZoneInfo(zone))
