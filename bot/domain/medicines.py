"""Medicine names: one key per medicine whatever it is called, and which ones are blood thinners.

``medicine_key("Eliquis")`` and ``medicine_key("apixaban 5mg")`` are both ``"apixaban"``, so two plans
for one medicine under two names are caught as one. Names that are not in the table keep a folded
form of what was typed (case, accents and spacing ignored); a close misspelling of a known name
("apixiban", "xeralto") maps to it, so long as the match is unambiguous.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Final

from rapidfuzz import fuzz, process

# A misspelling must be at least this similar (0-100) to a known name, and the name this long, to count.
FUZZY_CUTOFF: Final = 85
FUZZY_MIN_CHARS: Final = 5


@dataclass(frozen=True, slots=True)
class Medicine:
    """A known medicine: its generic name, other names it is sold under, and its class."""

    generic: str
    brands: tuple[str, ...]
    anticoagulant: bool


# Common oral and injected anticoagulants (generic first) with brand names used in the UK, EU, US, AU.
# Antiplatelets (aspirin, clopidogrel) are not anticoagulants: bleeding rules for "blood thinners"
# here follow anticoagulant guidance, so they are listed as medicines but not flagged.
KNOWN_MEDICINES: Final[tuple[Medicine, ...]] = (
    Medicine("apixaban", ("eliquis",), anticoagulant=True),
    Medicine("rivaroxaban", ("xarelto",), anticoagulant=True),
    Medicine("edoxaban", ("lixiana", "savaysa", "roteas"), anticoagulant=True),
    Medicine("dabigatran", ("pradaxa", "pradax", "prazaxa", "dabigatran etexilate"), anticoagulant=True),
    Medicine("warfarin", ("coumadin", "marevan", "jantoven", "waran"), anticoagulant=True),
    Medicine("acenocoumarol", ("sintrom", "sinthrome", "nicoumalone"), anticoagulant=True),
    Medicine("phenprocoumon", ("marcumar", "falithrom", "marcoumar"), anticoagulant=True),
    Medicine("fluindione", ("previscan",), anticoagulant=True),
    Medicine("enoxaparin", ("clexane", "lovenox", "inhixa", "enoxaparin sodium"), anticoagulant=True),
    Medicine("dalteparin", ("fragmin",), anticoagulant=True),
    Medicine("tinzaparin", ("innohep",), anticoagulant=True),
    Medicine("nadroparin", ("fraxiparine", "fraxiparin"), anticoagulant=True),
    Medicine("fondaparinux", ("arixtra",), anticoagulant=True),
    Medicine("heparin", ("unfractionated heparin",), anticoagulant=True),
    Medicine("aspirin", ("acetylsalicylic acid",), anticoagulant=False),
    Medicine("clopidogrel", ("plavix",), anticoagulant=False),
    Medicine("ticagrelor", ("brilinta", "brilique"), anticoagulant=False),
)


def _fold(text: str) -> str:
    """Return ``text`` without accents, case or extra spaces, for matching only."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.casefold().split())


@cache
def _names() -> dict[str, Medicine]:
    """Map every folded generic and brand name to its medicine."""
    names: dict[str, Medicine] = {}
    for medicine in KNOWN_MEDICINES:
        for name in (medicine.generic, *medicine.brands):
            names[_fold(name)] = medicine
    return names


def identify(name: str) -> Medicine | None:
    """Return the known medicine ``name`` means (generic, brand, or a close misspelling), else None."""
    folded = _fold(name)
    if not folded:
        return None
    names = _names()
    if folded in names:
        return names[folded]
    # "apixaban 5 mg" or "eliquis tablets": the first word names the medicine.
    first = folded.split()[0]
    if first in names:
        return names[first]
    if len(first) < FUZZY_MIN_CHARS:
        return None
    found = process.extract(first, list(names), scorer=fuzz.ratio, limit=2, score_cutoff=FUZZY_CUTOFF)
    if not found:
        return None
    medicines = {names[match].generic for match, _score, _index in found}
    # Two different medicines equally close ("a typo of which one?") is no match at all.
    return names[found[0][0]] if len(medicines) == 1 else None


def medicine_key(name: str) -> str:
    """Return the key two plans share when they are for the same medicine."""
    known = identify(name)
    return known.generic if known is not None else _fold(name)


def is_anticoagulant(name: str) -> bool:
    """Tell whether ``name`` is a known anticoagulant (a blood thinner in the bleeding-risk sense)."""
    known = identify(name)
    return known is not None and known.anticoagulant


def display_generic(name: str) -> str | None:
    """Return the generic name when ``name`` is a brand or a misspelling of it, else None."""
    known = identify(name)
    if known is None or _fold(name) == known.generic:
        return None
    return known.generic
