"""Emergency numbers per country: value objects and a validated, read-only directory.

The table lives in ``content/emergency_numbers.yaml`` (SAFETY.md rule 8: numbers are data, sourced and
checked in tests). Loading is strict: a missing or misspelt field is a ``ValueError`` naming the
country and the field, because a silently wrong emergency number is worse than a bot that refuses to
start. An unknown country is ``None``; the views then say "112 from a mobile, or your local emergency
number" and ask the user to set their country.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import yaml

from bot.shipped import shipped_path

# "UK" is what people type; "EL" is the EU's own code for Greece.
_ALIASES: Mapping[str, str] = {"UK": "GB", "EL": "GR"}
_CODE = re.compile(r"[A-Z]{2}")
# Emergency numbers are dialled as short digit strings: no spaces, no "+" (a typo must not hide).
_SHORT_NUMBER = re.compile(r"[0-9]{2,6}")
# Health lines may be long numbers written the way the country writes them ("0800 611 116").
_DISPLAY_NUMBER = re.compile(r"[0-9](?:[0-9 ]{1,18}[0-9])?")
_FIELDS = frozenset({"name", "ambulance", "general", "note", "non_emergency", "source", "reviewed"})
_HEALTH_LINE_FIELDS = frozenset({"name", "number"})


@dataclass(frozen=True, slots=True)
class HealthLine:
    """A non-emergency health line (e.g. NHS 111) for same-day advice."""

    name: str
    number: str


@dataclass(frozen=True, slots=True)
class EmergencyInfo:
    """How to reach an ambulance in one country, and where that fact comes from."""

    country_code: str
    country_name: str
    ambulance: str
    general: tuple[str, ...]
    note: str | None
    non_emergency: HealthLine | None
    source: str
    reviewed: date

    @property
    def alternatives(self) -> tuple[str, ...]:
        """Return the other emergency numbers that also work, without repeating the ambulance one."""
        return tuple(n for n in self.general if n != self.ambulance)


class EmergencyDirectory:
    """Look up emergency numbers by ISO 3166-1 alpha-2 country code."""

    def __init__(self, entries: Mapping[str, EmergencyInfo]) -> None:
        self._entries = dict(entries)

    @classmethod
    def load(cls, path: Path) -> EmergencyDirectory:
        """Read and validate the YAML table; raise ValueError naming the country and field at fault."""
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict) or not raw:
            raise ValueError(f"{path}: expected a non-empty mapping of country codes")
        entries: dict[str, EmergencyInfo] = {}
        for key, value in raw.items():
            info = _parse_entry(key, value)
            entries[info.country_code] = info
        return cls(entries)

    def lookup(self, code: str | None) -> EmergencyInfo | None:
        """Return the entry for ``code`` (any case, "UK" means GB), or None when unknown."""
        if code is None:
            return None
        normalised = code.strip().upper()
        return self._entries.get(_ALIASES.get(normalised, normalised))

    def codes(self) -> tuple[str, ...]:
        """Return every country code in the table, sorted."""
        return tuple(sorted(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[EmergencyInfo]:
        return iter(self._entries[code] for code in self.codes())


def default_emergency_numbers_path() -> Path:
    """Return the path of the shipped table, content/emergency_numbers.yaml."""
    return shipped_path("content", "emergency_numbers.yaml")


def _parse_entry(key: object, value: object) -> EmergencyInfo:
    """Validate one country's entry and build its value object."""
    if not isinstance(key, str):
        # YAML 1.1 reads an unquoted NO (Norway) as false: insist on quoted codes.
        raise ValueError(f"{key!r}: country codes must be quoted strings")
    if not _CODE.fullmatch(key):
        raise ValueError(f"{key}: country code must be two upper-case letters (ISO 3166-1 alpha-2)")
    if key in _ALIASES:
        raise ValueError(f"{key}: use {_ALIASES[key]} (the ISO code), not the alias")
    if not isinstance(value, dict):
        raise ValueError(f"{key}: expected a mapping of fields")
    unknown = sorted(str(f) for f in value if f not in _FIELDS)
    if unknown:
        raise ValueError(f"{key}.{unknown[0]}: unknown field")

    general_raw = value.get("general")
    if not isinstance(general_raw, list) or not general_raw:
        raise ValueError(f"{key}.general: expected a non-empty list of numbers")
    general = tuple(_short_number(key, f"general[{i}]", n) for i, n in enumerate(general_raw))
    if len(set(general)) != len(general):
        raise ValueError(f"{key}.general: numbers repeat")

    return EmergencyInfo(
        country_code=key,
        country_name=_text(key, "name", value.get("name")),
        ambulance=_short_number(key, "ambulance", value.get("ambulance")),
        general=general,
        note=_optional_text(key, "note", value.get("note")),
        non_emergency=_health_line(key, value.get("non_emergency")),
        source=_text(key, "source", value.get("source")),
        reviewed=_date(key, value.get("reviewed")),
    )


def _text(code: str, field: str, value: object) -> str:
    """Return a required, non-blank string field."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{code}.{field}: expected non-empty text")
    return value.strip()


def _optional_text(code: str, field: str, value: object) -> str | None:
    """Return an optional string field, or None when absent."""
    return None if value is None else _text(code, field, value)


def _short_number(code: str, field: str, value: object) -> str:
    """Return an emergency short number; reject ints (YAML turns 000 into 0) and stray characters."""
    if not isinstance(value, str):
        raise ValueError(f"{code}.{field}: expected a quoted string of digits, got {value!r}")
    if not _SHORT_NUMBER.fullmatch(value):
        raise ValueError(f"{code}.{field}: {value!r} is not a 2-6 digit short number")
    return value


def _health_line(code: str, value: object) -> HealthLine | None:
    """Return the optional non-emergency health line."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError(f"{code}.non_emergency: expected a mapping with name and number")
    unknown = sorted(str(f) for f in value if f not in _HEALTH_LINE_FIELDS)
    if unknown:
        raise ValueError(f"{code}.non_emergency.{unknown[0]}: unknown field")
    number = value.get("number")
    if not isinstance(number, str) or not _DISPLAY_NUMBER.fullmatch(number):
        raise ValueError(f"{code}.non_emergency.number: expected a quoted number, got {number!r}")
    return HealthLine(name=_text(code, "non_emergency.name", value.get("name")), number=number)


def _date(code: str, value: object) -> date:
    """Return the review date (YAML date or ISO string)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{code}.reviewed: expected a date like 2026-11-27, got {value!r}")
