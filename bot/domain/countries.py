"""Turn what people type ("uk", "germany", "DE", "usa") into ISO 3166 country codes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pycountry
from rapidfuzz import fuzz, process

# Everyday names pycountry does not know. Keys are casefolded.
ALIASES: dict[str, str] = {
    "uk": "GB",
    "britain": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "united kingdom": "GB",
    "us": "US",
    "usa": "US",
    "america": "US",
    "united states": "US",
    "united states of america": "US",
    "holland": "NL",
    "the netherlands": "NL",
    "russia": "RU",
    "south korea": "KR",
    "korea": "KR",
    "north korea": "KP",
    "uae": "AE",
    "emirates": "AE",
    "czech republic": "CZ",
    "czechia": "CZ",
    "vietnam": "VN",
    "iran": "IR",
    "syria": "SY",
    "bolivia": "BO",
    "venezuela": "VE",
    "tanzania": "TZ",
    "laos": "LA",
    "moldova": "MD",
    "taiwan": "TW",
    "ivory coast": "CI",
    "turkey": "TR",
    "turkiye": "TR",
    "türkiye": "TR",
    "macedonia": "MK",
    "swaziland": "SZ",
    "burma": "MM",
    "palestine": "PS",
    "vatican": "VA",
}


@dataclass(frozen=True, slots=True)
class Country:
    """A country as ClotCare shows it."""

    code: str
    name: str
    flag: str


@cache
def _names() -> dict[str, str]:
    """Map every casefolded name, common name and official name to its alpha-2 code."""
    names: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            value = getattr(c, attr, None)
            if value:
                names[str(value).casefold()] = c.alpha_2
    for alias, code in ALIASES.items():
        names.setdefault(alias, code)
    return names


def country(code: str) -> Country | None:
    """Return the country with ISO alpha-2 ``code`` (any case), or None."""
    found = pycountry.countries.get(alpha_2=code.upper()) if len(code) == 2 else None
    if found is None:
        return None
    name = getattr(found, "common_name", None) or found.name
    return Country(code=found.alpha_2, name=str(name), flag=str(getattr(found, "flag", "")))


def resolve_country(text: str) -> Country | None:
    """Resolve a code (DE, DEU), a name or an alias to a country; None if nothing matches exactly."""
    query = " ".join(text.split()).casefold().strip(" .")
    if not query:
        return None
    undotted = query.replace(".", "")
    if undotted in ALIASES:
        return country(ALIASES[undotted])
    if len(query) in (2, 3) and query.isascii() and query.isalpha():
        found = pycountry.countries.get(alpha_2=query.upper()) or pycountry.countries.get(
            alpha_3=query.upper()
        )
        if found is not None:
            return country(found.alpha_2)
    code = _names().get(query)
    return country(code) if code else None


def suggest_countries(text: str, limit: int = 3) -> list[Country]:
    """Return the closest country names for a typo ("germny" -> Germany)."""
    query = " ".join(text.split()).casefold()
    if not query:
        return []
    matches = process.extract(query, list(_names()), scorer=fuzz.WRatio, limit=limit * 3, score_cutoff=70)
    seen: list[str] = []
    for name, _score, _index in matches:
        code = _names()[name]
        if code not in seen:
            seen.append(code)
    return [c for c in (country(code) for code in seen[:limit]) if c is not None]
