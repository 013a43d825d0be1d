"""Red-flag detection in free text, and the guided symptom check (pure rules, no I/O).

SAFETY.md rules 1-3 are the specification, kept as data a clinician can review:

* ``triage_rules/<language>.yaml``: the symptom CONCEPTS (lists of lay words) and the SIGNS (which
  concepts together, within how many words, show a sign), plus how that language negates or speaks
  hypothetically; read by bot/domain/triage_concepts.py, which holds no language of its own;
* ``triage_rules/severity.yaml``: how urgent each sign is, the same for every language:
  signs of a pulmonary embolism (PE) -> EMERGENCY; signs of a deep vein thrombosis (DVT) -> URGENT
  unless PE signs come with them; bleeding signs -> EMERGENCY on a blood thinner or when that is
  unknown (vomiting or coughing blood for everyone), URGENT for someone known not to take one;
  heavy periods -> URGENT (with feeling faint, the faint sign makes it an EMERGENCY).

Where the reading is unsure the rules lean towards escalation ("not sure if I'm breathless" is
breathless, a question that says "my"/"I" is a report). A message that sounds like a symptom but
reaches no sign, or names a sign only hypothetically ("the leaflet says ..."), comes back INFO with
``uncertain`` set, so the caller asks "Is this happening to you now?" (SAFETY.md rule 11).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Final, Literal

import yaml

from bot.domain.triage_concepts import RULES_PACKAGE, load_pack, read
from bot.domain.triage_concepts import normalise as normalise_with

DEFAULT_LANGUAGE: Final = "en"


class Severity(enum.IntEnum):
    """How soon someone needs help; larger is more urgent."""

    INFO = 0
    URGENT = 1
    EMERGENCY = 2


@dataclass(frozen=True, slots=True)
class TriageResult:
    """What the detector concluded and which signs it saw.

    ``uncertain`` is only ever set with ``Severity.INFO``: the message sounds like a symptom (or names
    a sign in a way that may or may not be about the writer now) but reaches no rule, so the caller
    asks "Is this happening to you now?" instead of answering as if nothing was said.
    """

    severity: Severity
    signs: frozenset[str]
    uncertain: bool = False


PE_SIGNS: Final = frozenset({"breathless", "chest_pain", "fast_heartbeat", "coughing_blood", "fainting"})
DVT_SIGNS: Final = frozenset({"leg_swelling", "leg_pain", "warm_skin", "red_skin", "hard_vein"})
BLEEDING_SIGNS: Final = frozenset(
    {
        "bleeding_vomit",
        "bleeding_stool",
        "bleeding_urine",
        "bleeding_wont_stop",
        "severe_headache",
        "head_injury",
    }
)
# Heavy menstrual bleeding: urgent on its own (with feeling faint, the faint sign makes it an emergency).
OTHER_SIGNS: Final = frozenset({"heavy_period"})
ALL_SIGNS: Final = PE_SIGNS | DVT_SIGNS | BLEEDING_SIGNS | OTHER_SIGNS


@dataclass(frozen=True, slots=True)
class SeverityRule:
    """One row of triage_rules/severity.yaml."""

    id: str
    if_any: frozenset[str]
    severity: Severity
    thinners: frozenset[str]
    rationale: str


@lru_cache(maxsize=1)
def severity_rules() -> tuple[SeverityRule, ...]:
    """Read the language-independent severity rules (SAFETY.md rules 1-3) from package data."""
    text = resources.files(RULES_PACKAGE).joinpath("severity.yaml").read_text(encoding="utf-8")
    rules = tuple(
        SeverityRule(
            id=str(r["id"]),
            if_any=frozenset(r["if_any"]),
            severity=Severity[str(r["severity"]).upper()],
            thinners=frozenset(r.get("thinners", ("yes", "no", "unknown"))),
            rationale=str(r["rationale"]),
        )
        for r in yaml.safe_load(text)["rules"]
    )
    unknown = {s for r in rules for s in r.if_any} - ALL_SIGNS
    if unknown:
        raise ValueError(f"severity.yaml names unknown signs: {sorted(unknown)}")
    return rules


def severity_for(signs: Iterable[str], *, on_blood_thinners: bool | None) -> Severity:
    """Apply SAFETY.md rules 1-3 (triage_rules/severity.yaml) to a set of sign ids."""
    present = frozenset(signs)
    status = "unknown" if on_blood_thinners is None else ("yes" if on_blood_thinners else "no")
    return max(
        (r.severity for r in severity_rules() if r.if_any & present and status in r.thinners),
        default=Severity.INFO,
    )


def normalise(text: str, language: str = DEFAULT_LANGUAGE) -> list[str]:
    """Split ``text`` into the canonical tokens the detector reads (words, numbers, . , ? :)."""
    return normalise_with(text, load_pack(language))


def detect_red_flags(
    text: str, *, on_blood_thinners: bool | None = None, language: str = DEFAULT_LANGUAGE
) -> TriageResult:
    """Read a message for signs of a clot or of bleeding and say how urgent it is."""
    reading = read(text, load_pack(language), on_blood_thinners=on_blood_thinners)
    signs = reading.signs
    severity = severity_for(signs, on_blood_thinners=reading.on_blood_thinners)
    uncertain = severity is Severity.INFO and not reading.general_question and reading.symptom_words
    return TriageResult(severity=severity, signs=signs, uncertain=uncertain)


# --------------------------------------------------------------------------------------------------
# Guided check (/check): yes/no questions, most dangerous first
# --------------------------------------------------------------------------------------------------

CheckGroup = Literal["pe", "bleeding", "dvt"]


@dataclass(frozen=True, slots=True)
class CheckQuestion:
    """One yes/no question; ``severity`` is what a Yes means."""

    id: str
    group: CheckGroup
    severity: Severity


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    """The end of a check: how urgent, and which questions were answered Yes."""

    severity: Severity
    signs: frozenset[str]


BLOOD_THINNER_QUESTION_ID: Final = "thinner"
# Asked only when the profile doesn't say; a Yes opens the bleeding questions, it is not a sign.
BLOOD_THINNER_QUESTION: Final = CheckQuestion(BLOOD_THINNER_QUESTION_ID, "bleeding", Severity.INFO)

CHECK_QUESTIONS: Final[tuple[CheckQuestion, ...]] = (
    CheckQuestion("breathless", "pe", Severity.EMERGENCY),
    CheckQuestion("chest_pain", "pe", Severity.EMERGENCY),
    CheckQuestion("fast_heartbeat", "pe", Severity.EMERGENCY),
    CheckQuestion("coughing_blood", "pe", Severity.EMERGENCY),
    CheckQuestion("fainting", "pe", Severity.EMERGENCY),
    # Coughing blood is already asked above; here is the rest of SAFETY.md rule 3.
    CheckQuestion("bleeding_vomit", "bleeding", Severity.EMERGENCY),
    CheckQuestion("bleeding_stool", "bleeding", Severity.EMERGENCY),
    CheckQuestion("bleeding_urine", "bleeding", Severity.EMERGENCY),
    CheckQuestion("bleeding_wont_stop", "bleeding", Severity.EMERGENCY),
    CheckQuestion("headache_or_head_injury", "bleeding", Severity.EMERGENCY),
    CheckQuestion("leg_swelling", "dvt", Severity.URGENT),
    CheckQuestion("leg_pain", "dvt", Severity.URGENT),
    CheckQuestion("warm_skin", "dvt", Severity.URGENT),
    CheckQuestion("red_skin", "dvt", Severity.URGENT),
    CheckQuestion("hard_vein", "dvt", Severity.URGENT),
)
_BY_GROUP: Final[Mapping[str, tuple[CheckQuestion, ...]]] = {
    g: tuple(q for q in CHECK_QUESTIONS if q.group == g) for g in ("pe", "bleeding", "dvt")
}
CHECK_QUESTION_IDS: Final = frozenset(q.id for q in CHECK_QUESTIONS) | {BLOOD_THINNER_QUESTION_ID}


def check_question(question_id: str) -> CheckQuestion | None:
    """Return the question with ``question_id`` (including the blood-thinner one), or None."""
    if question_id == BLOOD_THINNER_QUESTION_ID:
        return BLOOD_THINNER_QUESTION
    return next((q for q in CHECK_QUESTIONS if q.id == question_id), None)


def _first_unanswered(
    questions: Iterable[CheckQuestion], answers: Mapping[str, bool]
) -> CheckQuestion | None:
    """Return the first of ``questions`` not yet answered."""
    return next((q for q in questions if q.id not in answers), None)


def _thinner_answer(answers: Mapping[str, bool], on_blood_thinners: bool | None) -> bool | None:
    """Combine the profile with the check's own answer; None means "still need to ask"."""
    said = answers.get(BLOOD_THINNER_QUESTION_ID)
    if said is True or on_blood_thinners is True:
        return True  # the user's own Yes beats an older profile value, towards caution
    return on_blood_thinners if on_blood_thinners is not None else said


