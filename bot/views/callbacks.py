"""Callback-data codec: short, opaque, versionless strings under Telegram's 64-byte limit.

Format: ``<prefix>:<arg>:<arg>...``. Prefixes name a feature (``set`` settings, ``qa`` topics,
``chk`` symptom check, ``rem`` reminders ...). Arguments never contain ``:``. Anything that does
not decode is treated as stale or forged by the handlers and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_CALLBACK_BYTES = 64
SEPARATOR = ":"


class CallbackDataError(ValueError):
    """Raised when callback data cannot be encoded or decoded."""


@dataclass(frozen=True, slots=True)
class CallbackData:
    """A decoded callback: which feature it belongs to and its arguments."""

    prefix: str
    args: tuple[str, ...]


def encode(prefix: str, *args: str | int) -> str:
    """Encode a prefix and arguments; raise CallbackDataError if it would not fit Telegram's rules."""
    parts = [prefix, *(str(a) for a in args)]
    if any(not p or SEPARATOR in p for p in parts[:1]) or any(SEPARATOR in p for p in parts[1:]):
        raise CallbackDataError("callback parts must be non-empty and free of ':'")
    data = SEPARATOR.join(parts)
    if not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_BYTES:
        raise CallbackDataError("callback data must be 1-64 bytes")
    return data


def decode(data: object) -> CallbackData | None:
    """Decode callback data; return None for anything malformed (stale, forged, not a string)."""
    if (
        not isinstance(data, str)
        or not data
        or len(data.encode("utf-8", "surrogatepass")) > MAX_CALLBACK_BYTES
    ):
        return None
    prefix, *args = data.split(SEPARATOR)
    if not prefix.isascii() or not prefix.isalnum():
        return None
    return CallbackData(prefix=prefix, args=tuple(args))
