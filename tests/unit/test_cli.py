"""The content authors' command line: `ask` and `content check`."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.knowledge.loader import default_content_dir


def test_ask_prints_topic_score_and_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "can", "i", "rub", "my", "leg", "if", "i", "think", "i", "have", "a", "clot"]) == 0
    out = capsys.readouterr().out
    assert "topic: massage_clot" in out
    assert "reason: massage_override" in out
    assert "score:" in out


def test_ask_without_an_answer_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "best", "pizza", "in", "town"]) == 1
    assert "No answer" in capsys.readouterr().out


def test_content_check_passes_on_the_real_content(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["content", "check"]) == 0
    assert "topics" in capsys.readouterr().out


def test_content_check_names_the_broken_file_and_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "topics"
    shutil.copytree(default_content_dir(), broken)
    target = broken / "ivc_filter.md"
    text = re.sub(r"(?m)^reviewed: .*$", "reviewed: soon", target.read_text(encoding="utf-8"))
    target.write_text(text)
    monkeypatch.setenv("CONTENT_DIR", str(broken))
    assert main(["content", "check"]) == 1
    err = capsys.readouterr().err
    assert "ivc_filter.md" in err
    assert "reviewed" in err
