"""Time zone resolution: IANA names, cities, UTC offsets, locations."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.timezones import is_valid_zone, resolve_timezone, timezone_at, zones_for_country

SUMMER = datetime(2026, 7, 1, 12, tzinfo=UTC)
WINTER = datetime(2026, 1, 15, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("berlin", "Europe/Berlin"),
        ("New York", "America/New_York"),
        ("new_york", "America/New_York"),
        ("America/New York", "America/New_York"),
        ("sydney", "Australia/Sydney"),
        ("utc", "UTC"),
        ("GMT", "UTC"),
        ("Kolkata", "Asia/Kolkata"),
    ],
)
def test_names_and_cities(text: str, zone: str) -> None:
    assert resolve_timezone(text, country=None, now=SUMMER).zone == zone


def test_offset_prefers_a_real_zone_of_the_users_country() -> None:
    match = resolve_timezone("UTC+2", country="DE", now=SUMMER)
    assert match.zone == "Europe/Berlin"
    assert not match.fixed_offset
    assert resolve_timezone("UTC+1", country="DE", now=WINTER).zone == "Europe/Berlin"


def test_whole_hour_offset_without_country_is_a_fixed_etc_zone() -> None:
    match = resolve_timezone("UTC+2", country=None, now=SUMMER)
    assert match.zone == "Etc/GMT-2"  # POSIX sign inversion: Etc/GMT-2 is two hours ahead of UTC
    assert match.fixed_offset
    assert resolve_timezone("-5", country=None, now=SUMMER).zone == "Etc/GMT+5"


def test_half_hour_offset_uses_the_country_or_offers_the_zones() -> None:
    assert resolve_timezone("+05:30", country="IN", now=SUMMER).zone == "Asia/Kolkata"
    ambiguous = resolve_timezone("UTC+5:30", country=None, now=SUMMER)
    assert ambiguous.zone is None
    assert ambiguous.suggestions == ("Asia/Colombo", "Asia/Kolkata")
    assert resolve_timezone("+05:45", country=None, now=SUMMER).zone == "Asia/Kathmandu"


@pytest.mark.parametrize("text", ["", "UTC+15", "+3:75", "narnia", "<script>", "\u202e"])
def test_nonsense_gives_no_zone(text: str) -> None:
    assert resolve_timezone(text, country=None, now=SUMMER).zone is None


def test_typo_gives_suggestions() -> None:
    match = resolve_timezone("Berln", country=None, now=SUMMER)
    assert match.zone is None
    assert "Europe/Berlin" in match.suggestions


def test_location_lookup_is_offline() -> None:
    assert timezone_at(52.52, 13.405) == "Europe/Berlin"
    assert timezone_at(-33.87, 151.21) == "Australia/Sydney"
    assert timezone_at(95.0, 0.0) is None


def test_principal_zone_only_when_all_zones_agree_all_year() -> None:
    from bot.domain.timezones import principal_zone

    assert principal_zone("DE", SUMMER) == "Europe/Berlin"  # Busingen keeps Berlin's time
    assert principal_zone("FR", SUMMER) == "Europe/Paris"
    assert principal_zone("US", SUMMER) is None
    assert principal_zone("AU", SUMMER) is None
    assert principal_zone(None, SUMMER) is None


def test_country_zones_come_from_tzdata() -> None:
    assert zones_for_country("DE") == ("Europe/Berlin", "Europe/Busingen")
    assert "America/New_York" in zones_for_country("us")
    assert zones_for_country(None) == ()
    assert is_valid_zone("Asia/Tokyo")
    assert not is_valid_zone("Mars/Olympus")
