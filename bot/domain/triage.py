"""Red-flag detection in free text, and the guided symptom check (pure rules, no I/O).

SAFETY.md rules 1-3 are the specification:

* signs of a pulmonary embolism (PE) -> EMERGENCY;
* signs of a deep vein thrombosis (DVT) -> URGENT, unless breathlessness or chest pain come with
  them, which is a PE sign and so EMERGENCY;
* bleeding signs -> EMERGENCY for anyone on a blood thinner or whose status is unknown (vomiting or
  coughing blood is an emergency for everyone). For someone known *not* to be on a blood thinner the
  other bleeding signs still need a doctor today, so they are URGENT.

How a message is read, in order:

1. normalise: Unicode NFKC, zero-width characters removed, case folded, apostrophes dropped
   ("can't" -> "cant"), runs of a repeated letter shortened, common shorthand expanded ("sob",
   "idk", "hr 130") and a few compound words joined ("light headed", "blood thinner");
2. correct typos: a word we don't know that is one edit (two for long words) from a word in the
   symptom vocabulary is replaced by it ("brethless", "chest pian", "blod"). Real English words near
   that vocabulary ("bread", "paint", "chess") are listed in ``_REAL_WORDS`` and never "corrected";
3. mark context per word: negated ("no chest pain", "my calf isn't swollen"), hypothetical
   ("watch out for chest pain", "what if I get ...") and general questions about the condition
   ("does a clot cause chest pain?"); negation stops at "but", a full stop, "and", or a comma that
   starts a new clause ("not short of breath, but my calf is swollen");
4. find signs with phrase and word-pair rules and drop the ones the context cancels.

Where the reading is unsure the rules lean towards escalation: "not sure if I'm breathless" is
breathless, a question that says "my"/"I" is a report, and an "and" ends a negation.

Since issue 16 the main reader is the concept engine (bot/domain/triage_concepts.py) with its
language pack (triage_rules/en.yaml) and the severity rules (triage_rules/severity.yaml), which a
clinician can review as data. The phrase rules in this module are the English legacy layer: they run
alongside and their signs are added, so nothing the old detector caught is lost. A message that
sounds like a symptom but reaches no sign comes back ``uncertain`` (SAFETY.md rule 11).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Final, Literal

from rapidfuzz import process
from rapidfuzz.distance import OSA


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

# --------------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    """Return the whitespace-separated words of ``text`` (keeps long word lists readable)."""
    return frozenset(text.split())


_LIMB = _words(
    "leg legs calf calfs calves thigh thighs knee knees ankle ankles foot feet shin shins arm arms "
    "forearm forearms groin hamstring hamstrings limb limbs toe toes"
)
_SWELL_CORE = _words("swollen swelling swelled swell swells swelly oedema edema")
_SWELL_NEAR_LIMB = _words("puffy puffed bloated bigger fatter thicker larger enlarged inflamed")
_PAIN = _words(
    "pain pains painful hurt hurts hurting ache aches aching achy achey sore soreness tender "
    "tenderness cramp cramps cramping cramped throbbing throbs throb stabbing agony agonising "
    "agonizing killing heavy heaviness tight tightness twinge twinges"
)
_WARM = _words("warm warmer hot hotter heat burning feverish")
_COLOUR = _words(
    "red redness reddish reddened purple purplish blue bluish discoloured discolored discolouration "
    "discoloration darker darkened dark mottled blotchy pink pinkish inflamed black"
)
_SKIN_PLACE = _words("skin area spot patch")
_VEIN = _words("vein veins veiny")
_VEIN_QUALITY = _words(
    "hard harder firm lumpy lump lumps sore tender painful hurts hurting bulging bulge bulges raised "
    "swollen thick thickened knotted cord ropey ropy red hot warm"
)
_LUMP = _words("lump lumps lumpy cord")
_CHEST = _words("chest chests rib ribs ribcage lung lungs breastbone sternum")
_CHEST_QUALITY = _PAIN | _words(
    "pressure pressing squeezing squeezed crushing discomfort weird funny strange tightening"
)
_HEART = _words("heart hearts heartbeat heartbeats heartrate pulse pulses")
_HEART_QUALITY = _words(
    "racing races raced race pounding pounds pounded thumping thudding hammering banging fluttering "
    "flutters flutter fluttery skipping skips skipped jumping irregular erratic fast faster rapid "
    "quick quickly crazy mad wild wildly jumpy galloping high speeding clappers"
)
_STOOL = _words("poo poos poop poops pooh stool stools faeces feces motion motions bm bms shit crap")
_STOOL_COLOUR = _words("black blackish tarry tar maroon red bloody blood bleeding dark")
_BOTTOM = _words("bum bottom butt anus rectum rectal toilet wipe wiping wiped")
_BLOOD = _words("blood bloody bleeding bleed bleeds bled")
_URINE = _words("urine pee pees peed peeing wee wees weeing piss pissing urinating urinate urination")
_URINE_COLOUR = _words("blood bloody bleeding red reddish pink pinkish brown brownish dark cola rusty tea")
_SICK = _words("vomit vomits vomited vomiting sick puke puked puking")
ANTICOAGULANTS: Final = _words(
    "anticoagulant anticoagulants anticoagulation anticoagulated doac doacs noac noacs lmwh "
    "apixaban eliquis rivaroxaban xarelto edoxaban lixiana savaysa dabigatran pradaxa warfarin "
    "coumadin jantoven marevan heparin enoxaparin clexane lovenox inhixa dalteparin fragmin "
    "tinzaparin innohep fondaparinux arixtra acenocoumarol sintrom phenindione phenprocoumon "
    "marcumar"
)

# Other words the rules spell out, so that typos of them can be corrected too.
_PHRASE_WORDS = _words(
    "breathless breathlessness breath breathe breathing breathes shortness short struggling struggle "
    "difficulty difficult trouble problems problem gasping gasp suffocating suffocate panting winded "
    "dyspnoea dyspnea unable barely hardly labored laboured shallow catch enough hunger lips "
    "angina pleurisy palpitations palpitation tachycardia irregular arrhythmia afib "
    "coughing cough coughed coughs spitting spit spat phlegm sputum mucus saliva "
    "haemoptysis hemoptysis vomiting vomit vomited throwing threw thrown retching coffee grounds "
    "haematemesis hematemesis melaena melena haematuria hematuria bleeding nosebleed nosebleeds "
    "stopping stopped heavily pouring gushing constantly continuously everywhere minutes hours "
    "headache headaches migraine severe terrible awful horrible excruciating splitting pounding "
    "throbbing blinding unbearable sudden suddenly thunderclap worst "
    "head skull forehead bumped banged knocked smacked whacked injury injured concussion concussed "
    "fainted fainting faint faintness passed blacked collapsed collapse collapsing lightheaded "
    "lightheadedness dizzy dizziness woozy giddy vertigo unconscious unresponsive consciousness "
    "spinning touch swollen swelling"
)
_VOCAB: Final = frozenset(
    w
    for w in (
        _LIMB
        | _SWELL_CORE
        | _SWELL_NEAR_LIMB
        | _PAIN
        | _WARM
        | _COLOUR
        | _VEIN
        | _VEIN_QUALITY
        | _CHEST
        | _CHEST_QUALITY
        | _HEART
        | _HEART_QUALITY
        | _STOOL
        | _STOOL_COLOUR
        | _BOTTOM
        | _BLOOD
        | _URINE
        | _URINE_COLOUR
        | _SICK
        | ANTICOAGULANTS
        | _PHRASE_WORDS
    )
    if len(w) >= 3
)

# Real English words near that vocabulary, never corrected: see _REAL_WORDS at the end of the module.


# --------------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------------

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u200e\u200f\u202a\u202c"))
_APOSTROPHES = str.maketrans(dict.fromkeys("\u2019\u2018\u02bc`\u00b4\u2032", "'"))
_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*|\d+|[.!?;:,\n/()\[\]=\-\u2013\u2014&+]")
_REPEATS = re.compile(r"([^\W\d_])\1{2,}")
# "light-headed", "pain-free": a hyphen inside a word is a space, elsewhere it is a pause.
_WORD_HYPHEN = re.compile(r"(?<=[^\W\d_])[-\u2010\u2011](?=[^\W\d_])")
_PUNCT_MAP: Final[Mapping[str, str]] = {
    "!": ".",
    ";": ".",
    "\n": ".",
    "/": ",",
    "(": ",",
    ")": ",",
    "[": ",",
    "]": ",",
    "=": ":",
    "-": ",",
    "\u2013": ",",
    "\u2014": ",",
    "&": "and",
    "+": "and",
}
_PUNCT: Final = frozenset({".", ",", "?", ":"})

_SHORTHAND: Final[Mapping[str, tuple[str, ...]]] = {
    "cnt": ("cant",),
    "cannot": ("cant",),
    "hart": ("heart",),
    "harts": ("hearts",),
    "breth": ("breath",),
    "brethe": ("breathe",),
    "u": ("you",),
    "ur": ("your",),
    "n": ("and",),
    "r": ("are",),
    "w": ("with",),
    "abt": ("about",),
    "pls": ("please",),
    "plz": ("please",),
    "bc": ("because",),
    "cuz": ("because",),
    "coz": ("because",),
    "cos": ("because",),
    "ppl": ("people",),
    "idk": ("dont", "know"),
    "rn": ("right", "now"),
    "mins": ("minutes",),
    "min": ("minutes",),
    "hrs": ("hours",),
    "outta": ("out", "of"),
    "thinners": ("anticoagulant",),
    "lite": ("light",),
}
# Joined before matching; longest first. "blood <thing>" compounds keep "blood" out of bleeding rules.
_BLOOD_COMPOUNDS = sorted(
    _words(
        "test tests result results work level levels count counts type group cells cell sample samples "
        "draw donation donor vessel vessels flow circulation sugar bank transfusion orange"
    )
)
_MERGES: Final[tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]] = tuple(
    sorted(
        [
            (("can", "not"), ("cant",)),
            (("could", "not"), ("couldnt",)),
            (("will", "not"), ("wont",)),
            (("do", "not"), ("dont",)),
            (("does", "not"), ("doesnt",)),
            (("did", "not"), ("didnt",)),
            (("is", "not"), ("isnt",)),
            (("are", "not"), ("arent",)),
            (("was", "not"), ("wasnt",)),
            (("were", "not"), ("werent",)),
            (("have", "not"), ("havent",)),
            (("has", "not"), ("hasnt",)),
            (("had", "not"), ("hadnt",)),
            (("nose", "bleed"), ("nosebleed",)),
            (("nose", "bleeds"), ("nosebleeds",)),
            (("head", "ache"), ("headache",)),
            (("head", "aches"), ("headaches",)),
            (("light", "headed"), ("lightheaded",)),
            (("light", "headedness"), ("lightheadedness",)),
            (("heart", "beat"), ("heartbeat",)),
            (("heart", "beats"), ("heartbeats",)),
            (("heart", "rate"), ("heartrate",)),
            (("a", "wee", "bit"), ("a", "bit")),
            # Dark yellow urine is thirst, not blood; brown or red still count.
            (("dark", "yellow"), ("yellow",)),
            (("dark", "orange"), ("orange",)),
            (("dark", "amber"), ("amber",)),
            (("wee", "bit"), ("bit",)),
            (("short", "winded"), ("short", "of", "breath")),
            (("blood", "thinner"), ("anticoagulant",)),
            (("blood", "thinners"), ("anticoagulant",)),
            (("blood", "thinning"), ("anticoagulant",)),
            (("blood", "pressure"), ("bp",)),
            (("blood", "clot"), ("bloodclot",)),
            (("blood", "clots"), ("bloodclot",)),
            (("blood", "clotting"), ("bloodclot",)),
            *((("blood", w), ("bloodtest",)) for w in _BLOOD_COMPOUNDS),
        ],
        key=lambda m: -len(m[0]),
    )
)
# "sob" means "short of breath" unless it is crying ("I sob", "a sob story").
_SOB_NOT_BEFORE = _words("a i we to would could you they little big cried sobs")
_SOB_NOT_AFTER = _words("story stories stuff")


@lru_cache(maxsize=8192)
def _correct(word: str) -> str:
    """Return the vocabulary word a typo was meant to be, or the word unchanged."""
    if len(word) < 4 or word in _VOCAB or word in _REAL_WORDS or not word.isalpha() or not word.isascii():
        return word
    candidates = _VOCAB_BY_INITIAL.get(word[0])
    if not candidates:
        return word
    limit = 1 if len(word) < 8 else 2
    found = process.extract(word, candidates, scorer=OSA.distance, score_cutoff=limit, limit=None)
    if not found:
        return word
    # Ties go to the likeliest slip: a dropped letter ("blod" -> blood, not bled), then the closest length.
    best = min(found, key=lambda c: (c[1], not _is_subsequence(word, c[0]), abs(len(c[0]) - len(word)), c[0]))
    return str(best[0])


def _is_subsequence(short: str, long: str) -> bool:
    """Tell whether ``short`` is ``long`` with some letters left out."""
    letters = iter(long)
    return all(ch in letters for ch in short)


def _initials(words: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Group words by first letter: typos rarely hit the first letter, and it keeps lookups small."""
    groups: dict[str, list[str]] = {}
    for w in sorted(words):
        groups.setdefault(w[0], []).append(w)
    return {k: tuple(v) for k, v in groups.items()}


