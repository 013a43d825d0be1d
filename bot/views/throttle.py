"""User-visible text of flood control."""

from __future__ import annotations


def render_slow_down() -> str:
    """Ask a user who sends too much too fast to slow down (safety messages always get through)."""
    return (
        "You're sending messages very fast, so I'll skip some for a moment. Please wait a few seconds. "
        "If you feel unwell, describe it in one message or use /emergency — those always get through."
    )


def answer_slow_down() -> str:
    """The same request as a short button answer (plain text, at most 200 characters)."""
    return "Too many taps at once — please wait a few seconds."
