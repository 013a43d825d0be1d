"""SAFETY.md lives in the repository, and every rule the code, content, tests and README cite exists."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAFETY = REPO / "SAFETY.md"
CITED_IN = ("bot", "tests", "content", "bench", "migrations", "deploy")
# "SAFETY.md rule 8", "SAFETY rules 4 and 5", "SAFETY.md rules 1-4", "SAFETY.md 1-3"
CITATION = re.compile(r"SAFETY(?:\.md)?`?\s+(?:rules?\s+)?(\d+(?:\s*(?:-|–|,|and)\s*\d+)*)")


def _rules() -> dict[int, str]:
    text = SAFETY.read_text(encoding="utf-8")
    return {int(n): title for n, title in re.findall(r"^## (\d+)\. (.+)$", text, flags=re.MULTILINE)}


def _numbers(spec: str) -> set[int]:
    numbers: set[int] = set()
    for part in re.split(r"\s*(?:,|and)\s*", spec):
        low, _, high = part.partition("-") if "-" in part else part.partition("–")
        numbers |= set(range(int(low), int(high or low) + 1))
    return numbers


def _citations() -> dict[str, set[int]]:
    files = [REPO / "README.md"] + [
        path
        for folder in CITED_IN
        for path in (REPO / folder).rglob("*")
        if path.suffix in {".py", ".md", ".yaml", ".service", ".example"} and "__pycache__" not in path.parts
    ]
    cited: dict[str, set[int]] = {}
    for path in files:
        for match in CITATION.finditer(path.read_text(encoding="utf-8")):
            cited.setdefault(path.relative_to(REPO).as_posix(), set()).update(_numbers(match[1]))
    return cited


def test_the_rules_are_numbered_one_to_thirteen_without_gaps() -> None:
    assert sorted(_rules()) == list(range(1, 14))


def test_every_cited_rule_exists() -> None:
    rules = _rules()
    cited = _citations()
    # The citations this test knows about must be found, or the pattern has gone blind.
    assert {1, 2, 3} <= cited["bot/domain/triage.py"]
    assert 8 in cited["content/emergency_numbers.yaml"]
    assert {4, 5} <= cited["bot/knowledge/retrieval.py"]
    assert {1, 2, 3, 4} <= cited["README.md"]
    missing = {path: sorted(n for n in numbers if n not in rules) for path, numbers in cited.items()}
    assert not {path: n for path, n in missing.items() if n}, "cited rules missing from SAFETY.md"


def test_every_file_safety_md_names_exists() -> None:
    text = SAFETY.read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:bot|tests|content)/[\w./]+)`", text))
    assert len(named) >= 15
    assert sorted(p for p in named if not (REPO / p).exists()) == []


def test_readme_points_to_the_repositorys_safety_md() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "[SAFETY.md](SAFETY.md)" in readme
    assert "shared with the project" not in readme  # it used to live outside the repository
