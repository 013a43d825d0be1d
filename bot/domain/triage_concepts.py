"""Concept-based red-flag reading: language packs (data) and the engine that applies them (pure).

A language pack (``triage_rules/<lang>.yaml``) holds everything that depends on the language: how to
normalise text (shorthand, compound words, idioms), which words negate or mark a hypothetical, the
symptom CONCEPTS as lists of lay words, and the SIGN rules as combinations of concepts. This module
holds no English: a new language is a new YAML file with a Snowball stemmer name.

How a message is read:

1. normalise: Unicode NFKC, case folded, apostrophes dropped, runs of a repeated letter shortened,
   shorthand expanded, compounds merged, idioms removed, and a word that is not in the pack's
   vocabulary but one edit (two for long words) from it corrected, unless it is a real word;
2. stem every word and tag concept mentions: a word, a prefix ("palpitat*") or a phrase;
3. mark every word as negated, hypothetical (a leaflet, "what if", someone in general) or part of a
   general question about the condition;
4. a sign is present when all concepts of one of its patterns are mentioned within its window of
   words, in any order, with none of them negated, hypothetical or general, and its clause is not
   set in the long past ("years ago", "back in 2019") without a word of now ("now", "still").

What stays uncertain is reported too: symptom-like words, or a body part with a word of sensation or
change, that reach no sign, so that the caller can ask "Is this happening to you now?" (SAFETY.md
rule 11).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Final, TypeVar

import Stemmer
import yaml
from rapidfuzz import process
from rapidfuzz.distance import OSA

RULES_PACKAGE: Final = "bot.domain.triage_rules"
_T = TypeVar("_T")
DEFAULT_WINDOW: Final = 6
_SENTENCE_END: Final = frozenset({".", "?"})
_PUNCT: Final = frozenset({".", ",", "?", ":"})

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u200e\u200f\u202a\u202c"))
_APOSTROPHES = str.maketrans(dict.fromkeys("\u2019\u2018\u02bc`\u00b4\u2032", "'"))
_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*|\d+|[.!?;:,\n/()\[\]=\-\u2013\u2014&+]")
_REPEATS = re.compile(r"([^\W\d_])\1{2,}")
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
}


# --------------------------------------------------------------------------------------------------
# The language pack
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pattern:
    """One way a sign shows: all ``concepts`` within ``window`` words, maybe with a number."""

    concepts: tuple[str, ...]
    window: int = DEFAULT_WINDOW
    number: tuple[int, int] | None = None
    unless: frozenset[str] = frozenset()
    examples: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SignRule:
    """A sign, why it matters, and the patterns that show it."""

    sign: str
    rationale: str
    patterns: tuple[Pattern, ...]
    resolvable: bool = False


# A term word: ("=", stem) for an exact stem, ("*", prefix) for a prefix of the normalised word.
_Matcher = tuple[str, str]


@dataclass(frozen=True, slots=True)
class _Term:
    concept: str
    words: tuple[_Matcher, ...]


@dataclass(frozen=True, slots=True)
class LanguagePack:
    """Everything language-specific the engine needs, read from one YAML file."""

    language: str
    stemmer: Any
    shorthand: Mapping[str, tuple[str, ...]]
    symbols: Mapping[str, str]
    sob_crying_before: frozenset[str]
    sob_crying_after: frozenset[str]
    # phrase tables are indexed by their first word, longest phrase first
    merges: Mapping[str, tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]]
    idioms: Mapping[str, tuple[tuple[str, ...], ...]]
    vocabulary: frozenset[str]
    vocabulary_by_initial: Mapping[str, tuple[str, ...]]
    # every word a typo may be corrected to: the vocabulary and the real words near it
    known_by_initial: Mapping[str, tuple[str, ...]]
    never_correct: frozenset[str]
    function_words: frozenset[str]
    negators: frozenset[str]
    pseudo_negation_next: frozenset[str]
    modals: frozenset[str]
    clause_end: frozenset[str]
    clause_start: frozenset[str]
    conjunctions: frozenset[str]
    negation_window: int
    hypothetical_window: int
    hypothetical: Mapping[str, tuple[tuple[str, ...], ...]]
    hypothetical_not_followed_by: frozenset[str]
    generic: Mapping[str, tuple[tuple[str, ...], ...]]
    question_start: frozenset[str]
    lead_in: frozenset[str]
    first_person: frozenset[str]
    report_words: frozenset[str]
    topic: frozenset[str]
    post_denial: frozenset[str]
    resolved: tuple[tuple[str, ...], ...]
    long_past: Mapping[str, tuple[tuple[str, ...], ...]]
    recurred: tuple[tuple[str, ...], ...]
    refer_back: frozenset[str]
    present: frozenset[str]
    concepts: frozenset[str]
    signs: tuple[SignRule, ...]
    roles: Mapping[str, str]
    exact: Mapping[str, tuple[_Term, ...]] = field(default_factory=dict)
    prefixed: Mapping[str, tuple[_Term, ...]] = field(default_factory=dict)
    _stem_cache: dict[str, str] = field(default_factory=dict)

    def stem(self, word: str) -> str:
        """Return the stem of one normalised word (cached)."""
        cached = self._stem_cache.get(word)
        if cached is None:
            cached = str(self.stemmer.stemWord(word))
            if len(self._stem_cache) < 50_000:
                self._stem_cache[word] = cached
        return cached


def _split(value: str | Sequence[str]) -> frozenset[str]:
    return frozenset(value.split() if isinstance(value, str) else value)


def _phrases(values: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(sorted((tuple(str(v).split()) for v in values), key=lambda p: -len(p)))


def _by_first(items: Iterable[_T], first: Callable[[_T], str]) -> dict[str, tuple[_T, ...]]:
    """Index phrases (or (phrase, replacement) pairs) by their first word, keeping their order."""
    index: dict[str, list[_T]] = {}
    for item in items:
        index.setdefault(first(item), []).append(item)
    return {k: tuple(v) for k, v in index.items()}


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().replace("'", "").replace("\u2019", "")


@lru_cache(maxsize=8)
def load_pack(language: str = "en") -> LanguagePack:
    """Read and compile the language pack ``triage_rules/<language>.yaml`` (cached)."""
    folder = resources.files(RULES_PACKAGE)
    data = yaml.safe_load(folder.joinpath(f"{language}.yaml").read_text(encoding="utf-8"))
    norm, ctx = data["normalise"], data["context"]
    real_words: frozenset[str] = frozenset()
    if norm.get("never_correct_file"):
        real_words = _split(folder.joinpath(norm["never_correct_file"]).read_text(encoding="utf-8"))
    stemmer = Stemmer.Stemmer(data["stemmer"])
    concepts: dict[str, list[str]] = {
        name: [_fold(str(t)) for t in terms] for name, terms in data["concepts"].items()
    }
    signs = tuple(
        SignRule(
            sign=sign,
            rationale=str(spec["rationale"]),
            resolvable=bool(spec.get("resolvable", False)),
            patterns=tuple(
                Pattern(
                    concepts=tuple(p["all"]),
                    window=int(p.get("window", DEFAULT_WINDOW)),
                    number=(int(p["number"][0]), int(p["number"][1])) if "number" in p else None,
                    unless=frozenset(p.get("unless", ())),
                    examples=tuple(p.get("examples", ())),
                )
                for p in spec["patterns"]
            ),
        )
        for sign, spec in data["signs"].items()
    )
    for rule in signs:
        for pattern in rule.patterns:
            unknown = (set(pattern.concepts) | pattern.unless) - concepts.keys()
            if unknown:
                raise ValueError(f"{language}: sign {rule.sign} uses unknown concepts {sorted(unknown)}")
    merges = tuple(
        sorted(
            ((tuple(_fold(k).split()), tuple(_fold(v).split())) for k, v in norm.get("merges", {}).items()),
            key=lambda m: -len(m[0]),
        )
    )
    vocabulary = (
        frozenset(
            w
            for terms in concepts.values()
            for term in terms
            for w in term.split()
            if not w.endswith("*") and len(w) >= 3 and w.isalpha()
        )
        | frozenset(w for _, dst in merges for w in dst)
        | _split(norm.get("extra_vocabulary", ""))
    )
    context_words = (
        frozenset(
            w
            for key in (
                "negators",
                "pseudo_negation_next",
                "modals",
                "clause_end",
                "clause_start",
                "question_start",
                "lead_in",
                "first_person",
                "report_words",
                "refer_back",
                "topic",
                "present",
            )
            for w in _split(ctx.get(key, ""))
        )
        | frozenset(
            w
            for key in ("hypothetical", "generic", "resolved", "long_past", "recurred")
            for phrase in ctx.get(key, ())
            for w in _fold(str(phrase)).split()
        )
        | frozenset(w for idiom in norm.get("idioms", ()) for w in _fold(str(idiom)).split())
    )
    pack = LanguagePack(
        language=str(data["language"]),
        stemmer=stemmer,
        shorthand={_fold(k): tuple(_fold(str(v)).split()) for k, v in norm.get("shorthand", {}).items()},
        symbols={str(k): str(v) for k, v in norm.get("symbols", {}).items()},
        sob_crying_before=_split(norm.get("sob_crying_before", "")),
        sob_crying_after=_split(norm.get("sob_crying_after", "")),
        merges=_by_first(merges, lambda m: m[0][0]),
        idioms=_by_first(_phrases(_fold(str(i)) for i in norm.get("idioms", ())), lambda p: p[0]),
        vocabulary=vocabulary,
        vocabulary_by_initial=_initials(vocabulary),
        never_correct=real_words | context_words,
        function_words=context_words,
        known_by_initial=_initials(vocabulary | real_words | context_words),
        negators=_split(ctx["negators"]),
        pseudo_negation_next=_split(ctx.get("pseudo_negation_next", "")),
        modals=_split(ctx.get("modals", "")),
        clause_end=_split(ctx.get("clause_end", "")),
        clause_start=_split(ctx.get("clause_start", "")),
        conjunctions=_split(ctx.get("conjunctions", "")),
        negation_window=int(ctx.get("negation_window", 7)),
        hypothetical_window=int(ctx.get("hypothetical_window", 8)),
        hypothetical=_by_first(_phrases(ctx.get("hypothetical", ())), lambda p: p[0]),
        hypothetical_not_followed_by=_split(ctx.get("hypothetical_not_followed_by", "")),
        generic=_by_first(_phrases(ctx.get("generic", ())), lambda p: p[0]),
        question_start=_split(ctx.get("question_start", "")),
        lead_in=_split(ctx.get("lead_in", "")),
        first_person=_split(ctx.get("first_person", "")),
        report_words=_split(ctx.get("report_words", "")),
        topic=_split(ctx.get("topic", "")),
        post_denial=_split(ctx.get("post_denial", ())),
        resolved=(),
        long_past=_by_first(_phrases(_fold(str(p)) for p in ctx.get("long_past", ())), lambda p: p[0]),
        present=_split(ctx.get("present", "")),
        recurred=(),
        refer_back=_split(ctx.get("refer_back", "")),
        concepts=frozenset(concepts),
        signs=signs,
        roles=dict(data.get("roles", {})),
    )
    exact: dict[str, list[_Term]] = {}
    prefixed: dict[str, list[_Term]] = {}
    for name, terms in concepts.items():
        for term in terms:
            words = tuple(_matcher(pack, w) for w in term.split())
            kind, value = words[0]
            index = exact if kind == "=" else prefixed
            key = value if kind == "=" else value[:3]
            index.setdefault(key, []).append(_Term(name, words))
    resolved = tuple(
        tuple(w if w == _END else pack.stem(w) for w in p)
        for p in _phrases(str(r).casefold() for r in ctx.get("resolved", ()))
    )
    object.__setattr__(pack, "exact", {k: tuple(v) for k, v in exact.items()})
    object.__setattr__(pack, "prefixed", {k: tuple(v) for k, v in prefixed.items()})
    object.__setattr__(pack, "resolved", resolved)
    recurred = tuple(
        tuple(pack.stem(w) for w in p) for p in _phrases(str(r).casefold() for r in ctx.get("recurred", ()))
    )
    object.__setattr__(pack, "recurred", recurred)
    return pack


def _matcher(pack: LanguagePack, word: str) -> _Matcher:
    if word.endswith("*"):
        prefix = word[:-1]
        if len(prefix) < 3:
            raise ValueError(f"{pack.language}: prefix {word!r} is too short")
        return ("*", prefix)
    return ("=", pack.stem(word))


def _initials(words: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Group words by first letter: typos rarely hit the first letter, and it keeps lookups small."""
    groups: dict[str, list[str]] = {}
    for w in sorted(words):
        groups.setdefault(w[0], []).append(w)
    return {k: tuple(v) for k, v in groups.items()}