_VOCAB_BY_INITIAL: Final = _initials(_VOCAB)


def normalise(text: str) -> list[str]:
    """Split ``text`` into canonical tokens: words, numbers and the punctuation . , ? :"""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).translate(_APOSTROPHES).casefold()
    text = _WORD_HYPHEN.sub(" ", text)
    raw: list[str] = []
    for found in _TOKEN.findall(text):
        tok = _PUNCT_MAP.get(found, found)
        if tok in _PUNCT or tok.isdigit():
            raw.append(tok)
            continue
        word = _REPEATS.sub(r"\1\1", tok.replace("'", ""))
        raw.extend(_SHORTHAND.get(word, (word,)))
    words = [_correct(t) for t in raw]
    return _expand(_merge(words))


def _merge(tokens: Sequence[str]) -> list[str]:
    """Join compound words ("light headed" -> "lightheaded") and expand "sob" and "hr 120"."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for src, dst in _MERGES:
            if tuple(tokens[i : i + len(src)]) == src:
                out.extend(dst)
                i += len(src)
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


def _expand(tokens: Sequence[str]) -> list[str]:
    """Expand abbreviations that depend on their neighbours."""
    out: list[str] = []
    for i, tok in enumerate(tokens):
        before = tokens[i - 1] if i else ""
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        if tok == "sob" and before not in _SOB_NOT_BEFORE and after not in _SOB_NOT_AFTER:
            out.extend(("short", "of", "breath"))
        elif tok == "hr" and after.isdigit():
            out.append("heartrate")
        else:
            out.append(tok)
    return out


# --------------------------------------------------------------------------------------------------
# Context: negation, hypotheticals, general questions
# --------------------------------------------------------------------------------------------------

_NEGATORS = _words(
    "no not dont doesnt didnt havent hasnt hadnt isnt arent wasnt werent aint nor neither none nope"
)
# "not sure", "don't know", "not feeling well" doubt or deny wellness; they do not deny a symptom.
_PSEUDO_NEXT = _words(
    "sure certain idea clue only just doubt matter know knowing think convinced way wait "
    "well good great right ok okay normal myself fine better"
)
_MODALS = _words("can could will would should might may must")
_CLAUSE_END = _words(
    "but however though although except yet whereas while apart besides instead rather just only "
    "still now then because since so and"
)
# A comma followed by one of these starts a new clause ("no chest pain, my calf is swollen").
_CLAUSE_START = _words(
    "i im ive id my me it its he hes she shes his her they their theres there this that thats we "
    "our the now also today tonight suddenly then still but got have has had feel feeling felt am "
    "is was keep been started"
)
_NEG_WINDOW = 7
_HYP_WINDOW = 8

# Said about someone else, a leaflet, a future "what if": no sign is being reported.
_HYPOTHETICAL: Final[tuple[tuple[str, ...], ...]] = tuple(
    tuple(p.split())
    for p in (
        "watch for",
        "watch out for",
        "look out for",
        "looking out for",
        "keep an eye out",
        "if i ever",
        "if i start",
        "if i develop",
        "if i notice",
        "if i experience",
        "if you",
        "if someone",
        "if somebody",
        "if they",
        "what if",
        "in case",
        "warned me about",
        "warned about",
        "told me about",
        "prevent",
        "preventing",
        "risk of",
        "chance of",
        "chances of",
    )
)
# "if I get up, I feel dizzy" is a report; "if I get chest pain" is not.
_IF_I_GET = (("if", "i", "get"), ("if", "i", "got"))
_IF_I_GET_NOT_BEFORE = _words("up out off")
# Generic statements ("PE causes chest pain"): only when nobody says "I" or "my".
_GENERIC: Final[tuple[tuple[str, ...], ...]] = tuple(
    tuple(p.split())
    for p in (
        "sign of",
        "signs of",
        "symptom of",
        "symptoms of",
        "cause",
        "causes",
        "such as",
        "include",
        "includes",
        "including",
    )
)
_QUESTION_START = _words(
    "what whats why how hows which when where who does do did can could is are will would should "
    "may might shall was were has have am"
)
_LEAD_IN = _words("so ok okay hi hey hello um also and quick question just wondering please sorry")
_FIRST_PERSON = _words("i im ive id me my mine myself we our us ours weve")
# A question about these is about the condition, not a report ("does a clot cause chest pain?").
_TOPIC = (
    _words(
        "dvt dvts pe pes clot clots bloodclot embolism embolisms thrombosis pulmonary sign signs symptom "
        "symptoms cause causes caused causing mean means people person someone somebody anyone anybody "
        "patients patient"
    )
    | ANTICOAGULANTS
)


@dataclass(frozen=True, slots=True)
class _Context:
    """Per-token flags saying whether a word is negated, hypothetical or part of a general question."""

    negated: tuple[bool, ...]
    suppressed: tuple[bool, ...]


def _starts_with(tokens: Sequence[str], i: int, seq: tuple[str, ...]) -> bool:
    """Tell whether ``seq`` occurs in ``tokens`` at position ``i``."""
    return tuple(tokens[i : i + len(seq)]) == seq


def _ends_scope(tokens: Sequence[str], k: int, *, and_ends: bool) -> bool:
    """Tell whether token ``k`` closes a negation or hypothetical scope."""
    tok = tokens[k]
    nxt = tokens[k + 1] if k + 1 < len(tokens) else ""
    if tok in {".", "?", ":"}:
        return True
    if tok == "and":
        return and_ends or nxt in _CLAUSE_START
    if tok in _CLAUSE_END:
        return True
    if tok == "more" and nxt == "like":
        return True
    return tok == "," and nxt in _CLAUSE_START


def _mark(flags: list[bool], tokens: Sequence[str], start: int, window: int, *, and_ends: bool) -> None:
    """Set ``flags`` from ``start`` until the scope closes or ``window`` words have passed."""
    for k in range(start, min(len(tokens), start + window)):
        if _ends_scope(tokens, k, and_ends=and_ends):
            return
        flags[k] = True


def _is_negator(tokens: Sequence[str], i: int) -> bool:
    """Tell whether token ``i`` really negates what follows."""
    tok = tokens[i]
    if tok not in _NEGATORS:
        return False
    following = tokens[i + 1 : i + 3]
    if any(t in _PSEUDO_NEXT for t in following):
        return False
    if tok == "not" and i and tokens[i - 1] in _MODALS:
        return False
    # "No, ..." or "no I can't breathe" answers a question; it negates nothing after it.
    return not (tok == "no" and (not following or following[0] in _PUNCT or following[0] in _FIRST_PERSON))


def _sentences(tokens: Sequence[str]) -> list[tuple[int, int]]:
    """Return (start, end) token spans of sentences, the end including its . or ?"""
    spans: list[tuple[int, int]] = []
    start = 0
    for i, tok in enumerate(tokens):
        if tok in {".", "?"}:
            spans.append((start, i + 1))
            start = i + 1
    if start < len(tokens):
        spans.append((start, len(tokens)))
    return spans


def _is_general_question(sentence: Sequence[str]) -> bool:
    """Tell whether a sentence asks about the condition in general rather than reporting a symptom."""
    words = [t for t in sentence if t not in _PUNCT]
    while words and words[0] in _LEAD_IN:
        words.pop(0)
    if not words or words[0] not in _QUESTION_START:
        return False
    if any(t in _FIRST_PERSON for t in words):
        return False
    return any(t in _TOPIC for t in words)


def _context(tokens: Sequence[str]) -> _Context:
    """Work out which words are negated and which are not reports at all."""
    n = len(tokens)
    negated = [False] * n
    suppressed = [False] * n
    for i in range(n):
        if _is_negator(tokens, i):
            _mark(negated, tokens, i + 1, _NEG_WINDOW, and_ends=True)
        for seq in _HYPOTHETICAL:
            if _starts_with(tokens, i, seq):
                _mark(suppressed, tokens, i + len(seq), _HYP_WINDOW, and_ends=False)
        for seq in _IF_I_GET:
            end = i + len(seq)
            if _starts_with(tokens, i, seq) and (end >= n or tokens[end] not in _IF_I_GET_NOT_BEFORE):
                _mark(suppressed, tokens, end, _HYP_WINDOW, and_ends=False)
    for start, end in _sentences(tokens):
        sentence = tokens[start:end]
        if _is_general_question(sentence):
            suppressed[start:end] = [True] * (end - start)
        elif not any(t in _FIRST_PERSON for t in sentence):
            for i in range(start, end):
                for seq in _GENERIC:
                    if _starts_with(tokens, i, seq):
                        _mark(suppressed, tokens, i + len(seq), _HYP_WINDOW, and_ends=False)
    return _Context(negated=tuple(negated), suppressed=tuple(suppressed))


# --------------------------------------------------------------------------------------------------
# Sign rules
# --------------------------------------------------------------------------------------------------


def _alt(words: Iterable[str]) -> str:
    """Return a regex alternation of whole words, longest first."""
    return "(?:" + "|".join(sorted((re.escape(w) for w in words), key=lambda w: (-len(w), w))) + ")"


# One word (not punctuation, not a clause break) and the space after it.
_W = r"(?:(?!(?:but|though|however|although|except) )[^\W_]+ )"


def _gap(n: int) -> str:
    """Return a regex for up to ``n`` filler words."""
    return rf"{_W}{{0,{n}}}?"


_BLOOD_FORMS = r"(?:blood|bloody|bloodclot)"
# Few, short words between "blood" and where it came from: "blood in my phlegm", not "blood makes me sick".
_SMALL = (
    r"(?:(?:in|on|with|my|the|his|her|their|some|a|bit|of|little|streaks?|when|i|was|is|there|its|it|"
    r"while|after|from|and|bits|spots|coming|up|out|streaked|stained|tinged|flecked|specks?|spotted) ){0,4}?"
)


@dataclass(frozen=True, slots=True)
class _Rule:
    """One way of saying a sign.

    ``pair`` rules match two words near each other ("leg ... swollen"); the word in group ``key`` is
    the one a negation must cover ("my leg isn't swollen"). Phrase rules are negated only from before
    they start, so "bleeding isn't stopping" stays a sign.
    """

    sign: str
    pattern: re.Pattern[str]
    pair: bool = False
    number_range: tuple[int, int] | None = None


def _phrase(sign: str, *patterns: str) -> list[_Rule]:
    """Build phrase rules for ``sign``."""
    return [_Rule(sign, re.compile(rf"(?=(?P<m>\b(?:{p})\b))")) for p in patterns]


def _pair(sign: str, anchors: Iterable[str], qualities: Iterable[str], window: int) -> list[_Rule]:
    """Build rules matching an anchor word and a quality word within ``window`` words, either order.

    The gap may cross "but" ("my leg isn't swollen but it's red"): negation is judged at the quality
    word, so crossing only ever adds signs.
    """
    a, q = _alt(anchors), _alt(qualities)
    gap = rf"(?:[^\W_]+ ){{0,{window}}}?"
    return [
        _Rule(sign, re.compile(rf"(?=(?P<m>\b{a} {gap}(?P<key>{q})\b))"), pair=True),
        _Rule(sign, re.compile(rf"(?=(?P<m>\b(?P<key>{q}) {gap}{a}\b))"), pair=True),
    ]


_BREATH = r"(?:breathe|breathing|breath|breathes|breaths|air)"


@lru_cache(maxsize=1)
def _rules() -> tuple[_Rule, ...]:
    """Compile the sign rules once, on first use (keeps importing this module cheap)."""
    return (
        # --- pulmonary embolism -------------------------------------------------------------------
        *_phrase(
            "breathless",
            r"breathless\w*",
            r"short(?:ness)? (?:of )?breath",
            r"out of breath",
            r"(?:cant|couldnt|unable to|not able to|barely|hardly|struggl\w*|trouble|difficulty|difficult|"
            rf"hard|harder|problems?|issues?|fight\w*|labou?red|gasp\w*) {_gap(2)}{_BREATH}",
            r"breathing (?:\w+ ){0,2}?(?:problems?|issues?|difficult\w*|trouble|hard|harder|bad|worse|fast|"
            r"faster|rapid|quick|shallow|heavy|heavier|labou?red|weird|funny|strange|off|short|noisy|"
            r"struggling|awful|terrible)",
            r"breath (?:\w+ )?(?:short|shorter)",
            r"(?:fast|faster|rapid|quick|heavy|shallow|labou?red|difficult|noisy|short) breath(?:ing|s)?",
            r"(?:catch|get|getting|find|finding) (?:my|his|her|their|your|a|the) breath",
            r"gasp\w*",
            r"(?:cant|couldnt|not|never|struggl\w*|dont|doesnt|isnt|arent|barely|hardly) "
            r"(?:\w+ ){0,2}?(?:enough|any) air",
            r"air hunger",
            r"suffocat\w*",
            r"winded",
            r"puffed out",
            r"panting",
            r"dyspno?ea",
            r"(?:lips?|face|fingers?) (?:\w+ ){0,2}?(?:blue|grey|gray)",
            r"blue (?:lips?|face)",
            r"breath(?:ing|s)? (?:\w+ ){0,2}?(?:a struggle|an effort|struggle|effort|hard work)",
        ),
        # A pulse oximeter reading of 94 % or less: NHS advice is urgent help at 93-94 and 999 at 92 or
        # less; both are treated as an emergency here, towards caution.
        _Rule(
            "breathless",
            re.compile(
                r"(?=(?P<m>\b(?:oxygen|sats|sat|saturation|saturations|spo|sp o|o 2|oximeter) "
                r"(?:\w+ ){0,4}?(?P<n>\d{2,3})\b))"
            ),
            number_range=(50, 94),
        ),
        *_pair("chest_pain", _CHEST, _CHEST_QUALITY, 6),
        *_phrase(
            "chest_pain",
            r"(?:hurts?|hurting|painful|pain|pains|sore|agony|stabs?|stabbing|sharp|aches?|aching|catches|"
            r"knife|knives|stitch|twinges?) "
            rf"{_gap(8)}(?:when|while|whilst|as|whenever|every time|each time|if|to|on) "
            r"(?:(?:i|you|he|she|we|they|take|taking|try|trying|to|do|a|big|deep|in) ){0,4}"
            r"(?:breathe|breathing|breath|breaths|inhale|inhaling)",
            r"breath(?:e|ing|s)? (?:in |deeply |deep )?(?:(?:is|are|makes?|feels?|it|really|so|very) ){0,2}"
            r"(?:hurts?|hurting|painful|sore|agony|stabbing|sharp)",
            r"(?:weight|elephant|something|someone|brick|band|vice|vise|heavy|pressing) (?:\w+ ){0,3}?"
            r"(?:on|around|across|in|crushing) (?:my|his|her|the) chest",
            r"angina",
            r"pleurisy",
        ),
        *_pair("fast_heartbeat", _HEART, _HEART_QUALITY, 4),
        *_phrase(
            "fast_heartbeat",
            r"palpitat\w*",
            r"tachy\w*",
            r"afib|a fib|arr?hythmia",
            r"(?:heart|hearts|heartbeat|heartrate|pulse) (?:\w+ ){0,2}?(?:wont|isnt|not|doesnt) (?:\w+ )?"
            r"(?:slow\w*|settle\w*|calm\w*)",
            r"(?:heart|hearts|heartbeat) (?:\w+ ){0,3}?out of (?:my|his|her|their|the) chest",
        ),
        _Rule(
            "fast_heartbeat",
            re.compile(r"(?=(?P<m>\b(?:heartrate|pulse|bpm) (?:\w+ ){0,3}?(?P<n>\d{2,3})\b))"),
            number_range=(100, 300),
        ),
        _Rule("fast_heartbeat", re.compile(r"(?=(?P<m>\b(?P<n>\d{2,3}) ?bpm\b))"), number_range=(100, 300)),
        *_phrase(
            "coughing_blood",
            rf"(?:cough\w*|spit\w*|spat|hawk\w*|hack\w*) {_gap(3)}{_BLOOD_FORMS}",
            r"cough\w* up (?:\w+ ){0,2}?(?:red|pink|rusty)",
            rf"{_BLOOD_FORMS} {_SMALL}(?:cough\w*|phlegm|sputum|mucus|mucous|spit|spittle|saliva)",
            r"(?:phlegm|sputum|mucus|mucous|spit|saliva) (?:\w+ ){0,3}?(?:blood|bloody|red|pink|rusty|brown)",
            r"ha?emoptysis",
        ),
        *_phrase(
            "fainting",
            r"faint(?:ed|ing|s|ness)",
            r"(?:feel|feels|feeling|felt|going to|gonna|about to|nearly|almost|might|may|could|so|very|bit|"
            r"little|really|quite|im|am|was|think|thought) (?:\w+ )?faint",
            r"(?:pass|passed|passing|passes|black|blacked|blacking|blacks|conk\w*|keel\w*|zonk\w*) out",
            r"collaps\w*",
            r"lightheaded\w*",
            r"light in the head",
            r"dizz\w*",
            r"woozy",
            r"giddy",
            r"vertigo",
            r"(?:room|world|head) (?:\w+ )?spinning",
            r"unconscious",
            r"unresponsive",
            r"lost consciousness",
            r"funny turn",
        ),
        # --- bleeding -----------------------------------------------------------------------------------
        *_phrase(
            "bleeding_vomit",
            r"(?:vomit\w*|threw up|throw\w* up|thrown up|puk\w*|being sick|been sick|was sick|am sick|"
            r"sick up|spew\w*|retch\w*|brought up|bring\w* up) "
            rf"(?:(?:\w+ ){{0,3}}?(?:{_BLOOD_FORMS}|coffee)|(?:\w+ )?(?:red|black))",
            rf"{_BLOOD_FORMS} {_SMALL}(?:vomit\w*|sick|puke|throw\w* up|threw up)",
            r"(?:vomit\w*|sick|puke|threw up|throw\w* up) (?:\w+ ){0,5}?coffee grounds?",
            r"coffee grounds? (?:\w+ ){0,4}?(?:vomit\w*|sick|puke)",
            r"ha?ematemesis",
        ),
        *_pair("bleeding_stool", _STOOL, _STOOL_COLOUR, 4),
        *_pair("bleeding_stool", _BOTTOM, _BLOOD, 4),
        *_phrase("bleeding_stool", r"mela?ena", r"rectal bleed\w*"),
        *_pair("bleeding_urine", _URINE, _URINE_COLOUR, 4),
        *_phrase("bleeding_urine", r"ha?ematuria"),
        *_phrase(
            "bleeding_wont_stop",
            r"(?:bleed\w*|bled|nosebleeds?|blood) (?:\w+ ){0,4}?(?:wont|cant|isnt|not|doesnt|hasnt|havent|"
            r"never|didnt) (?:\w+ )?(?:stop\w*|slow\w*|ease\w*|settle\w*|clot\w*|end\w*)",
            r"(?:wont|cant|isnt|doesnt|not|never|hasnt|couldnt) (?:\w+ )?stop(?:ped|ping|s)? (?:\w+ ){0,2}?"
            r"(?:bleed\w*|blood|nosebleeds?)",
            r"(?:still|keeps?|kept|keeping|constantly|continuously|nonstop|heavily|heavy|lots of|lot of|"
            r"loads of|pouring|gushing|pumping|spurting|streaming|soaking|soaked|profuse\w*|excessive\w*|"
            r"uncontrol\w*) "
            r"(?:\w+ ){0,2}?(?:bleed\w*|blood|nosebleeds?)",
            r"(?:bleed\w*|bled|blood|nosebleeds?) (?:\w+ ){0,3}?(?:everywhere|heavily|a lot|lots|loads|"
            r"for ages|for hours|for (?:over |more than |about |nearly |almost )?(?:\d+|ten|fifteen|twenty|"
            r"thirty|forty|half an|an) (?:minutes|hours?))",
        ),
        *_phrase(
            "severe_headache",
            r"(?:severe|severely|bad|worst|terrible|awful|horrible|horrendous|excruciating|splitting|pounding|"
            r"throbbing|blinding|massive|huge|intense|unbearable|crushing|sudden|thunderclap|agonising|"
            r"agonizing|killer|extreme|violent|banging|shocking|screaming|worse) "
            r"(?:\w+ ){0,2}?(?:headaches?|migraines?|head pain|pain in (?:my|his|her|the) head)",
            r"(?:headaches?|migraines?) (?:\w+ ){0,4}?(?:severe|worst|terrible|awful|unbearable|excruciating|"
            r"killing|agony|so bad|really bad|very bad|sudden|suddenly|worse|wont go|wont stop|blinding)",
            r"head (?:\w+ )?(?:killing|pounding|splitting|exploding|throbbing|banging|bursting)",
        ),
        *_phrase(
            "head_injury",
            r"(?:hit|hitting|bump\w*|bang\w*|knock\w*|smack\w*|whack\w*|struck|crack\w*|bash\w*|fell on|"
            r"landed on|hurt|injur\w*|clonk\w*) (?:\w+ ){0,3}?(?:head|skull|forehead|temple)",
            r"head (?:injury|injuries|injured|wound|trauma|knock|bump|bang|knocked|bumped)",
            r"concuss\w*",
            r"(?:bump|lump|bang|knock|cut|gash|egg) on (?:my|his|her|the|their) (?:head|forehead)",
        ),
        # --- deep vein thrombosis -----------------------------------------------------------------------
        *_phrase("leg_swelling", _alt(_SWELL_CORE), r"puffed up|blown up"),
        *_pair("leg_swelling", _LIMB, _SWELL_NEAR_LIMB | _SWELL_CORE, 5),
        *_pair("leg_pain", _LIMB, _PAIN, 5),
        *_pair("warm_skin", _LIMB | _SKIN_PLACE, _WARM, 5),
        *_phrase("warm_skin", r"(?:warm|hot|burning) to (?:the )?touch"),
        *_pair("red_skin", _LIMB | _SKIN_PLACE, _COLOUR, 5),
        *_pair("hard_vein", _VEIN, _VEIN_QUALITY, 4),
        *_pair("hard_vein", _LIMB, _LUMP, 4),
        *_phrase("hard_vein", r"(?:veins? (?:\w+ ){0,2}?(?:sticking|standing) out)"),
    )


# What follows a sign and cancels it: "chest pain: none", "pain free", "breathless? no".
_POST_DENIAL = re.compile(r"^ (?:[:,?] )?(?:(?:none|nope|nil|no)(?: [.,?:]|$)|free\b)")
# DVT signs may resolve ("the swelling has gone"); PE and bleeding signs that passed still count.
_POST_RESOLVED = re.compile(
    r"^ (?:(?:has|have|is|are|was|had) )?(?:(?:now|completely|totally|all|fully|finally) )?"
    r"(?:(?:gone|disappeared|resolved)(?! (?:down|up|red|purple|black|blue|hard|dark|worse|bigger|hot))|"
    r"went away|gone away|cleared up)\b"
)


def _find_signs(tokens: Sequence[str], ctx: _Context) -> set[str]:
    """Return the signs asserted in ``tokens``."""
    joined = " ".join(tokens)
    starts: list[int] = []
    pos = 0
    for tok in tokens:
        starts.append(pos)
        pos += len(tok) + 1

    def index(offset: int) -> int:
        return bisect_right(starts, offset) - 1

    found: set[str] = set()
    for rule in _rules():
        if rule.sign in found:
            continue
        for match in rule.pattern.finditer(joined):
            if rule.number_range is not None:
                low, high = rule.number_range
                if not low <= int(match.group("n")) <= high:
                    continue
            first = index(match.start("m"))
            key = index(match.start("key")) if rule.pair else first
            if ctx.negated[key] or ctx.suppressed[first]:
                continue
            rest = joined[match.end("m") :]
            if _POST_DENIAL.match(rest) or (rule.sign in DVT_SIGNS and _POST_RESOLVED.match(rest)):
                continue
            found.add(rule.sign)
            break
    return found


def _thinner_status(tokens: Sequence[str], ctx: _Context, on_blood_thinners: bool | None) -> bool | None:
    """Combine the profile's answer with what the message says ("I'm on warfarin", "not on thinners")."""
    said_yes = said_no = False
    for i, tok in enumerate(tokens):
        if tok in ANTICOAGULANTS:
            if ctx.negated[i]:
                said_no = True
            elif not ctx.suppressed[i]:
                said_yes = True
    if on_blood_thinners is True or said_yes:
        return True
    if on_blood_thinners is False or said_no:
        return False
    return None


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
    import yaml

    from bot.domain.triage_concepts import RULES_PACKAGE

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


