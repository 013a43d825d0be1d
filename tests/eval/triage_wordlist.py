"""Regenerate a language's never-correct word list for the red-flag detector (developer tool).

The detector corrects an unknown word that is one edit (two for long words) from its symptom
vocabulary ("brethless" -> breathless). Real words near that vocabulary ("bread", "chess", "says")
must never be "corrected"; this lists every common word (wordfreq, Zipf frequency >= --zipf) that is
that close to the vocabulary of ``bot/domain/triage_rules/<lang>.yaml``, merged with the existing file.

    .venv/bin/pip install wordfreq  # a developer tool only, not a dependency of the bot
    .venv/bin/python tests/eval/triage_wordlist.py en
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from importlib import resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.domain.triage_concepts import RULES_PACKAGE, load_pack


def main() -> None:
    """Write triage_rules/<lang>_real_words.txt."""
    from wordfreq import top_n_list, zipf_frequency  # type: ignore[import-not-found,unused-ignore]

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("language")
    parser.add_argument("--zipf", type=float, default=2.5, help="minimum Zipf frequency of a real word")
    parser.add_argument("--top", type=int, default=200_000)
    args = parser.parse_args()

    pack = load_pack(args.language)
    target = Path(str(resources.files(RULES_PACKAGE).joinpath(f"{args.language}_real_words.txt")))
    existing = set(target.read_text(encoding="utf-8").split()) if target.exists() else set()
    vocab = sorted(pack.vocabulary)
    near: set[str] = set()
    for word in top_n_list(args.language, args.top):
        if len(word) < 4 or not word.isalpha() or word in pack.vocabulary:
            continue
        if zipf_frequency(word, args.language) < args.zipf:
            break
        limit = 1 if len(word) < 8 else 2
        if process.extractOne(word, vocab, scorer=OSA.distance, score_cutoff=limit) is not None:
            near.add(word)
    words = sorted((existing | near) - pack.vocabulary)
    target.write_text("\n".join(textwrap.wrap(" ".join(words), 100)) + "\n", encoding="utf-8")
    print(f"{target}: {len(words)} words ({len(near - existing)} new)")


if __name__ == "__main__":
    main()