# --------------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------------


def normalise(text: str, pack: LanguagePack, *, real_word_typos: bool = False) -> list[str]:
    """Split ``text`` into canonical tokens: words, numbers and the punctuation . , ? :

    With ``real_word_typos`` a real word one edit from a symptom word is read as that symptom word
    too ("my chest huts"): the second, doubtful reading the safety net uses.
    """
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).translate(_APOSTROPHES).casefold()
    text = _WORD_HYPHEN.sub(" ", text)
    raw: list[str] = []
    found = _TOKEN.findall(text)
    for i, piece in enumerate(found):
        tok = _PUNCT_MAP.get(piece) or pack.symbols.get(piece, piece)
        if tok in _PUNCT or tok.isdigit():
            raw.append(tok)
            continue
        word = _REPEATS.sub(r"\1\1", tok.replace("'", ""))
        after = found[i + 1].casefold() if i + 1 < len(found) else ""
        if word == "sob" and ((raw and raw[-1] in pack.sob_crying_before) or after in pack.sob_crying_after):
            raw.append(word)
            continue
        raw.extend(pack.shorthand.get(word, (word,)))
    words = [_correct(pack, t, real_word_typos=real_word_typos) for t in raw]
    return _drop_idioms(_merge(words, pack.merges), pack.idioms)