def next_step(answers: Mapping[str, bool], on_blood_thinners: bool | None) -> CheckQuestion | CheckOutcome:
    """Return the next question to ask, or the outcome once the answers decide it.

    Order: the PE questions, then (only if the profile doesn't say) "are you taking a blood thinner?",
    then the bleeding questions for people on one, then the DVT questions. Any Yes to a PE or bleeding
    question ends the check as an emergency at once; a Yes to a DVT question ends it as urgent.
    The PE questions come before the blood-thinner question so that the most dangerous answer is
    never more than one tap away (SAFETY.md rule 1).
    """
    yes = frozenset(q.id for q in CHECK_QUESTIONS if answers.get(q.id) is True)
    # A Yes already given to an emergency question decides, whatever order it came in.
    emergency = yes & {q.id for q in CHECK_QUESTIONS if q.severity is Severity.EMERGENCY}
    if emergency:
        return CheckOutcome(Severity.EMERGENCY, emergency)
    pending = _first_unanswered(_BY_GROUP["pe"], answers)
    if pending is None:
        thinners = _thinner_answer(answers, on_blood_thinners)
        if thinners is None:
            return BLOOD_THINNER_QUESTION
        if thinners:
            pending = _first_unanswered(_BY_GROUP["bleeding"], answers)
    if pending is None:
        dvt_yes = yes & {q.id for q in _BY_GROUP["dvt"]}
        if dvt_yes:
            return CheckOutcome(Severity.URGENT, dvt_yes)
        pending = _first_unanswered(_BY_GROUP["dvt"], answers)
    return pending if pending is not None else CheckOutcome(Severity.INFO, frozenset())
