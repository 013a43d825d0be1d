"""A deterministic paraphrase suite for the red-flag detector: thousands of messages, built systematically.

Each emergency and urgent sign x several lay wordings (round 2: slang, metaphors and similes too) x
context around it (a preamble, medicine names, times, "since this morning", a question at the end) x
with or without a typo in a symptom word; present-tense reports about someone with the writer ("my
husband is wheezing"); plus negated ("I don't have ..."), general or hypothetical ("can a clot cause
...?") and past or recovered ("... years ago but that got sorted") variants that must not escalate.
The same inputs always give the same messages (the typo positions come from a seeded
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
    # Round 2: present-tense reports about someone who is with the writer ("my husband is wheezing"):
    # they escalate like a first-person report; the relative's blood-thinner status is not known.
    others: Sequence[str] = ()


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
            "I'm huffing and puffing sitting down",
            "totally out of puff",
            "it feels like I'm drowning",
            "I'm wheezing and can hardly talk",
            "I can't fill my lungs",
        ],
        E,
        E,
        E,
        [
            "my husband is wheezing and can hardly talk",
            "mum is gasping for air",
            "my dad can't catch his breath",
            "my wife is not breathing properly",
        ],
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
            "my chest is paining",
            "like a knife in my ribs when I breathe in",
            "feels like someone is sitting on my chest",
            "a band squeezing my chest",
        ],
        E,
        E,
        E,
        [
            "my husband says his chest hurts",
            "dad has crushing pain in his chest",
            "my mum's chest feels tight and heavy",
        ],
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
            "my ticker is going like the clappers",
            "my heart is doing somersaults",
            "heart going ten to the dozen",
        ],
        E,
        E,
        E,
        [
            "my wife's heart is racing",
            "dad's heart is pounding really fast",
            "my son's heartbeat is all over the place",
        ],
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
            "hawked up red stuff",
            "my phlegm has gone rusty",
            "coughed up a mouthful of blood",
        ],
        E,
        E,
        E,
        [
            "my husband is coughing up blood",
            "grandad coughed up blood just now",
        ],
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
            "I keeled over",
            "I hit the deck in the kitchen",
            "I greyed out when I stood up",
            "I feel giddy",
        ],
        E,
        E,
        E,
        [
            "my husband just collapsed",
            "mum passed out in the garden",
            "dad keeled over and is only just coming round",
        ],
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
            "I chundered and it was red",
            "barfed up stuff like coffee granules",
            "been sick with bits like tea leaves",
        ],
        E,
        E,
        E,
        [
            "my son is vomiting blood",
            "my wife threw up blood",
        ],
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
            "my number twos are jet black",
            "bowel motion like tar",
            "blood on the loo roll",
        ],
        E,
        U,
        E,
        [
            "dad's poo is black",
            "my husband has blood in his stool",
        ],
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
            "my wee looks like red wine",
            "my pee is the colour of coke",
            "my urine looks like cranberry juice",
        ],
        E,
        U,
        E,
        [
            "mum's wee is pink",
            "my husband's pee looks like cola",
        ],
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
            "I've soaked a tea towel and it's still bleeding",
            "gums bleeding nonstop",
            "my finger is dripping blood and won't clot",
        ],
        E,
        U,
        E,
        [
            "my dad's cut won't stop bleeding",
            "my son's nosebleed won't stop",
        ],
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
            "headache like being hit with a bat",
            "my head feels like it's going to explode",
            "thunderclap headache",
        ],
        E,
        U,
        E,
        [
            "my wife has the worst headache of her life",
            "dad has a sudden severe headache",
        ],
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
            "I walloped my head on the cupboard",
            "I tripped and cracked my head on the kerb",
            "bonked my head on the car door",
        ],
        E,
        U,
        E,
        [
            "dad fell and hit his head",
            "my husband banged his head",
        ],
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
            "my leg has ballooned",
            "one ankle has puffed up like a balloon",
            "my calf is twice the size of the other",
        ],
        U,
        U,
        U,
        [
            "dad's leg has ballooned since his op",
            "my wife's ankle is swollen",
        ],
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
            "my calf is paining",
            "a charley horse in my calf",
            "niggling ache behind my knee",
        ],
        U,
        U,
        U,
        [
            "my husband's calf is killing him",
            "mum's leg is really sore",
        ],
    ),
    SignWordings(
        "warm_skin",
        "a warm leg",
        [
            "my leg feels hot",
            "my calf is warm to touch",
            "the skin on my leg is warm",
            "my ankle feels hotter than the other",
            "my calf is roasting",
            "heat is coming off my shin",
        ],
        U,
        U,
        U,
        [
            "dad's leg feels hot",
            "my wife's calf is warm to touch",
        ],
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
            "my calf has gone a purply colour",
            "my ankle has gone an angry red",
        ],
        U,
        U,
        U,
        [
            "my husband's leg has gone red",
            "dad's calf looks purple",
        ],
    ),
    SignWordings(
        "hard_vein",
        "a hard vein",
        [
            "a vein in my leg feels hard",
            "the vein is sore and lumpy",
            "there's a hard lump in my calf",
            "my veins feel hard and tender",
            "there's a vein in my calf like a rope",
            "the vein on my arm is rock hard",
        ],
        U,
        U,
        U,
        [
            "mum's vein feels hard",
            "my husband has a hard lump in his calf",
        ],
    ),
    SignWordings(
        "heavy_period",
        "heavy periods",
        [
            "my period is really heavy",
            "I'm soaking through a pad every hour",
            "very heavy period with big clots",
            "my periods have got much heavier",
            "I'm flooding through a super pad every hour",
            "my period is so heavy I'm bleeding through my clothes",
        ],
        U,
        U,
        U,
        [
            "my daughter's period is really heavy",
        ],
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
# Round 2: history, hearsay and recovery - nothing is happening now, so none may escalate.
PAST: tuple[str, ...] = (
    "I had {noun} years ago but that got sorted",
    "back in 2019 I had {noun}, it went away ages ago",
    "my aunt said she had {noun} once, what causes that?",
    "I used to get {noun} as a teenager",
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
        # Someone with the writer, now: the same preambles and tails, the relative's status unknown.
        for other in sign.others:
            for preamble in ("", "help, ", "please help. "):
                for tail in ("", " right now", " and I'm scared", ". what do I do?"):
                    yield sign.sign, Case(text=preamble + other + tail, expected=sign.unknown)


def negative_cases() -> Iterator[tuple[str, Case]]:
    """Yield (sign, case) for negated, general/hypothetical and past mentions: none may escalate."""
    for sign in SIGNS:
        for template in NEGATIONS + GENERAL + PAST:
            text = template.format(noun=sign.noun)
            yield sign.sign, Case(text=text, expected=INFO, on_blood_thinners=None)
            yield sign.sign, Case(text=text, expected=INFO, on_blood_thinners=True)


def all_cases() -> list[Case]:
    """Return every generated case, positives first."""
    return [c for _, c in positive_cases()] + [c for _, c in negative_cases()]