def _merge(
    tokens: Sequence[str], merges: Mapping[str, tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]]
) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for src, dst in merges.get(tokens[i], ()):
            if tuple(tokens[i : i + len(src)]) == src:
                out.extend(dst)
                i += len(src)
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


def _drop_idioms(tokens: Sequence[str], idioms: Mapping[str, tuple[tuple[str, ...], ...]]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for idiom in idioms.get(tokens[i], ()):
            if tuple(tokens[i : i + len(idiom)]) == idiom:
                i += len(idiom)
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


def _correct(pack: LanguagePack, word: str, *, real_word_typos: bool = False) -> str:
    """Return the vocabulary word a typo was meant to be, or the word unchanged."""
    if len(word) < 4 or word in pack.vocabulary or not word.isalpha() or not word.isascii():
        return word
    if word in pack.never_correct:
        if real_word_typos and word not in pack.function_words:
            return _correct_cached(pack.language, word, real=True)
        return word
    return _correct_cached(pack.language, word, real=False)


@lru_cache(maxsize=16384)
def _correct_cached(language: str, word: str, *, real: bool) -> str:
    pack = load_pack(language)
    candidates = (pack.vocabulary_by_initial if real else pack.known_by_initial).get(word[0])
    if not candidates:
        return word
    limit = 1 if real or len(word) < 8 else 2
    found = process.extract(word, candidates, scorer=OSA.distance, score_cutoff=limit, limit=None)
    if real:
        # Only the commonest slips of a real word: a dropped letter ("huts" -> hurts) or two swapped.
        found = [c for c in found if _is_subsequence(word, c[0]) or sorted(c[0]) == sorted(word)]
    if not found:
        return word
    # Ties go to the commonest slips, a dropped letter or two swapped ("sice" -> since, not sick);
    # among those to a symptom word, towards caution ("blak" -> black, not balk; "pluse" -> pulse, not
    # pluses); then to swapped letters ("herat" -> heart, not heat), a doubled one ("raccing" ->
    # racing); then the closest length.
    best = min(
        found,
        key=lambda c: (
            c[1],
            not (_is_subsequence(word, c[0]) or sorted(c[0]) == sorted(word)),
            c[0] not in pack.vocabulary,
            sorted(c[0]) != sorted(word),
            not _is_subsequence(c[0], word),
            abs(len(c[0]) - len(word)),
            c[0],
        ),
    )
    # A typo nearest to an ordinary word is left alone: only symptom vocabulary is ever substituted.
    return str(best[0]) if best[0] in pack.vocabulary else word


def _is_subsequence(short: str, long: str) -> bool:
    letters = iter(long)
    return all(ch in letters for ch in short)


# --------------------------------------------------------------------------------------------------
# Context: negation, hypotheticals, general questions
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Context:
    negated: tuple[bool, ...]
    hypothetical: tuple[bool, ...]
    general: tuple[bool, ...]


def _starts_with(tokens: Sequence[str], i: int, seq: tuple[str, ...]) -> bool:
    return tuple(tokens[i : i + len(seq)]) == seq


def _ends_scope(pack: LanguagePack, tokens: Sequence[str], k: int, *, and_ends: bool) -> bool:
    tok = tokens[k]
    nxt = tokens[k + 1] if k + 1 < len(tokens) else ""
    if tok in {".", "?", ":"}:
        return True
    if tok in pack.conjunctions:  # "and" ends a negation, and a hypothetical only before a new clause
        return and_ends or nxt in pack.clause_start
    if tok in pack.clause_end:
        return True
    return tok == "," and nxt in pack.clause_start


def _mark(
    pack: LanguagePack, flags: list[bool], tokens: Sequence[str], start: int, window: int, *, and_ends: bool
) -> None:
    for k in range(start, min(len(tokens), start + window)):
        if _ends_scope(pack, tokens, k, and_ends=and_ends):
            return
        flags[k] = True


def _is_negator(pack: LanguagePack, tokens: Sequence[str], i: int) -> bool:
    tok = tokens[i]
    if tok not in pack.negators:
        return False
    following = tokens[i + 1 : i + 3]
    if any(t in pack.pseudo_negation_next for t in following):
        return False
    if i and tokens[i - 1] in pack.modals:
        return False
    # "No, ..." or "no I can't breathe" answers a question; it negates nothing after it.
    return not (
        tok in pack.post_denial
        and (not following or following[0] in _PUNCT or following[0] in pack.first_person)
    )


def _sentences(tokens: Sequence[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for i, tok in enumerate(tokens):
        if tok in _SENTENCE_END:
            spans.append((start, i + 1))
            start = i + 1
    if start < len(tokens):
        spans.append((start, len(tokens)))
    return spans


def _is_general_question(pack: LanguagePack, sentence: Sequence[str]) -> bool:
    words = [t for t in sentence if t not in _PUNCT]
    while words and words[0] in pack.lead_in:
        words.pop(0)
    if not words or words[0] not in pack.question_start:
        return False
    if any(t in pack.first_person for t in words):
        return False
    return any(t in pack.topic for t in words)


def _context(pack: LanguagePack, tokens: Sequence[str]) -> _Context:
    n = len(tokens)
    negated = [False] * n
    hypothetical = [False] * n
    general = [False] * n
    for i in range(n):
        if _is_negator(pack, tokens, i):
            _mark(pack, negated, tokens, i + 1, pack.negation_window, and_ends=True)
        for seq in pack.hypothetical.get(tokens[i], ()):
            end = i + len(seq)
            if _starts_with(tokens, i, seq):
                if end < n and tokens[end] in pack.hypothetical_not_followed_by:
                    continue
                _mark(pack, hypothetical, tokens, end, pack.hypothetical_window, and_ends=False)
    for start, end in _sentences(tokens):
        sentence = tokens[start:end]
        if _is_general_question(pack, sentence):
            general[start:end] = [True] * (end - start)
        elif not any(t in pack.first_person for t in sentence):
            for i in range(start, end):
                for seq in pack.generic.get(tokens[i], ()):
                    if _starts_with(tokens, i, seq):
                        _mark(pack, general, tokens, i + len(seq), pack.hypothetical_window, and_ends=False)
    return _Context(negated=tuple(negated), hypothetical=tuple(hypothetical), general=tuple(general))


# --------------------------------------------------------------------------------------------------
# Concepts and signs
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mention:
    """A concept mentioned at tokens [start, end)."""

    concept: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Reading:
    """What one message says: the signs reported, and whether symptom-like words leave doubt."""

    signs: frozenset[str]
    symptom_words: bool
    on_blood_thinners: bool | None
    general_question: bool


def _word_matches(matcher: _Matcher, word: str, stem: str) -> bool:
    kind, value = matcher
    return stem == value if kind == "=" else word.startswith(value)


def tag(pack: LanguagePack, tokens: Sequence[str]) -> list[Mention]:
    """Return every concept mention in ``tokens``."""
    stems = [pack.stem(t) for t in tokens]
    found: set[Mention] = set()
    for i, (word, stem) in enumerate(zip(tokens, stems, strict=True)):
        candidates = pack.exact.get(stem, ()) + pack.prefixed.get(word[:3], ())
        for term in candidates:
            end = i + len(term.words)
            if end > len(tokens):
                continue
            if all(_word_matches(m, tokens[i + k], stems[i + k]) for k, m in enumerate(term.words)):
                found.add(Mention(term.concept, i, end))
    return sorted(found, key=lambda m: (m.start, m.end, m.concept))


def _usable(m: Mention, ctx: _Context) -> bool:
    return not (ctx.negated[m.start] or ctx.hypothetical[m.start] or ctx.general[m.start])


def _denied_after(pack: LanguagePack, tokens: Sequence[str], end: int) -> bool:
    """Tell whether what follows a match denies it ("chest pain: none", "pain free")."""
    k = end
    while k < len(tokens) and tokens[k] in {":", ",", "?"}:
        k += 1
    if k >= len(tokens) or tokens[k] not in pack.post_denial:
        return False
    nxt = tokens[k + 1] if k + 1 < len(tokens) else ""
    return k > end or nxt in ("", *_PUNCT) or tokens[k] not in pack.negators


_END: Final = "<end>"
_YEAR: Final = "<year>"


def _clause(pack: LanguagePack, tokens: Sequence[str], span: tuple[int, int]) -> tuple[int, int]:
    """Return the clause around ``span``: bounded by sentence ends, "but"-like words, and a comma or
    "and" that starts a new clause ("I had a PE in 2019 and now my chest hurts" is two clauses)."""
    start = span[0]
    while start > 0 and not _ends_scope(pack, tokens, start - 1, and_ends=False):
        start -= 1
    end = span[1]
    while end < len(tokens) and not _ends_scope(pack, tokens, end, and_ends=False):
        end += 1
    return start, end


def _phrase_at(tokens: Sequence[str], i: int, phrase: tuple[str, ...]) -> bool:
    if i + len(phrase) > len(tokens):
        return False
    for word, tok in zip(phrase, tokens[i : i + len(phrase)], strict=True):
        if word == _YEAR:
            if not (tok.isdigit() and len(tok) == 4 and 1900 <= int(tok) <= 2099):
                return False
        elif word != tok:
            return False
    return True


def _long_past(pack: LanguagePack, tokens: Sequence[str], span: tuple[int, int]) -> bool:
    """Tell whether the clause holding ``span`` sets it in the past ("years ago", "back in 2019")
    and says nothing of now ("now", "still", "again", "today")."""
    start, end = _clause(pack, tokens, span)
    clause = tokens[start:end]
    if any(t in pack.present for t in clause):
        return False
    # "never used to be" contrasts the past with now: a negated marker does not count
    return any(
        _phrase_at(clause, i, phrase) and not (i and clause[i - 1] in pack.negators)
        for i in range(len(clause))
        for phrase in (*pack.long_past.get(clause[i], ()), *pack.long_past.get(_YEAR, ()))
    )


def _resolved(pack: LanguagePack, tokens: Sequence[str], stems: Sequence[str], span: tuple[int, int]) -> bool:
    """Tell whether the clause holding ``span`` says the sign went away ("<end>": clause end).

    The clause, not the sentence: "my calf is much better but my ankle is swollen" still reports a
    swollen ankle. The next clause counts too when it points back at the sign ("my leg was swollen
    but it has gone down"), and nothing is over if the sentence says it came back.
    """
    if any(
        tuple(stems[i : i + len(p)]) == p for i in range(len(stems)) for p in pack.recurred
    ) and not _long_past(pack, tokens, span):
        return False
    clauses = [_clause(pack, tokens, span)]
    end = clauses[0][1]
    nxt = end + 1
    while nxt < len(tokens) and tokens[nxt] in _PUNCT:
        nxt += 1
    points_back = nxt < len(tokens) and tokens[nxt] in pack.refer_back
    if end < len(tokens) and tokens[end] not in _SENTENCE_END and points_back:
        clauses.append(_clause(pack, tokens, (nxt, nxt + 1)))
    for start, stop in clauses:
        for i in range(start, stop):
            for phrase in pack.resolved:
                words = phrase[:-1] if phrase[-1] == _END else phrase
                if tuple(stems[i : i + len(words)]) != words:
                    continue
                after = i + len(words)
                if phrase[-1] != _END or after >= stop or stems[after] in _PUNCT:
                    return True
    return False


def _match(
    pattern: Pattern,
    by_concept: Mapping[str, list[Mention]],
    tokens: Sequence[str],
    words_before: Sequence[int],
) -> Iterator[tuple[int, int]]:
    """Yield the span of every combination of mentions that fits the pattern's window.

    The window counts words, not punctuation: "blood, a lot of it, when I coughed" is 8 words.
    Every span, not only the first: in "the bruise cleared but my calf hurts" the first fit (bruise +
    calf) has passed, the second (calf + hurts) has not.
    """
    lists = [by_concept.get(c, []) for c in pattern.concepts]
    if not all(lists):
        return
    for combo in itertools.islice(itertools.product(*lists), 2000):
        start = min(m.start for m in combo)
        end = max(m.end for m in combo)
        if words_before[end] - words_before[start] > pattern.window + 1:
            continue
        if len(combo) > 1 and len({(m.start, m.end) for m in combo}) < len(combo):
            continue
        if pattern.number is not None and not _number_near(pattern, tokens, start, end):
            continue
        yield (start, end)


def _number_near(pattern: Pattern, tokens: Sequence[str], start: int, end: int) -> bool:
    assert pattern.number is not None
    low, high = pattern.number
    for k in range(max(0, start - pattern.window), min(len(tokens), end + pattern.window)):
        if tokens[k].isdigit() and low <= int(tokens[k]) <= high:
            return True
    return False


def _find(
    pack: LanguagePack,
    tokens: Sequence[str],
    stems: Sequence[str],
    mentions: Sequence[Mention],
    keep: Any,
) -> set[str]:
    present = {m.concept for m in mentions}
    by_concept: dict[str, list[Mention]] = {}
    for m in mentions:
        if keep(m):
            by_concept.setdefault(m.concept, []).append(m)
    words_before = [0]
    for tok in tokens:
        words_before.append(words_before[-1] + (tok not in _PUNCT))
    found: set[str] = set()
    for rule in pack.signs:
        for pattern in rule.patterns:
            if pattern.unless & present:
                continue
            if any(
                not _denied_after(pack, tokens, span[1])
                and not (rule.resolvable and _resolved(pack, tokens, stems, span))
                and not _long_past(pack, tokens, span)
                for span in _match(pattern, by_concept, tokens, words_before)
            ):
                found.add(rule.sign)
                break
    return found


def _doubt(pack: LanguagePack, tokens: Sequence[str], mentions: Sequence[Mention], ctx: _Context) -> bool:
    """Tell whether a sentence reports something about a body now without reaching a sign.

    Doubt comes from a symptom-like word ("weird", "dizzy", "I feel awful"), or from a body part or
    function together with a word of sensation or change within ``body_window`` words ("my nose has
    been pouring", "my toes are tingly"). No doubt comes from a sentence that reassures, that is a
    clear question about signs in general or that asks about nobody in particular ("does apixaban
    cause nosebleeds?"), or from a clause set in the long past ("years ago").
    """
    roles = pack.roles
    symptom, reassured = roles.get("symptom_like"), roles.get("reassured")
    body, change = roles.get("body_part"), roles.get("body_change")
    window = int(roles.get("body_window", DEFAULT_WINDOW))
    for start, end in _sentences(tokens):
        inside = [m for m in mentions if start <= m.start < end and _usable(m, ctx)]
        # "gone" reassures; "gone white" does not
        changed_at = {m.start for m in inside if m.concept == change}
        if _asks_without_reporting(pack, tokens[start:end]) or any(
            m.concept == reassured and m.end not in changed_at for m in inside
        ):
            continue
        inside = [m for m in inside if not _long_past(pack, tokens, (m.start, m.end))]
        if any(m.concept == symptom for m in inside):
            return True
        parts = [m for m in inside if m.concept == body]
        changes = [m for m in inside if m.concept == change]
        if any(abs(p.start - c.start) <= window and p.start != c.start for p in parts for c in changes):
            return True
    return False


def _asks_without_reporting(pack: LanguagePack, sentence: Sequence[str]) -> bool:
    """Tell whether a sentence is a question that reports nothing ("does the pill cause a headache?"):
    it starts with a question word and names nobody ("I", "my", "my husband", "his") who could have
    the symptom. "Can I take paracetamol for a headache?" still gets asked: the writer may have one."""
    words = [t for t in sentence if t not in _PUNCT]
    while words and words[0] in pack.lead_in:
        words.pop(0)
    return (
        bool(words)
        and words[0] in pack.question_start
        and not any(t in pack.report_words or t in pack.first_person for t in words)
    )


def read(text: str, pack: LanguagePack, *, on_blood_thinners: bool | None = None) -> Reading:
    """Read ``text`` with ``pack``: which signs it reports and whether it leaves doubt."""
    tokens = normalise(text, pack)
    ctx = _context(pack, tokens)
    stems = [pack.stem(t) for t in tokens]
    mentions = tag(pack, tokens)
    signs = _find(pack, tokens, stems, mentions, lambda m: _usable(m, ctx))
    symptom_words = _doubt(pack, tokens, mentions, ctx)
    if not signs and not symptom_words:
        # A real word may be a typo of a symptom word ("my calf huts"): if reading it so shows a sign,
        # the message is doubtful rather than clear.
        doubtful = normalise(text, pack, real_word_typos=True)
        if doubtful != tokens:
            dctx = _context(pack, doubtful)
            dmentions = tag(pack, doubtful)
            dstems = [pack.stem(t) for t in doubtful]
            symptom_words = bool(_find(pack, doubtful, dstems, dmentions, lambda m: _usable(m, dctx)))
    said_yes = said_no = False
    for m in mentions:
        if m.concept != pack.roles.get("thinner"):
            continue
        if ctx.negated[m.start]:
            said_no = True
        elif not (ctx.hypothetical[m.start] or ctx.general[m.start]):
            said_yes = True
    thinners = on_blood_thinners
    if on_blood_thinners is True or said_yes:
        thinners = True
    elif on_blood_thinners is False or said_no:
        thinners = False
    return Reading(
        signs=frozenset(signs),
        symptom_words=symptom_words,
        on_blood_thinners=thinners,
        general_question=bool(tokens)
        and all(ctx.general[i] for i, t in enumerate(tokens) if t not in _PUNCT),
    )
