"""The terminal console drives the real handlers through the in-process fake Bot API."""

from __future__ import annotations

from pathlib import Path

from bot.console import run_console


def test_console_session_shows_replies_and_numbered_buttons(tmp_path: Path) -> None:
    lines = iter(["/country uk", "can I massage a clot?", "1", "/check", "1", "quit"])
    out: list[str] = []

    def read(_prompt: str) -> str:
        return next(lines)

    code = run_console(f"sqlite:///{tmp_path / 'console.sqlite3'}", read=read, write=out.append)
    text = "".join(out)
    assert code == 0
    assert "not a substitute for medical advice" in text  # /start is sent for the reviewer
    assert "United Kingdom" in text
    assert "[1] 📖 Tell me more" in text
    assert "embolus" in text.lower() or "lungs" in text.lower()  # button 1 pressed: the full topic
    assert "🚨" in text  # /check, first question answered Yes -> emergency result
    assert "Bye." in text
