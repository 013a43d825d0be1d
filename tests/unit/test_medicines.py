"""Medicine names: one key per medicine (generic, brand, case, misspelling) and the blood thinners."""

from __future__ import annotations

import pytest

from bot.domain.medicines import KNOWN_MEDICINES, display_generic, identify, is_anticoagulant, medicine_key


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("apixaban", "apixaban"),
        ("Eliquis", "apixaban"),
        ("ELIQUIS 5mg", "apixaban"),
        ("apixiban", "apixaban"),  # misspelt
        ("Xarelto", "rivaroxaban"),
        ("rivaroxiban", "rivaroxaban"),
        ("Xareltto", "rivaroxaban"),
        ("Lixiana", "edoxaban"),
        ("Savaysa", "edoxaban"),
        ("Pradaxa", "dabigatran"),
        ("Coumadin", "warfarin"),
        ("Marevan", "warfarin"),
        ("Sintrom", "acenocoumarol"),
        ("Marcumar", "phenprocoumon"),
        ("Clexane", "enoxaparin"),
        ("Lovenox", "enoxaparin"),
        ("Fragmin", "dalteparin"),
        ("Innohep", "tinzaparin"),
        ("Arixtra", "fondaparinux"),
        ("heparin", "heparin"),
        ("Vitamin  D", "vitamin d"),  # unknown: folded, not guessed
        ("Crème", "creme"),
    ],
)
def test_medicine_key(name: str, key: str) -> None:
    assert medicine_key(name) == key


@pytest.mark.parametrize(
    "name",
    [
        "apixaban",
        "Eliquis",
        "rivaroxaban",
        "edoxaban",
        "dabigatran",
        "warfarin",
        "acenocoumarol",
        "phenprocoumon",
        "enoxaparin",
        "Clexane",
        "dalteparin",
        "tinzaparin",
        "fondaparinux",
        "heparin",
    ],
)
def test_oral_and_injected_anticoagulants_are_recognised(name: str) -> None:
    assert is_anticoagulant(name)


@pytest.mark.parametrize("name", ["aspirin", "Plavix", "vitamin D", "paracetamol", "", "x"])
def test_other_medicines_are_not_anticoagulants(name: str) -> None:
    assert not is_anticoagulant(name)


def test_short_or_ambiguous_words_are_not_fuzzily_matched() -> None:
    assert identify("hep") is None  # too short to be a safe misspelling
    assert identify("zzzzzzzz") is None


def test_every_brand_maps_back_to_its_generic() -> None:
    for medicine in KNOWN_MEDICINES:
        for brand in medicine.brands:
            assert medicine_key(brand) == medicine.generic
            assert display_generic(brand) == medicine.generic
        assert display_generic(medicine.generic) is None
