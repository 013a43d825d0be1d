"""Red-flag rules (SAFETY.md 1-3), how messages are read, and the guided check's state machine."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import OSA

from bot.domain.triage import (
    ALL_SIGNS,
    BLEEDING_SIGNS,
    BLOOD_THINNER_QUESTION_ID,
    CHECK_QUESTIONS,
    DVT_SIGNS,
    PE_SIGNS,
    CheckOutcome,
    CheckQuestion,
    Severity,
    TriageResult,
    check_question,
    detect_red_flags,
    next_step,
    normalise,
    severity_for,
)
from bot.domain.triage_concepts import load_pack

E, U, INFO = Severity.EMERGENCY, Severity.URGENT, Severity.INFO


def sev(text: str, thinners: bool | None = None) -> Severity:
    return detect_red_flags(text, on_blood_thinners=thinners).severity


def signs(text: str, thinners: bool | None = None) -> frozenset[str]:
    return detect_red_flags(text, on_blood_thinners=thinners).signs


def test_severity_orders_by_urgency() -> None:
    assert INFO < U < E
    assert max(INFO, E, U) is E


def test_result_is_a_frozen_value() -> None:
    result = detect_red_flags("my calf is swollen")
    assert result == TriageResult(U, frozenset({"leg_swelling"}))
    with pytest.raises(AttributeError):
        result.severity = E  # type: ignore[misc]


def test_sign_ids_are_the_documented_ones() -> None:
    assert {"breathless", "chest_pain", "fast_heartbeat", "coughing_blood", "fainting"} == PE_SIGNS
    assert {"leg_swelling", "leg_pain", "warm_skin", "red_skin", "hard_vein"} == DVT_SIGNS
    assert {
        "bleeding_vomit",
        "bleeding_stool",
        "bleeding_urine",
        "bleeding_wont_stop",
        "severe_headache",
        "head_injury",
    } == BLEEDING_SIGNS


# --- the rules themselves ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("I can't catch my breath", "breathless"),
        ("struggling to breathe", "breathless"),
        ("out of breath", "breathless"),
        ("I'm breathless", "breathless"),
        ("chest pain", "chest_pain"),
        ("it hurts when I breathe in", "chest_pain"),
        ("heart pounding", "fast_heartbeat"),
        ("my heart is racing", "fast_heartbeat"),
        ("pulse 130", "fast_heartbeat"),
        ("spitting blood", "coughing_blood"),
        ("coughed up blood", "coughing_blood"),
        ("passed out", "fainting"),
        ("I feel light-headed", "fainting"),
    ],
)
def test_pe_signs_are_emergencies(text: str, sign: str) -> None:
    for thinners in (None, True, False):
        result = detect_red_flags(text, on_blood_thinners=thinners)
        assert result.severity is E, (text, thinners)
        assert sign in result.signs


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("leg is swollen and hot", "leg_swelling"),
        ("calf hurts", "leg_pain"),
        ("my calf is warm to the touch", "warm_skin"),
        ("the skin on my leg is red", "red_skin"),
        ("hard vein in my thigh", "hard_vein"),
        ("my arm is swollen", "leg_swelling"),
    ],
)
def test_dvt_signs_are_urgent(text: str, sign: str) -> None:
    result = detect_red_flags(text)
    assert result.severity is U
    assert sign in result.signs


@pytest.mark.parametrize(
    "text",
    [
        "my calf is swollen and I'm breathless",
        "leg hurts and I have chest pain",
        "swollen leg, struggling to breathe",
    ],
)
def test_dvt_signs_with_breathlessness_or_chest_pain_are_emergencies(text: str) -> None:
    result = detect_red_flags(text)
    assert result.severity is E
    assert result.signs & DVT_SIGNS
    assert result.signs & {"breathless", "chest_pain"}


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("black poo", "bleeding_stool"),
        ("blood in my stool", "bleeding_stool"),
        ("peeing blood", "bleeding_urine"),
        ("my urine is brown", "bleeding_urine"),
        ("nosebleed won't stop", "bleeding_wont_stop"),
        ("my cut has been bleeding for 20 minutes", "bleeding_wont_stop"),
        ("worst headache of my life", "severe_headache"),
        ("bumped my head", "head_injury"),
    ],
)
def test_bleeding_on_blood_thinners_or_unknown_is_emergency(text: str, sign: str) -> None:
    assert sign in signs(text)
    assert sev(text, True) is E
    assert sev(text, None) is E  # not known: escalate
    assert sev(text, False) is U  # still needs a doctor today


@pytest.mark.parametrize("text", ["I threw up blood", "vomiting blood", "I coughed up blood"])
def test_vomiting_or_coughing_blood_is_always_an_emergency(text: str) -> None:
    for thinners in (None, True, False):
        assert sev(text, thinners) is E


def test_message_mentioning_a_thinner_counts_as_on_one() -> None:
    assert sev("on warfarin and my wee is red", False) is E
    assert sev("I take xarelto and my poo is black", False) is E
    assert sev("I'm not on blood thinners but my poo is black") is U
    assert sev("I'm not on any blood thinners but my poo is black", True) is E  # profile says yes


def test_severity_for_applies_the_rules_to_sign_sets() -> None:
    assert severity_for([], on_blood_thinners=None) is INFO
    assert severity_for(["leg_pain"], on_blood_thinners=None) is U
    assert severity_for(["leg_pain", "breathless"], on_blood_thinners=None) is E
    assert severity_for(["head_injury"], on_blood_thinners=False) is U
    assert severity_for(["head_injury"], on_blood_thinners=None) is E
    assert severity_for(["bleeding_vomit"], on_blood_thinners=False) is E


# --- lay language, typos, abbreviations ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "thinners", "expected"),
    [
        ("can't catch my breath", None, E),
        ("struggling to breathe", None, E),
        ("out of breath", None, E),
        ("spitting blood", None, E),
        ("heart pounding", None, E),
        ("heart racing", None, E),
        ("passed out", None, E),
        ("leg is swollen and hot", None, U),
        ("calf hurts", None, U),
        ("black poo", True, E),
        ("peeing blood", True, E),
        ("nosebleed won't stop", True, E),
        ("bumped my head", True, E),
        ("my heart's going like the clappers, racing", None, E),
        ("pins and needles", None, INFO),
    ],
)
def test_lay_language(text: str, thinners: bool | None, expected: Severity) -> None:
    assert sev(text, thinners) is expected


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("brethless", "breathless"),
        ("breathles", "breathless"),
        ("chest pian", "chest_pain"),
        ("chets pain", "chest_pain"),
        ("coughin up blod", "coughing_blood"),
        ("caughing blood", "coughing_blood"),
        ("swolen calf", "leg_swelling"),
        ("calf is swolllen", "leg_swelling"),
        ("hart racing", "fast_heartbeat"),
        ("palpitaions", "fast_heartbeat"),
        ("dizy", "fainting"),
        ("vomitting blood", "bleeding_vomit"),
        ("terrible hedache", "severe_headache"),
        ("blak poo", "bleeding_stool"),
        ("sob", "breathless"),
        ("SOB since this morning", "breathless"),
        ("cnt breathe", "breathless"),
        ("light-headed", "fainting"),
    ],
)
def test_typos_and_abbreviations(text: str, sign: str) -> None:
    assert sign in signs(text, True)


@pytest.mark.parametrize(
    "text",
    [
        "sob story: my cat knocked over my pills",
        "I was sobbing all night",
        "I sob when I think about it",
        "we're out of bread",
        "my back hurts",
        "I need to paint the fence",
        "chess club tonight",
    ],
)
def test_real_words_are_not_corrected_into_symptoms(text: str) -> None:
    assert sev(text) is INFO


def test_real_words_list_covers_every_dictionary_collision() -> None:
    lists = [Path("/usr/share/dict/american-english"), Path("/usr/share/dict/british-english")]
    if not all(p.is_file() for p in lists):
        pytest.skip("needs the wamerican and wbritish word lists (apt-get install wamerican wbritish)")
    words = {
        w
        for p in lists
        for w in p.read_text(encoding="utf-8", errors="ignore").split()
        if w.isalpha() and w.islower() and w.isascii() and len(w) >= 4
    }
    pack = load_pack("en")
    near = {
        w
        for w in words - pack.vocabulary
        if any(
            OSA.distance(w, v) <= (1 if len(w) < 8 else 2) for v in pack.vocabulary_by_initial.get(w[0], ())
        )
    }
    missing = sorted(near - pack.never_correct)
    assert missing == [], "add to bot/domain/triage_rules/en_real_words.txt: " + " ".join(missing)


# --- several symptoms, negation, questions ---------------------------------------------------


def test_several_symptoms_in_one_message_are_all_found() -> None:
    found = signs("my calf is swollen and red, I feel dizzy and my heart is racing, and I'm on apixaban")
    assert {"leg_swelling", "red_skin", "fainting", "fast_heartbeat"} <= found
    assert signs("black poo and peeing blood", True) >= {"bleeding_stool", "bleeding_urine"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no chest pain", INFO),
        ("I don't have any breathing problems", INFO),
        ("not short of breath but my calf is swollen", U),
        ("no chest pain but I coughed up blood", E),
        ("my calf isn't swollen", INFO),
        ("my leg is not swollen but it is red", U),
        ("no chest pain, no breathlessness, no swelling", INFO),
        ("no chest pain, just a sore calf", U),
        ("I don't have chest pain and my leg is swollen", U),
        ("not sure if I'm breathless", E),
        ("I don't know, I just can't breathe", E),
        ("not feeling well, very dizzy", E),
        ("no, I can't breathe", E),
        ("chest pain: none", INFO),
        ("breathless? no. calf swollen? yes", U),
        ("my calf is pain free now", INFO),
        ("the swelling has gone", INFO),
        ("the swelling has gone down a bit", U),
        ("my chest pain has gone", E),  # a PE sign that passed still needs help now
        ("not really chest pain, more like a tightness in my chest", E),
        ("bleeding isn't stopping", E),
    ],
)
def test_negation_is_scoped_to_its_clause(text: str, expected: Severity) -> None:
    assert sev(text) is expected


@pytest.mark.parametrize(
    "text",
    [
        "what is a DVT",
        "can I massage my leg",
        "what are the signs of PE?",
        "how long do I take apixaban",
        "does a clot cause chest pain?",
        "can a DVT make you breathless?",
        "is coughing blood a sign of PE?",
        "are leg cramps a symptom of DVT?",
        "what does a pulmonary embolism feel like?",
        "my doctor told me to watch out for chest pain",
        "what should I do if I get chest pain?",
        "what if my leg swells on the plane?",
        "signs of a PE include chest pain and breathlessness",
        "can anxiety cause a racing heart?",
        "my heart rate is 72",
        "I'm breathing fine today",
    ],
)
def test_ordinary_questions_are_info(text: str) -> None:
    assert sev(text) is INFO


@pytest.mark.parametrize(
    "text",
    [
        "is coughing up blood an emergency?",  # no topic word: treated as a report
        "can't breathe is it a pe?",  # doesn't start as a question
        "I'm short of breath, is this a PE?",
        "is it normal for my leg to be swollen after a DVT?",
        "if i get up i feel dizzy",
        "my mum can't breathe, what do I do?",
    ],
)
def test_reports_phrased_as_questions_still_escalate(text: str) -> None:
    assert sev(text) >= U


# --- normalisation ------------------------------------------------------------------------------


def test_normalise_handles_unicode_tricks() -> None:
    assert normalise("ＣＨＥＳＴ ＰＡＩＮ") == ["chest", "pain"]
    assert normalise("che\u200bst pa\u200din") == ["chest", "pain"]
    assert normalise("I can\u2019t breathe") == ["i", "cant", "breathe"]
    assert normalise("light-headed!") == ["lightheaded", "."]
    assert normalise("hr 120") == ["heartrate", "120"]
    assert sev("m\u200by c\u200balf is swollen") is U
    assert sev("ＣＨＥＳＴ ＰＡＩＮ") is E


def test_oximeter_readings() -> None:
    assert sev("my oxygen is 89%") is E
    assert sev("sats 96") is INFO


# --- properties ---------------------------------------------------------------------------------

_EMERGENCY_PHRASES = [
    "I can't breathe",
    "chest pain",
    "I coughed up blood",
    "I passed out",
    "my heart is racing",
    "I threw up blood",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=400), thinners=st.sampled_from([None, True, False]))
def test_arbitrary_text_never_raises(text: str, thinners: bool | None) -> None:
    result = detect_red_flags(text, on_blood_thinners=thinners)
    assert isinstance(result.severity, Severity)
    assert result.signs <= ALL_SIGNS


_VOCAB_SAMPLE = (
    "no not don't but and , . ? chest pain calf swollen leg what if does a clot I my sob "
    "breathless blood cough signs of watch out for never sure black poo head"
)
_words = st.sampled_from(_VOCAB_SAMPLE.split(" "))


@settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(st.text(max_size=200), st.lists(_words, max_size=25).map(" ".join)),
    phrase=st.sampled_from(_EMERGENCY_PHRASES),
    thinners=st.sampled_from([None, True, False]),
)
def test_adding_an_emergency_phrase_never_lowers_severity(
    text: str, phrase: str, thinners: bool | None
) -> None:
    before = sev(text, thinners)
    for combined in (f"{text}. {phrase}", f"{phrase}. {text}", f"{text}\n{phrase}"):
        after = sev(combined, thinners)
        assert after >= before, combined
        assert after is E, combined


@settings(max_examples=200, deadline=None)
@given(text=st.lists(_words, max_size=25).map(" ".join), thinners=st.sampled_from([None, True, False]))
def test_severity_matches_the_signs_found(text: str, thinners: bool | None) -> None:
    result = detect_red_flags(text, on_blood_thinners=thinners)
    if not result.signs:
        assert result.severity is INFO
    if result.signs & PE_SIGNS:
        assert result.severity is E


# --- the guided check ---------------------------------------------------------------------------


def ids(group: str) -> list[str]:
    return [q.id for q in CHECK_QUESTIONS if q.group == group]


def run(
    on_blood_thinners: bool | None, yes: set[str], thinner_answer: bool = False
) -> tuple[list[str], CheckOutcome]:
    """Answer every question the machine asks: Yes for ``yes``, No otherwise."""
    answers: dict[str, bool] = {}
    asked: list[str] = []
    for _ in range(len(CHECK_QUESTIONS) + 2):
        step = next_step(answers, on_blood_thinners)
        if isinstance(step, CheckOutcome):
            return asked, step
        asked.append(step.id)
        answers[step.id] = thinner_answer if step.id == BLOOD_THINNER_QUESTION_ID else step.id in yes
    raise AssertionError("the check did not finish")


def test_questions_are_grouped_as_documented() -> None:
    assert ids("pe") == ["breathless", "chest_pain", "fast_heartbeat", "coughing_blood", "fainting"]
    assert ids("bleeding") == [
        "bleeding_vomit",
        "bleeding_stool",
        "bleeding_urine",
        "bleeding_wont_stop",
        "headache_or_head_injury",
    ]
    assert ids("dvt") == ["leg_swelling", "leg_pain", "warm_skin", "red_skin", "hard_vein"]
    assert all(q.severity is E for q in CHECK_QUESTIONS if q.group in {"pe", "bleeding"})
    assert all(q.severity is U for q in CHECK_QUESTIONS if q.group == "dvt")
    assert len({q.id for q in CHECK_QUESTIONS}) == len(CHECK_QUESTIONS)


def test_check_question_lookup() -> None:
    assert check_question("breathless") == CHECK_QUESTIONS[0]
    thinner = check_question(BLOOD_THINNER_QUESTION_ID)
    assert isinstance(thinner, CheckQuestion)
    assert thinner.id == "thinner"
    assert check_question("nope") is None


def test_all_no_on_blood_thinners_asks_pe_then_bleeding_then_dvt() -> None:
    asked, outcome = run(True, set())
    assert asked == ids("pe") + ids("bleeding") + ids("dvt")
    assert outcome == CheckOutcome(INFO, frozenset())


def test_not_on_blood_thinners_skips_bleeding() -> None:
    asked, outcome = run(False, set())
    assert asked == ids("pe") + ids("dvt")
    assert outcome.severity is INFO


def test_unknown_thinner_status_is_asked_after_the_pe_questions() -> None:
    asked, _ = run(None, set(), thinner_answer=True)
    assert asked == [*ids("pe"), BLOOD_THINNER_QUESTION_ID, *ids("bleeding"), *ids("dvt")]
    asked, _ = run(None, set(), thinner_answer=False)
    assert asked == [*ids("pe"), BLOOD_THINNER_QUESTION_ID, *ids("dvt")]


def test_first_pe_yes_is_an_emergency_at_once() -> None:
    asked, outcome = run(None, {"breathless"})
    assert asked == ["breathless"]
    assert outcome == CheckOutcome(E, frozenset({"breathless"}))


def test_bleeding_yes_is_an_emergency_at_once() -> None:
    asked, outcome = run(True, {"bleeding_urine"})
    assert asked[-1] == "bleeding_urine"
    assert outcome == CheckOutcome(E, frozenset({"bleeding_urine"}))


def test_dvt_yes_is_urgent_and_stops() -> None:
    asked, outcome = run(False, {"leg_pain", "red_skin"})
    assert asked == [*ids("pe"), "leg_swelling", "leg_pain"]
    assert outcome == CheckOutcome(U, frozenset({"leg_pain"}))


def test_a_yes_to_the_thinner_question_beats_the_profile() -> None:
    answers: Mapping[str, bool] = dict.fromkeys(ids("pe"), False) | {BLOOD_THINNER_QUESTION_ID: True}
    step = next_step(answers, False)
    assert isinstance(step, CheckQuestion)
    assert step.id == "bleeding_vomit"


def test_an_emergency_yes_decides_whatever_the_order() -> None:
    outcome = next_step({"leg_swelling": True, "coughing_blood": True}, None)
    assert outcome == CheckOutcome(E, frozenset({"coughing_blood"}))


def test_unknown_answer_keys_are_ignored() -> None:
    step = next_step({"made_up": True}, True)
    assert isinstance(step, CheckQuestion)
    assert step.id == "breathless"


@settings(max_examples=200, deadline=None)
@given(
    thinners=st.sampled_from([None, True, False]),
    yes=st.sets(st.sampled_from([q.id for q in CHECK_QUESTIONS])),
    thinner_answer=st.booleans(),
)
def test_check_outcome_matches_the_rules(thinners: bool | None, yes: set[str], thinner_answer: bool) -> None:
    asked, outcome = run(thinners, yes, thinner_answer)
    on_thinner = thinners if thinners is not None else thinner_answer
    reachable = set(ids("pe")) | (set(ids("bleeding")) if on_thinner else set())
    if yes & reachable:
        assert outcome.severity is E
    elif yes & set(ids("dvt")):
        assert outcome.severity is U
    else:
        assert outcome.severity is INFO
    assert len(asked) == len(set(asked))
    assert outcome.signs <= yes
