"""Every rule in the data files has a test: each sign pattern's examples, each severity row.

The examples live next to the rule in bot/domain/triage_rules/<lang>.yaml so that a clinician who
adds a pattern adds its two examples in the same place: the first must show the sign, the second
(negated, hypothetical or about someone else) must not.
"""

from __future__ import annotations

import pytest

from bot.domain.triage import ALL_SIGNS, Severity, detect_red_flags, severity_for, severity_rules
from bot.domain.triage_concepts import LanguagePack, Pattern, load_pack, read

PACK = load_pack("en")
PATTERNS: list[tuple[str, int, Pattern]] = [
    (rule.sign, i, pattern) for rule in PACK.signs for i, pattern in enumerate(rule.patterns)
]


def _id(item: tuple[str, int, Pattern]) -> str:
    return f"{item[0]}-{item[1]}"


def test_every_sign_in_the_pack_is_a_known_sign_with_a_rationale() -> None:
    assert {rule.sign for rule in PACK.signs} == ALL_SIGNS
    assert all(rule.rationale.strip() for rule in PACK.signs)


@pytest.mark.parametrize("item", PATTERNS, ids=_id)
def test_every_pattern_has_a_positive_and_a_negative_example(item: tuple[str, int, Pattern]) -> None:
    _, _, pattern = item
    assert len(pattern.examples) == 2, pattern


@pytest.mark.parametrize("item", PATTERNS, ids=_id)
def test_positive_example_shows_the_sign(item: tuple[str, int, Pattern]) -> None:
    sign, _, pattern = item
    assert sign in read(pattern.examples[0], PACK).signs, pattern.examples[0]


@pytest.mark.parametrize("item", PATTERNS, ids=_id)
def test_negated_or_other_person_example_does_not(item: tuple[str, int, Pattern]) -> None:
    sign, _, pattern = item
    assert sign not in read(pattern.examples[1], PACK).signs, pattern.examples[1]


def test_pack_concepts_are_all_used_or_are_roles() -> None:
    used = {c for rule in PACK.signs for p in rule.patterns for c in (*p.concepts, *p.unless)}
    assert PACK.concepts - used <= set(PACK.roles.values())


def test_pack_is_cached_and_immutable_in_use() -> None:
    assert load_pack("en") is PACK
    assert isinstance(PACK, LanguagePack)


# --- severity.yaml: one positive and one contrasting case per row ----------------------------------

SEVERITY_CASES: dict[str, tuple[tuple[str, bool | None, Severity], tuple[str, bool | None, Severity]]] = {
    # row id: (a case the row decides, a contrasting case it doesn't)
    "pe_signs": (("breathless", False, Severity.EMERGENCY), ("leg_swelling", False, Severity.URGENT)),
    "vomiting_blood": (
        ("bleeding_vomit", False, Severity.EMERGENCY),
        ("bleeding_stool", False, Severity.URGENT),
    ),
    "bleeding_on_blood_thinner": (
        ("bleeding_urine", None, Severity.EMERGENCY),
        ("bleeding_urine", False, Severity.URGENT),
    ),
    "bleeding_without_blood_thinner": (
        ("head_injury", False, Severity.URGENT),
        ("head_injury", True, Severity.EMERGENCY),
    ),
    "dvt_signs": (("red_skin", None, Severity.URGENT), ("red_skin", True, Severity.URGENT)),
    "heavy_period": (("heavy_period", True, Severity.URGENT), ("heavy_period", None, Severity.URGENT)),
}


def test_every_severity_row_has_cases() -> None:
    assert {r.id for r in severity_rules()} == set(SEVERITY_CASES)
    assert all(r.rationale.strip() for r in severity_rules())


@pytest.mark.parametrize("row", sorted(SEVERITY_CASES))
def test_severity_row(row: str) -> None:
    for sign, thinners, expected in SEVERITY_CASES[row]:
        assert severity_for({sign}, on_blood_thinners=thinners) is expected, (sign, thinners)


def test_dvt_signs_with_breathlessness_are_an_emergency() -> None:
    assert severity_for({"leg_swelling", "breathless"}, on_blood_thinners=False) is Severity.EMERGENCY


def test_heavy_period_with_feeling_faint_is_an_emergency() -> None:
    assert detect_red_flags("my period is so heavy and I feel faint").severity is Severity.EMERGENCY
    assert detect_red_flags("my period is so heavy").severity is Severity.URGENT


def test_no_signs_is_info() -> None:
    assert severity_for(set(), on_blood_thinners=None) is Severity.INFO


# --- how a message is read -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("feels like an elephant sitting on my chest", "chest_pain"),
        ("blood, quite a lot of it, came up when I was coughing", "coughing_blood"),
        ("I've been on apixaban since May and this evening my wee looks like rosé", "bleeding_urine"),
        ("threw up what looked like coffee grounds", "bleeding_vomit"),
        ("pressed on the cut for 15 minutes and it's still bleeding", "bleeding_wont_stop"),
        ("everything went black for a second", "fainting"),
        ("soaking a pad every hour on my period", "heavy_period"),
    ],
)
def test_concepts_meet_in_any_order_within_a_window(text: str, sign: str) -> None:
    assert sign in detect_red_flags(text).signs


@pytest.mark.parametrize(
    "text",
    [
        "my leg feels weird",
        "something is not right with my chest",
        "my calf huts",  # a real word one letter from a symptom word
    ],
)
def test_symptom_like_words_without_a_sign_are_uncertain(text: str) -> None:
    result = detect_red_flags(text)
    assert result.severity is Severity.INFO
    assert result.uncertain


@pytest.mark.parametrize(
    "text",
    [
        "what are the symptoms of a PE?",
        "can a DVT cause chest pain?",
        "no chest pain, no breathlessness, just asking about flights",
        "my breathing is back to normal now",
        "thanks, see you tomorrow",
    ],
)
def test_clear_questions_and_reassurance_are_not_uncertain(text: str) -> None:
    result = detect_red_flags(text)
    assert result.severity is Severity.INFO
    assert not result.uncertain


def test_uncertain_is_never_set_with_a_sign() -> None:
    for text in ("my chest hurts", "my calf is swollen", "my leg feels weird and I can't breathe"):
        result = detect_red_flags(text)
        assert result.severity is not Severity.INFO
        assert not result.uncertain


def test_the_message_names_a_blood_thinner() -> None:
    assert read("my poo is black, I take warfarin", PACK).on_blood_thinners is True
    assert read("my poo is black, I'm not on warfarin", PACK).on_blood_thinners is False
    assert read("my poo is black", PACK, on_blood_thinners=False).on_blood_thinners is False
