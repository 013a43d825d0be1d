"""Time zone resolution: IANA names, cities, UTC offsets, locations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.timezones import display_zone, is_valid_zone, resolve_timezone, timezone_at, zones_for_country

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


# --- issue 11: what people type --------------------------------------------------------------------

from bot.domain.timezones import offset_label, zone_label  # noqa: E402

DST_START_EU = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # clocks go forward in the EU at 01:00 UTC
DST_END_US = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)  # 02:00 EDT becomes 01:00 EST in New York


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("GMT+1", "UTC+1"),  # what the person means, not tzdata's inverted Etc/GMT+1
        ("gmt -5", "UTC-5"),
        ("UTC-5", "UTC-5"),
        ("UTC+2", "UTC+2"),
        ("+3", "UTC+3"),
        ("UTC+5:45", "UTC+5:45"),
        ("UTC+14", "UTC+14"),
    ],
)
def test_offsets_keep_the_sign_people_mean(text: str, label: str) -> None:
    match = resolve_timezone(text, country=None, now=WINTER)
    assert match.zone is not None
    assert offset_label(match.zone, WINTER) == label
    assert zone_label(match.zone, WINTER) == label or zone_label(match.zone, WINTER) == match.zone


@pytest.mark.parametrize(
    ("text", "country", "zone"),
    [
        ("CET", None, "Europe/Berlin"),
        ("CET", "ES", "Europe/Madrid"),
        ("CEST", "FR", "Europe/Paris"),
        ("EST", None, "America/New_York"),
        ("EDT", None, "America/New_York"),
        ("PST", None, "America/Los_Angeles"),
        ("BST", None, "Europe/London"),
        ("AEST", None, "Australia/Sydney"),
        ("JST", None, "Asia/Tokyo"),
        ("MSK", None, "Europe/Moscow"),
        ("EET", "FI", "Europe/Helsinki"),
        ("IST", "IN", "Asia/Kolkata"),
    ],
)
def test_abbreviations(text: str, country: str | None, zone: str) -> None:
    assert resolve_timezone(text, country=country, now=WINTER).zone == zone


def test_an_ambiguous_abbreviation_asks_for_a_city() -> None:
    match = resolve_timezone("IST", country=None, now=WINTER)
    assert match.zone is None
    assert match.ambiguous
    assert set(match.suggestions) == {"Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"}


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("Mumbai", "Asia/Kolkata"),
        ("Bombay", "Asia/Kolkata"),
        ("Delhi", "Asia/Kolkata"),
        ("Beijing", "Asia/Shanghai"),
        ("San Francisco", "America/Los_Angeles"),
        ("São Paulo", "America/Sao_Paulo"),
        ("India", "Asia/Kolkata"),
        ("Germany", "Europe/Berlin"),
    ],
)
def test_cities_and_countries_from_the_gazetteer(text: str, zone: str) -> None:
    assert resolve_timezone(text, country=None, now=WINTER).zone == zone


def test_a_country_with_several_clocks_offers_one_zone_per_clock() -> None:
    match = resolve_timezone("United States", country=None, now=WINTER)
    assert match.zone is None
    assert match.ambiguous
    assert {"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"} <= set(
        match.suggestions
    )


def test_offsets_on_the_real_dst_dates() -> None:
    before, after = DST_START_EU - timedelta(minutes=1), DST_START_EU
    assert offset_label("Europe/Berlin", before) == "UTC+1"
    assert offset_label("Europe/Berlin", after) == "UTC+2"
    assert offset_label("America/New_York", DST_END_US - timedelta(minutes=1)) == "UTC-4"
    assert offset_label("America/New_York", DST_END_US) == "UTC-5"
    # An offset typed on the day the clocks change finds the country's real zone, which follows DST.
    assert resolve_timezone("UTC+2", country="DE", now=after).zone == "Europe/Berlin"
    assert resolve_timezone("UTC+1", country="DE", now=before).zone == "Europe/Berlin"


@pytest.mark.parametrize(
    ("zone", "shown"),
    [("Etc/GMT-1", "UTC+1"), ("Etc/GMT+5", "UTC-5"), ("UTC", "UTC"), ("Europe/Berlin", "Europe/Berlin")],
)
def test_stored_zones_are_shown_the_way_people_write_them(zone: str, shown: str) -> None:
    assert display_zone(zone) == shown


def test_reminder_list_never_shows_the_inverted_posix_name() -> None:
    from bot.views.reminders import render_pending_added_intro

    assert "Etc/GMT" not in render_pending_added_intro("Etc/GMT-1")
    assert "UTC+1" in render_pending_added_intro("Etc/GMT-1")
