"""A deterministic paraphrase suite for the red-flag detector: thousands of messages, built systematically.

Each emergency and urgent sign x several lay wordings x context around it (a preamble, medicine names,
times, "since this morning", a question at the end) x with or without a typo in a symptom word, plus
negated ("I don't have ...") and general or hypothetical ("can a clot cause ...?") variants that must
not escalate. The same inputs always give the same messages (the typo positions come from a seeded
random generator), so a failure can be reproduced exactly.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from bot.domain.triage import Severity
from tests.eval.triage_eval import Case

E, U, INFO = Severity.EMERGENCY, Severity.URGENT, Severity.INFO


@dataclass(frozen=True, slots=True)
class SignWordings:
    """How people say one sign: a neutral noun phrase, reports about themselves, and the labels."""

    sign: str
    noun: str
    reports: Sequence[str]
    # The label for a report, by blood-thinner status.
    on_thinner: Severity
    off_thinner: Severity
    unknown: Severity


SIGNS: tuple[SignWordings, ...] = (
    SignWordings(
        "breathless",
        "shortness of breath",
        [
            "I can't get my breath",
            "I'm really short of breath",
            "breathing is so hard right now",
            "I'm gasping for air",
            "I get out of breath just sitting still",
            "struggling to breathe",
            "my breathing has gone fast and shallow",
            "can't catch my breath at all",
        ],
        E,
        E,
        E,
    ),
    SignWordings(
        "chest_pain",
        "chest pain",
        [
            "my chest hurts",
            "sharp pain in my chest",
            "it hurts in my chest when I breathe in",
            "there's a tight pressure across my chest",
            "pain in my ribs every time I take a breath",
            "my chest feels heavy and sore",
            "stabbing chest pain",
            "chest is really painful when I cough",
        ],
        E,
        E,
        E,
    ),
    SignWordings(
        "fast_heartbeat",
        "a racing heart",
        [
            "my heart is racing",
            "heart pounding really fast",
            "my heartbeat feels irregular",
            "I've got palpitations",
            "my pulse is 130",
            "my heart keeps fluttering and skipping",
            "heart is thumping like crazy",
        ],
        E,
        E,
        E,
    ),
    SignWordings(
        "coughing_blood",
        "coughing up blood",
        [
            "I'm coughing up blood",
            "there's blood when I cough",
            "I coughed and there was blood in my phlegm",
            "blood came up with my cough",
            "coughing up pink spit",
            "streaks of blood in my mucus after coughing",
        ],
        E,
        E,
        E,
    ),
    SignWordings(
        "fainting",
        "fainting",
        [
            "I fainted",
            "I feel really dizzy and lightheaded",
            "I passed out earlier",
            "I blacked out in the kitchen",
            "I feel like I'm going to faint",
            "I collapsed on the floor",
            "I feel woozy and faint",
        ],
        E,
        E,
        E,
    ),
    SignWordings(
        "bleeding_vomit",
        "vomiting blood",
        [
            "I'm vomiting blood",
            "I threw up blood",
            "my sick had blood in it",
            "I vomited something that looked like coffee grounds",
            "I was sick and it was bright red",
            "puked up blood",
        ],
        E,
        E,
        E,
    ),
    SignWordings(
        "bleeding_stool",
        "black stools",
        [
            "my poo is black",
            "black tarry stools",
            "there's blood in my poo",
            "blood in the toilet after I went",
            "my stool is very dark, almost black",
            "red blood when I wipe my bottom",
        ],
        E,
        U,
        E,
    ),
    SignWordings(
        "bleeding_urine",
        "blood in the urine",
        [
            "my pee is pink",
            "there's blood in my urine",
            "my wee looks like cola",
            "my urine has gone red",
            "peeing blood",
            "my urine is brown like tea",
        ],
        E,
        U,
        E,
    ),
    SignWordings(
        "bleeding_wont_stop",
        "bleeding that won't stop",
        [
            "my cut won't stop bleeding",
            "nosebleed that won't stop",
            "I've been pressing on it for 20 minutes and it's still bleeding",
            "the bleeding hasn't stopped for an hour",
            "my gums keep bleeding and won't stop",
            "blood is pouring from the cut",
        ],
        E,
        U,
        E,
    ),
    SignWordings(
        "severe_headache",
        "a severe headache",
        [
            "I have the worst headache of my life",
            "sudden severe headache",
            "my head is pounding",
            "a terrible headache came on suddenly",
            "excruciating headache",
        ],
        E,
        U,
        E,
    ),
    SignWordings(
        "head_injury",
        "a head injury",
        [
            "I hit my head",
            "I banged my head on the door",
            "I fell and knocked my head",
            "bumped my head hard on the cupboard",
            "I slipped and smacked my head on the floor",
        ],
        E,
        U,
        E,
    ),
    SignWordings(
        "leg_swelling",
        "a swollen leg",
        [
            "my leg is swollen",
            "my calf has swollen up",
            "one ankle is much bigger than the other",
            "my left leg looks puffy",
            "swelling in my right calf",
            "my arm is swollen",
        ],
        U,
        U,
        U,
    ),
    SignWordings(
        "leg_pain",
        "calf pain",
        [
            "my calf hurts",
            "pain in my leg",
            "my thigh is aching",
            "cramp in my calf that won't go",
            "the back of my knee is tender",
            "my leg is sore when I walk",
        ],
        U,
        U,
        U,
    ),
    SignWordings(
        "warm_skin",
        "a warm leg",
        [
            "my leg feels hot",
            "my calf is warm to touch",
            "the skin on my leg is warm",
            "my ankle feels hotter than the other",
        ],
        U,
        U,
        U,
    ),
    SignWordings(
        "red_skin",
        "red skin on the leg",
        [
            "my leg has gone red",
            "the skin on my calf is red",
            "my leg looks purple",
            "a red patch on my shin",
            "my calf has gone a darker colour",
        ],
        U,
        U,
        U,
    ),
    SignWordings(
        "hard_vein",
        "a hard vein",
        [
            "a vein in my leg feels hard",
            "the vein is sore and lumpy",
            "there's a hard lump in my calf",
            "my veins feel hard and tender",
        ],
        U,
        U,
        U,
    ),
    SignWordings(
        "heavy_period",
        "heavy periods",
        [
            "my period is really heavy",
            "I'm soaking through a pad every hour",
            "very heavy period with big clots",
            "my periods have got much heavier",
        ],
        U,
        U,
        U,
    ),
)

PREAMBLES: tuple[str, ...] = (
    "",
    "hi, ",
    "sorry to bother you but ",
    "I had a DVT in March and I'm on apixaban. ",
    "quick question, I take rivaroxaban at 8am every day and ",
    "so worried. ",
)
TAILS: tuple[str, ...] = (
    "",
    " since this morning",
    " for the last hour",
    ", I took my warfarin at 6pm",
    ". what should I do?",
    " and I'm scared",
)
NEGATIONS: tuple[str, ...] = (
    "I don't have {noun}",
    "no {noun} at all, just checking in",
    "I haven't had any {noun}",
    "not had {noun}, thankfully",
)
GENERAL: tuple[str, ...] = (
    "can a clot cause {noun}?",
    "is {noun} a sign of a PE?",
    "the leaflet says to watch out for {noun}",
    "what should I do if I get {noun}?",
    "my friend said {noun} can mean a clot, is that true?",
)


def _typo(text: str, rng: random.Random) -> str:
    """Misspell one of the longer words: drop, swap or double a letter inside it."""
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w = words[i]
    k = rng.randrange(1, len(w) - 2)
    op = rng.randrange(3)
    if op == 0:
        w = w[:k] + w[k + 1 :]
    elif op == 1:
        w = w[:k] + w[k + 1] + w[k] + w[k + 2 :]
    else:
        w = w[:k] + w[k] + w[k:]
    words[i] = w
    return " ".join(words)


def _label(sign: SignWordings, thinners: bool | None) -> Severity:
    if thinners is True:
        return sign.on_thinner
    if thinners is False:
        return sign.off_thinner
    return sign.unknown


def positive_cases() -> Iterator[tuple[str, Case]]:
    """Yield (sign, case) for every report: wording x preamble x tail x typo x blood-thinner status."""
    rng = random.Random(16)
    for sign in SIGNS:
        for report in sign.reports:
            for p, preamble in enumerate(PREAMBLES):
                for t, tail in enumerate(TAILS):
                    for typo in (False, True):
                        text = preamble + report + tail
                        if typo:
                            text = _typo(text, rng)
                        # Rotate blood-thinner status so each wording meets all three.
                        thinners = (None, True, False)[(p + t) % 3]
                        mentions = "apixaban" in preamble or "rivaroxaban" in preamble or "warfarin" in tail
                        if mentions:
                            thinners = True
                        yield (
                            sign.sign,
                            Case(text=text, expected=_label(sign, thinners), on_blood_thinners=thinners),
                        )


def negative_cases() -> Iterator[tuple[str, Case]]:
    """Yield (sign, case) for negated and general/hypothetical mentions: none may escalate."""
    for sign in SIGNS:
        for template in NEGATIONS + GENERAL:
            text = template.format(noun=sign.noun)
            yield sign.sign, Case(text=text, expected=INFO, on_blood_thinners=None)
            yield sign.sign, Case(text=text, expected=INFO, on_blood_thinners=True)


def all_cases() -> list[Case]:
    """Return every generated case, positives first."""
    return [c for _, c in positive_cases()] + [c for _, c in negative_cases()]