def _combine_thinners(a: bool | None, b: bool | None) -> bool | None:
    """Combine two readings of blood-thinner status: a yes wins, then a no, else unknown."""
    if a is True or b is True:
        return True
    if a is False or b is False:
        return False
    return None


def detect_red_flags(text: str, *, on_blood_thinners: bool | None = None) -> TriageResult:
    """Read a message for signs of a clot or of bleeding and say how urgent it is."""
    from bot.domain.triage_concepts import load_pack, read

    tokens = normalise(text)
    ctx = _context(tokens)
    legacy = frozenset(_find_signs(tokens, ctx))
    reading = read(text, load_pack("en"), on_blood_thinners=on_blood_thinners)
    signs = legacy | reading.signs
    thinners = _combine_thinners(_thinner_status(tokens, ctx, on_blood_thinners), reading.on_blood_thinners)
    severity = severity_for(signs, on_blood_thinners=thinners)
    uncertain = (
        severity is Severity.INFO
        and not reading.general_question
        and (reading.symptom_words or bool(reading.hypothetical_signs))
    )
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


# Real English words within correction distance of the vocabulary (Debian's wamerican and wbritish
# word lists). They are never "corrected", so that "out of bread" stays bread and "my back hurts"
# never becomes "black". tests/unit/test_triage.py re-derives the list where those lists are installed.
_REAL_WORDS: Final = _words(
    """
    aces ached acing acme acmes acne acre acres acting agonisingly agonizingly aims alms angle angles
    anklet anklets ants arches arching arcs ares arks army arts ashes ashing ashy back backed bagged
    bagging baled bandaged bandaging banded banding bandying banked banking banned banning barged
    barging barley basely baulking beaching berating berthing bilge bilges binding bindings binged
    bingeing binging blacken blackened blackens blacker blackest blackhead blacking blacklist blacks
    blanched blank blanked blanking bleached bleaches bleaching bleated bleating bleeders bleep bleeping
    bleeps blend blending blends blessing blew blindingly blinking blitzing block blocked blond blooding
    bloods bloom blotch blotched blotches blotted blown blued bluefish bluer blues blunting blur
    blurring blurting blush blvd boated boinking bonged bonging bottomed bottoms bounding brackish
    bragging branding brawn breach breached breaches breaching breading breadth breadths breaking
    breastbones breasting breathed breather breathers breathier breathiest breathlessly breaths breathy
    bred breeches breed breeding breeds breezing bringing broaches broaching brood brow brownest
    brownies browning browns brows budge budges budging bugger bugging bugle bugles bugling building
    bulged bulgiest bulgy bulking bulling bullring bullying bummed bump bumper bums bunged bunging
    bungling bunt burbling burdening burgling burped burping burring bursting burying bust buts butte
    butts calif califs calipers calk calks call calls calm calms calve calved camp camped camping camps
    card carp carves catchy caucussed caves champ champed champing champs chap chapping chapters cheat
    cheats chemists chess chippers chomping choppers chord chugging clambers clamming clamp clamped
    clamping clamps clap clapper clapping clashing clasping clatters clippers clomping clumping coaching
    coal coda coed coffees coffer colas cold collages collapses collared collaring collated collates
    collating cols colt coma concession concessions conclusion concurred concussions confessed
    confession confused confusion congaing consciousnesses constancy constant constants continuous
    contused contusion convulsed convulsion cords core cored cork corm corn corp couch couched couching
    counting coupling coursing courting crab crabbing cracking cradling crafting crag cram crammed
    cramming crams cranking crape crapped crapping craps crashing craw crawling cray craze creaming
    creeping crest cresting crests crimp crimped crimping crimps crisping crop croppers cropping
    crossing crouched crouching cruising crumbing crumpled crumpling crunching crusading crusting curd
    dampened dank danker dare darken darn dart dinginess dirk dirtiness disclosed discolor
    discolorations discolors discolour discolourations discolours discomfit discomforted discomforts
    discovered dishonored dishonoured dizziest docs dork enema engorged enlarge enlarger enlargers
    enlarges excruciatingly faces faceting fact fain fainter faintest faints fairness falter fanny
    farces farm fart fasted fasten fastener fastness fasts father fats fatten fattier faulting feast
    feat feed feel fees feint feinted feinting felt fences fest fester fetter fettering feverishly fezes
    film fineness finny fire firearm firearms firms firs fist fitter flattening flattens flatter
    flattering flatters flattery flaunted flaunting fleet flinging flint flirting flitting floaters
    fluster flustering flusters fluttered foisting font food fool foots forbears forearmed forebear
    forehand foreheads forewarn forewarns form fort forwards foster fragment fret fringing frittering
    fritters fronting funky gaping gaps gash gashing gasps gassing glassing gnashing grain grasp
    grasping grassing grin groan groins ground grounded grounder grounders grown guessing guesting
    gusting haltering hammerings hampering hamstrung hand hanger hankering harden hardener hardier
    hardily hardy hare hared hark harm harp hart harts hatter haunting haziness heads heady heal heap
    hear heard hears heartache heartaches heartbreak heartbreaks heartens heartfelt hearth hearths
    hearties heartiest heartily heartiness hearty heath heats heave heavenly heaviest heed heft held
    herd herder highs hitter hoard hoarder hoarders hoariness homering hoot hooter horribly horridly
    host hour huger hungered hungers hungover hungrier hunker hunt hunter hunting hunts hurdling hurl
    hurling hurls hurrying hurtling hustings hustling huts incurred inflame inflames inflated inflates
    informed infrared injure injures injuries inquired insured insureds inured irregularly irregulars
    jumbling jump jumps killings kilning kindling kneed kneel kneels knelling knew knitted knocker
    knockers knottier knuckled laborer laborers labourer labourers lager lags lamb lambs lamp lamps laps
    larder large larges leas lees leis lens less lets lids lies lighthearted lightheartedness limbo
    limbos lime limes limn limns limo limos limp limps limy lisp lisps logs long longs lops lugs lunge
    lunges macaroon made mads maid marooned maroons mead mentions migraines migrating minuets minuses
    minute minuted minutely minuter minutest motioned mottle mottles mucks mucous paid pail pailful
    pailfuls pails pailsful painfully paint painting paintings paints pair pairs palliation palpation
    palpitating paneling panning pans parenting parsed parting partings partying pass passel passer
    passes passing pasted pasting patenting patting paused pawn pawns peas pecs peek peeking peeks peel
    peeling peelings peels peep peeping peeps peer peering peers peeving pegs pend penes pens peps
    perusing petering pets pews phishing pick pied pieing pies pigs pike piked piking pine ping pinks
    pinky pins pint pips pissed pits plain plains plaiting planking planning planting plantings pleasing
    pleasure pled plop plops plucking plunging plunking pluses pods pointing poke poked poking polo pols
    pomading pomp ponds pooch poohs pool pools poor pops poring posh poss posturing pots pouching
    pounced pouncing pound pouting powering praising prancing preening premising prepping pres presaging
    presiding pressings pressured pressures pressuring pressurise pressurize presuming printing
    processing procuring professing prop props pros prowlers puff puffer puffs pukes pulsates pulsed
    punk punting pure pureeing purpler purples purplest purse purses puss pusses quack quirk rabid racer
    racers rack racked racking racks racy rage raged rages raging raid raided railed rained raise raises
    rake raked rakes raking ranching rape raped rapes rapids raping rare rared rares raring rate rated
    rates rating rave raved raves raving ravished raze razed razes razing reaching reacting read
    readiness realised recd recital recitals recta rectums redeemed rednecks redo redress reds reed rend
    rendered rental reopened rescuing retaking retiring retouching retrying retyping rice riced rices
    ricing rids rigs rims rips roaching robs rope roped ropes rosy rubs rudeness rued rust rusts sack
    sacked sadden safeness salivary salivate sallow sameness scabbing scanning scat scatting scooping
    score scoreless scull sculling seat seceding seeding seedling sell selling sells sere serenest sever
    severed severely severer severest severs shackled shallot shallots shallower shallows sharpness shat
    shedding sheering sheeting shell shelled shelling shells shelving shies shift shifting shilling shim
    shims shine shines shinning shinnying shiny ship shipped shipping ships shirt shirting shits
    shitting shoot shopped shopping shore shorn shortens shortest shorts shot shout showiness shrugging
    shun shunning shuns shut shutting sicks sics silk sink sinning sins sipped sipping sips sire sitting
    sittings skidding skids skies skill skimming skimped skimping skimps skims skin skinning skins skip
    skipper skippered skippering skippers skirting skis skit skits skulk skulls slabbing slacked
    slapping slat sledding sleeking sleeping sleeting slick slinging slinking slipped slipping slips
    slit slitting slopped slopping slotting smacker smackers smartness smell smelled smelling smells
    smelly smelting smit smocked smuggling snacked snapping sneering sneezing snipped snipping snips
    snit snooping snore snort snubbing snuggling soberness sock sodden softness sole some sopped sopping
    sorceress sorer sores sort sourness spam span spanking spanning spar spareness spas spate spats
    spatting spawning spay speaking spearing speccing specking speedier speedily spell spelled spelling
    spellings spells spending spieling spilling spilt spin spindling spins spiriting spite spiting spits
    splat splatting splicing splinting split splittings sponging spool spools spooning spore sport
    sporting spot spotting spouting sprat spreading spreeing springing sprinting spritzing spryness
    spurning spurting squeaked squeaking squealed squealing squeegee squeegeed squeeze squeezer
    squeezers squeezes stabbings stabling stacked stacking staffing staining stalking stalling stamping
    standing stapling starling starring starting starving stashing stat stealing steeling steeping
    steering stepped stepping sterling sternums stick stilling stinging stinking stinting stippled
    stippling stocking stomped stomping stood stoop stooped stooping stoops stopper stoppered stoppering
    stoppers store storming stoutness straggle straggled straggler straggles straggling straggly
    stranded strangely stranger strangers strangest strangle strangled strangler strangles strangling
    strapped strapping stringed stringer striping stripped stripping stronger stropped stropping
    struggled struggles stubbing stumping stunning suck suffocated suffocates suffocation suit sullenly
    sure sureness swabbing swallow swallows swapping swat swatting swearing sweating sweeping sweller
    swellest swellhead swellings swerving swill swilled swilling swills swinging swirling swivelled
    swivelling swooping swopped swopping swore tardy tare taro tarp tars tart teak teal team tear teas
    teat tees tended tendered tenderer tenderest tenderises tenderly tenders tenseness tenser terribly
    terry thicken thickener thickeners thickens thickest thicket thickets thickset think thinker
    thinkers three thriving throe throes thronging throw throws thrumming thumbing thunderclaps tick
    ticker ticketed ties tightens tightest tights tinder tinge tinges toed togs toiled toiler toileted
    toiletry toilets toilette toke tokes tome tomes toms tone tones tons tops torch tore tors toss tote
    totes tots touchy tough tows toys tramping trendier trick trickery trickier tromping troubled
    troubles trudging trumping tsar twine twines twinged twinkles tzar unbearably unbeatable unbreakable
    unconsciously unreadable unstable unusable urinated urinates usable vain veil veils visiting ward
    warder ware warier warmed warmers warms warn warp wars wart wary wayfaring webs weds weed weeding
    weeds week weeks weep weeping weepings weeps weer weest weir weirdo weirs weld wended wens were wets
    whacker whackers whackier wheeling wheezing whipping wide wield wife wilds wile wiled wiling will
    wilt wily wimpling winced wind windowed wine wined winged wining winked wiper wipes wire wired
    wiring wise wive woes woody wooly worm worse worsts
    """
)
