"""Round 2 of the detector: the vocabulary's breadth and the framing rules, one test per idea.

The phrasings below are how people in the UK, US, Australia, Ireland, India and elsewhere say each
concept: slang, metaphors, similes, understatements and body-part synonyms. Each must reach its sign
(SAFETY.md rules 1-3). The framing tests check who and when: someone with the writer now escalates
like the writer; history, hearsay, recovery and questions about what counts as a sign do not.
"""

from __future__ import annotations

import pytest

from bot.domain.triage import Severity, detect_red_flags
from bot.domain.triage_concepts import load_pack

PACK = load_pack("en")

PHRASINGS: dict[str, list[str]] = {
    "breathless": [
        "I'm puffing and panting and I've only walked to the kitchen",
        "can't get enough air in",
        "I'm wheezy and tight and I've never had asthma",
        "feel like I'm being smothered",
        "I'm out of wind after two steps",
        "having breathing difficulty since lunch",
        "my lips have gone a dusky colour",
        "I'm so winded I can barely talk",
        "feels like I'm breathing through a pillow",
        "having breathing trouble",
    ],
    "chest_pain": [
        "sharp pain under my ribs when I take a deep breath",
        "it's like daggers in my chest",
        "my chest feels like it's in a vice",
        "burning in my chest when I cough",
        "piercing pain in my ribcage",
        "a stitch in my chest that won't go when I breathe",
        "my chest is being squashed",
    ],
    "fast_heartbeat": [
        "my heart is going mad",
        "my heart is beating fast and hard",
        "heart is stuttering",
        "my heart rate is 150",
        "having palps all afternoon",
        "feels like my heart is out of control",
    ],
    "coughing_blood": [
        "my spit is blood tinged when I cough",
        "coughing up bright red",
        "hocking up blood",
        "I coughed and there was claret on the tissue",
    ],
    "bleeding_vomit": [
        "I upchucked blood",
        "hurled and it was bloody",
        "I've been vomming blood",
        "I threw up and it looked like coffee dregs",
    ],
    "bleeding_stool": [
        "my poop is black like tar",
        "blood in the toilet bowl after a number two",
        "my stools look like treacle",
        "bleeding piles on the toilet paper",
        "I've got the runs and there's blood",
    ],
    "bleeding_urine": [
        "my wee is the colour of Coca Cola",
        "my pee looks like rosé wine",
        "my urine is a rusty brown",
        "passing water that looks like strong tea",
        "my wee looks like beetroot juice",
    ],
    "bleeding_wont_stop": [
        "the cut is oozing blood and won't stop",
        "my nosebleed has gone on for 40 minutes",
        "blood keeps coming through the bandage",
        "my gums won't stop bleeding all day",
    ],
    "severe_headache": [
        "my head is thumping like mad",
        "a crippling headache came from nowhere",
        "brutal headache, 10 out of 10",
        "my head is in agony",
    ],
    "head_injury": [
        "I whacked my head on the shelf",
        "slammed my head into the car door",
        "I clattered my head when I tripped",
        "I knocked myself out on a beam",
    ],
    "fainting": [
        "I came round on the bathroom floor",
        "I blanked out for a minute",
        "I'm seeing stars and feel faintish",
        "my knees buckled and I went down like a sack",
        "I feel like I'm about to drop",
        "dad is out for the count on the sofa and won't wake",
    ],
    "leg_swelling": [
        "my leg is swole on one side",
        "I've got water retention in one ankle",
        "my calf has doubled in size",
        "my ankle is like an elephant's",
        "my shoes don't fit on my right foot, it's swollen up",
    ],
    "leg_pain": [
        "pulling pain in my calf",
        "my leg is stiff and throbbing",
        "spasm in my calf that won't let go",
        "I'm hobbling because my shin hurts",
        "a gnawing ache in my thigh",
    ],
    "warm_skin": [
        "my calf feels like a hot water bottle",
        "my leg is boiling to the touch",
        "my shin is toasty compared to the other",
    ],
    "red_skin": [
        "my calf is flushed and angry",
        "my leg has gone violet",
        "my ankle is blotchy red",
    ],
    "hard_vein": [
        "a vein in my leg feels like a pencil",
        "the vein on my shin is knobbly and sore",
        "my varicose vein is sticking out and hard",
    ],
    "heavy_period": [
        "my period is torrential",
        "I'm leaking through a super plus every hour on my period",
        "huge clots on my period, like chunks",
    ],
}

