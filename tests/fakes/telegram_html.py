"""Moved to ``bot.devtools.telegram_html`` (the console ships it); this name stays for the tests."""

from __future__ import annotations

from bot.devtools.telegram_html import (
    HtmlParseError,
    ParsedText,
    check_http_url,
    parse_html,
    trim_formatted,
    utf16_len,
)

__all__ = ["HtmlParseError", "ParsedText", "check_http_url", "parse_html", "trim_formatted", "utf16_len"]
