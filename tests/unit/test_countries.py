"""Country resolution: codes, names, aliases, suggestions."""

from __future__ import annotations

import pytest

from bot.domain.countries import country, resolve_country, suggest_countries


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("uk", "GB"),
        ("UK", "GB"),
        ("England", "GB"),
        ("gb", "GB"),
        ("GBR", "GB"),
        ("usa", "US"),
        ("U.S.A.", "US"),
        ("united states", "US"),
        ("Germany", "DE"),
        ("  germany  ", "DE"),
        ("de", "DE"),
        ("deu", "DE"),
        ("holland", "NL"),
        ("Netherlands", "NL"),
        ("South Korea", "KR"),
        ("russia", "RU"),
        ("Türkiye", "TR"),
        ("new zealand", "NZ"),
    ],
)
def test_resolves_codes_names_and_aliases(text: str, code: str) -> None:
    found = resolve_country(text)
    assert found is not None
    assert found.code == code


@pytest.mark.parametrize(
    "text", ["", "   ", "atlantis", "zz", "<b>", "'; DROP TABLE users;--", "\u200f\u200b"]
)
def test_unknown_is_none(text: str) -> None:
    assert resolve_country(text) is None


def test_suggests_close_names_for_typos() -> None:
    assert "DE" in [c.code for c in suggest_countries("germny")]
    assert "FR" in [c.code for c in suggest_countries("frnace")]


def test_country_has_flag_and_common_name() -> None:
    gb = country("gb")
    assert gb is not None
    assert gb.name == "United Kingdom"
    assert gb.flag == "🇬🇧"
    assert country("XX") is None
    assert country("DEU") is None
