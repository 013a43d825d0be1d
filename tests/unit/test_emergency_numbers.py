"""The emergency-number table: real countries, real emergency numbers, sources and review dates."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import phonenumbers
import pycountry
import pytest
from phonenumbers import shortnumberinfo

from bot.domain.emergency import (
    EmergencyDirectory,
    EmergencyInfo,
    HealthLine,
    default_emergency_numbers_path,
)

# Where libphonenumber's short-number metadata is out of date, and why we still trust the entry.
# Keep this tiny: every line here is a number no machine checks.
METADATA_GAPS: dict[tuple[str, str], str] = {
    ("RS", "194"): "libphonenumber still lists 94 (pre-2011 numbering); Serbia's ambulance is 194",
}


@pytest.fixture(scope="module")
def directory() -> EmergencyDirectory:
    return EmergencyDirectory.load(default_emergency_numbers_path())


@pytest.fixture(scope="module")
def entries(directory: EmergencyDirectory) -> list[EmergencyInfo]:
    return [info for code in directory.codes() if (info := directory.lookup(code)) is not None]


def test_default_path_points_at_shipped_content() -> None:
    path = default_emergency_numbers_path()
    assert path.name == "emergency_numbers.yaml"
    assert path.parent.name == "content"
    assert path.is_file()


def test_covers_at_least_90_countries(directory: EmergencyDirectory) -> None:
    assert len(directory) >= 90
    assert len(directory.codes()) == len(directory)


def test_every_code_is_a_real_iso_country(entries: list[EmergencyInfo]) -> None:
    for info in entries:
        assert pycountry.countries.get(alpha_2=info.country_code) is not None, info.country_code


def test_every_emergency_number_is_an_emergency_number_there(entries: list[EmergencyInfo]) -> None:
    bad = [
        (info.country_code, number)
        for info in entries
        for number in {info.ambulance, *info.general}
        if (info.country_code, number) not in METADATA_GAPS
        and not shortnumberinfo.is_emergency_number(number, info.country_code)
    ]
    assert bad == [], "not emergency numbers per libphonenumber: " + repr(bad)


def test_metadata_gaps_are_still_needed_and_still_present(directory: EmergencyDirectory) -> None:
    # When libphonenumber catches up, delete the exception so the number is checked again.
    for (code, number), why in METADATA_GAPS.items():
        info = directory.lookup(code)
        assert info is not None, code
        assert number in {info.ambulance, *info.general}, (code, number)
        assert not shortnumberinfo.is_emergency_number(number, code), f"drop the exception: {why}"


def _valid_for_region(number: str, region: str) -> bool:
    """Tell whether a health line is a valid short number or a valid national number in ``region``."""
    digits = number.replace(" ", "")
    parsed = phonenumbers.parse(digits, region)
    return shortnumberinfo.is_valid_short_number_for_region(
        parsed, region
    ) or phonenumbers.is_valid_number_for_region(parsed, region)


def test_every_health_line_is_a_valid_number_there(entries: list[EmergencyInfo]) -> None:
    lines = [(i.country_code, i.non_emergency) for i in entries if i.non_emergency is not None]
    assert lines, "expected some non-emergency health lines"
    bad = [(code, line.number) for code, line in lines if not _valid_for_region(line.number, code)]
    assert bad == []


def test_health_lines_are_not_emergency_numbers(entries: list[EmergencyInfo]) -> None:
    for info in entries:
        if info.non_emergency is not None:
            digits = info.non_emergency.number.replace(" ", "")
            assert digits not in {info.ambulance, *info.general}, info.country_code


def test_numbers_in_notes_are_checked_too(entries: list[EmergencyInfo]) -> None:
    for info in entries:
        for number in re.findall(r"\d{3,}", info.note or ""):
            region = info.country_code
            known = {info.ambulance, *info.general}
            assert number in known or shortnumberinfo.is_emergency_number(number, region), (region, number)


def test_every_entry_has_source_and_review_date(entries: list[EmergencyInfo]) -> None:
    for info in entries:
        assert info.source.strip(), info.country_code
        assert "http" in info.source or len(info.source) > 20, info.country_code
        assert isinstance(info.reviewed, date)
        assert date(2025, 1, 1) <= info.reviewed <= date(2030, 12, 31), info.country_code
        assert info.country_name.strip()


def test_reference_countries(directory: EmergencyDirectory) -> None:
    gb = directory.lookup("GB")
    assert gb is not None
    assert (gb.ambulance, gb.general) == ("999", ("999", "112"))
    assert gb.non_emergency is not None
    assert gb.non_emergency.number == "111"
    us = directory.lookup("US")
    assert us is not None
    assert us.ambulance == "911"
    assert us.non_emergency is None
    au = directory.lookup("AU")
    assert au is not None
    assert au.ambulance == "000"
    assert au.non_emergency == HealthLine("healthdirect", "1800 022 222")
    fr = directory.lookup("FR")
    assert fr is not None
    assert fr.ambulance == "15"
    assert "112" in fr.general
    for code in ("DE", "ES", "IT", "NL", "PL", "SE", "IE"):
        info = directory.lookup(code)
        assert info is not None
        assert "112" in {info.ambulance, *info.general}, code


def test_lookup_is_case_insensitive_with_uk_alias(directory: EmergencyDirectory) -> None:
    gb = directory.lookup("GB")
    assert directory.lookup("gb") == gb
    assert directory.lookup(" Gb ") == gb
    assert directory.lookup("UK") == gb
    assert directory.lookup("uk") == gb
    assert directory.lookup("EL") == directory.lookup("GR")


@pytest.mark.parametrize("code", [None, "", "XX", "ZZ", "GBR", "1"])
def test_unknown_country_is_none(directory: EmergencyDirectory, code: str | None) -> None:
    assert directory.lookup(code) is None


def test_alternatives_exclude_the_ambulance_number(directory: EmergencyDirectory) -> None:
    gb = directory.lookup("GB")
    assert gb is not None
    assert gb.alternatives == ("112",)
    us = directory.lookup("US")
    assert us is not None
    assert us.alternatives == ()


def test_norway_survives_yaml_boolean_trap(directory: EmergencyDirectory) -> None:
    # An unquoted NO key is read as false by YAML 1.1; the table quotes every code.
    no = directory.lookup("NO")
    assert no is not None
    assert no.country_name == "Norway"


GOOD_ENTRY = """
  name: Testland
  ambulance: "112"
  general: ["112"]
  source: "https://example.org"
  reviewed: 2026-11-27
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "numbers.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_accepts_a_minimal_entry(tmp_path: Path) -> None:
    directory = EmergencyDirectory.load(_write(tmp_path, '"FR":' + GOOD_ENTRY))
    info = directory.lookup("fr")
    assert info is not None
    assert info.note is None
    assert info.non_emergency is None
    assert info.reviewed == date(2026, 11, 27)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('"FR":' + GOOD_ENTRY.replace('ambulance: "112"', "ambulance: 112"), "FR.ambulance"),
        ('"AU":' + GOOD_ENTRY.replace('ambulance: "112"', "ambulance: 000"), "AU.ambulance"),
        ('"FR":' + GOOD_ENTRY.replace('ambulance: "112"', 'ambulance: "11 2"'), "FR.ambulance"),
        ('"FR":' + GOOD_ENTRY.replace('ambulance: "112"', 'ambulance: "+112"'), "FR.ambulance"),
        ('"FR":' + GOOD_ENTRY.replace('ambulance: "112"', 'ambulence: "112"'), "FR.ambulence"),
        ('"FR":' + GOOD_ENTRY.replace('general: ["112"]', "general: []"), "FR.general"),
        ('"FR":' + GOOD_ENTRY.replace('general: ["112"]', 'general: ["112", "112"]'), "FR.general"),
        ('"FR":' + GOOD_ENTRY.replace("name: Testland", "name: ''"), "FR.name"),
        ('"FR":' + GOOD_ENTRY.replace('source: "https://example.org"', ""), "FR.source"),
        ('"FR":' + GOOD_ENTRY.replace("reviewed: 2026-11-27", "reviewed: soon"), "FR.reviewed"),
        ('"FR":' + GOOD_ENTRY + '  non_emergency: {name: "Line"}\n', "FR.non_emergency.number"),
        ('"FR":' + GOOD_ENTRY + '  non_emergency: {name: "Line", number: 111}\n', "FR.non_emergency.number"),
        (
            '"FR":' + GOOD_ENTRY + '  non_emergency: {name: "L", number: "111", url: "x"}\n',
            "FR.non_emergency.url",
        ),
        ("NO:" + GOOD_ENTRY, "quoted"),
        ('"fr":' + GOOD_ENTRY, "fr"),
        ('"FRA":' + GOOD_ENTRY, "FRA"),
        ('"UK":' + GOOD_ENTRY, "UK"),
        ('"FR": "112"', "FR"),
        ("[]", "mapping"),
    ],
)
def test_load_rejects_bad_entries_naming_code_and_field(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        EmergencyDirectory.load(_write(tmp_path, text))