CASES = [(sign, text) for sign, texts in PHRASINGS.items() for text in texts]


@pytest.mark.parametrize(("sign", "text"), CASES, ids=[f"{s}-{i}" for i, (s, _) in enumerate(CASES)])
def test_everyday_phrasing_reaches_its_sign(sign: str, text: str) -> None:
    assert sign in detect_red_flags(text).signs, text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my husband is wheezing and can hardly talk", Severity.EMERGENCY),
        ("dad's leg has ballooned since his op", Severity.URGENT),
        ("my wife just keeled over in the kitchen", Severity.EMERGENCY),
        ("my son's wee has gone the colour of cola", Severity.EMERGENCY),
        ("mum is coughing up blood right now", Severity.EMERGENCY),
    ],
)
def test_someone_with_the_writer_now_escalates_like_the_writer(text: str, expected: Severity) -> None:
    assert detect_red_flags(text).severity is expected


@pytest.mark.parametrize(
    "text",
    [
        "a friend said her wee turned pink once, what causes that?",
        "my leg was swollen years ago but that got sorted",
        "the chest pain from my PE back in 2019 went away ages ago",
        "swelling has gone down completely now",
        "my leg was swollen but it has gone down",
        "my calf was sore last week, it's fine now",
        "my aunt said she had black stools once, what causes that?",
        "I used to faint as a teenager",
        "what counts as a heavy period?",
        "why does apixaban make periods heavier?",
        "what is classed as a severe headache?",
    ],
)
def test_history_hearsay_recovery_and_questions_about_signs_stay_info(text: str) -> None:
    assert detect_red_flags(text).severity is Severity.INFO


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I had a PE in 2019 and now my chest hurts", Severity.EMERGENCY),
        ("years ago I had a DVT, my calf is swollen again", Severity.URGENT),
        ("out of breath climbing the stairs, never used to be", Severity.EMERGENCY),
        ("the swelling has gone down a bit", Severity.URGENT),
        ("I've had chest pain since my PE in 2019", Severity.EMERGENCY),
        ("I have the same chest pain I had back in 2019", Severity.EMERGENCY),
        ("my leg is swollen like it was years ago", Severity.URGENT),
        ("I feel faint like I used to as a teenager", Severity.EMERGENCY),
        ("I've got the same swelling as last year", Severity.URGENT),
        ("my wee is pink like years ago", Severity.EMERGENCY),
        ("my calf is much better but my ankle is swollen", Severity.URGENT),
        ("my knee is fine now but my calf is red and hot", Severity.URGENT),
        ("the swelling went away but came back today", Severity.URGENT),
        ("the bruise cleared but my calf hurts", Severity.URGENT),
    ],
)
def test_the_past_does_not_hide_what_is_happening_now(text: str, expected: Severity) -> None:
    assert detect_red_flags(text).severity is expected


@pytest.mark.parametrize(
    "text",
    [
        "my nose has been pouring for half an hour",
        "my toes are tingly and cold",
        "I feel awful today",
        "my husband says his arm feels weird",
        "is it normal that my foot has gone white?",
    ],
)
def test_a_report_about_a_body_that_reaches_no_sign_is_asked_about(text: str) -> None:
    result = detect_red_flags(text)
    assert result.severity is Severity.INFO
    assert result.uncertain


@pytest.mark.parametrize(
    "text",
    [
        "does apixaban cause nosebleeds?",
        "what are the signs of a clot in the arm?",
        "I had a bad cold years ago",
        "my leg felt weird back in 2015",
        "the swelling in my leg went away weeks ago",
    ],
)
def test_questions_and_history_are_not_asked_about(text: str) -> None:
    result = detect_red_flags(text)
    assert result.severity is Severity.INFO
    assert not result.uncertain


def test_framing_lists_are_data_in_the_language_pack() -> None:
    assert ("years", "ago") in PACK.long_past["years"]
    assert ("in", "<year>") in PACK.long_past["in"]
    assert "now" in PACK.present
    assert "husband" in PACK.report_words
    assert PACK.roles["body_part"] in PACK.concepts
    assert PACK.roles["body_change"] in PACK.concepts
