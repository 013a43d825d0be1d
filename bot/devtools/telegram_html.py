"""Telegram's HTML parse mode, ported from tdlib's ``parse_html`` so the fake rejects what Telegram rejects.

The Bot API hands ``parse_mode=HTML`` text to tdlib (``td/telegram/MessageEntity.cpp``), which walks the
UTF-8 bytes, reports errors with *byte* offsets and measures entities in UTF-16 code units. This module
follows that walk step by step (including its quirks, e.g. ``<b/>`` is an unsupported tag ``"b/"``), so
error descriptions match the real ones word for word. The caller adds the ``Bad Request: can't parse
entities: `` prefix.

One deliberate difference, on by default: real Telegram shows an ``&`` that starts no known entity
literally, but an unescaped ``&`` means text reached HTML without ``html.escape`` (house rule 6), and the
next ``<`` from the same source would break the message, so the fake rejects it.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "HtmlParseError",
    "ParsedText",
    "check_http_url",
    "parse_html",
    "trim_formatted",
    "utf16_len",
]

_ALLOWED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
# tdlib's is_space() counts NUL, which doubles as the end-of-string sentinel in its C-string walk.
_SPACE = frozenset(b" \t\r\n\v\f\x00")
_LT, _GT, _SLASH, _AMP, _EQ, _HASH = (ord(c) for c in "<>/&=#")
_QUOTES = frozenset(b"'\"")
_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")
_ATTR_STOP = frozenset(b"=>/\"'")
_NAMED_ENTITIES = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"'}
_MAX_HEX_OR_DEC_SPAN = 10
_INT64 = 2**63
# tdlib's sort order for entities that start at the same offset and have the same length.
_PRIORITY = {
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre": 11,
    "code": 20,
    "text_link": 49,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
}
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_TLD = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}", re.IGNORECASE)
_LINK_SCHEMES = frozenset({"http", "https", "tg", "ton"})
_TRIM = " \t\n\r\v\f"


class HtmlParseError(ValueError):
    """Raised with tdlib's description when text is not valid Telegram HTML."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


@dataclass(frozen=True, slots=True)
class ParsedText:
    """Plain text plus Bot API ``MessageEntity`` dicts (offsets and lengths in UTF-16 code units)."""

    text: str
    entities: list[dict[str, Any]]


@dataclass(slots=True)
class _Open:
    tag: str
    argument: str
    utf16_offset: int
    byte_pos: int


def utf16_len(text: str) -> int:
    """Return the length of text in UTF-16 code units, the unit Telegram counts in."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _lower(raw: bytes) -> str:
    # tdlib's to_lower only folds ASCII, and tag names may be arbitrary bytes.
    return raw.lower().decode("utf-8", "replace")


def _decode_entity(data: bytes, pos: int) -> tuple[int, int] | None:
    """Decode the character reference at pos; return (code point, position after it) or None."""

    def at(k: int) -> int:
        return data[k] if k < len(data) else 0

    end = pos + 1
    code = 0
    if at(pos + 1) == _HASH:
        end += 1
        if at(pos + 2) == ord("x"):
            end += 1
            while at(end) in _HEX_DIGITS:
                code = code * 16 + int(chr(at(end)), 16)
                end += 1
        else:
            while ord("0") <= at(end) <= ord("9"):
                code = code * 10 + at(end) - ord("0")
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= _MAX_HEX_OR_DEC_SPAN:
            return None
    else:
        while chr(at(end)).isascii() and chr(at(end)).isalpha():
            end += 1
        named = _NAMED_ENTITIES.get(data[pos + 1 : end])
        if named is None:
            return None
        code = ord(named)
    if at(end) == ord(";"):
        end += 1
    return code, end


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        labels = host.rstrip(".").split(".")
        return len(labels) >= 2 and all(labels) and _TLD.fullmatch(labels[-1]) is not None
    return True


def check_http_url(url: str) -> str | None:
    """Return why Telegram would refuse url as a link (``Wrong HTTP URL`` ...), or None if it is fine."""
    candidate = url.strip()
    if "://" not in candidate:
        candidate = "http://" + candidate
    try:
        parts = urlsplit(candidate)
        host = parts.hostname or ""
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return "Wrong HTTP URL"
    scheme = parts.scheme.lower()
    if scheme not in _LINK_SCHEMES:
        return "Unsupported URL protocol"
    if scheme in {"tg", "ton"}:
        return None if parts.netloc else "Wrong HTTP URL"
    if not host:
        return "URL host is empty"
    return None if _valid_host(host) else "Wrong HTTP URL"


def _link_entity(url: str, offset: int, length: int) -> dict[str, Any] | None:
    # tdlib silently drops links it cannot check instead of failing the whole message.
    if check_http_url(url) is not None:
        return None
    checked = url.strip() if "://" in url else "http://" + url.strip()
    return {"type": "text_link", "offset": offset, "length": length, "url": checked}


def _emoji_entity(emoji_id: str, offset: int, length: int) -> dict[str, Any]:
    number = int(emoji_id) if re.fullmatch(r"-?[0-9]+", emoji_id) else 0
    if number == 0 or not -_INT64 <= number < _INT64:
        raise HtmlParseError("Invalid custom emoji identifier specified")
    return {"type": "custom_emoji", "offset": offset, "length": length, "custom_emoji_id": emoji_id}


def _pre_or_code_entity(
    top: _Open, offset: int, length: int, previous: dict[str, Any] | None
) -> dict[str, Any] | None:
    """Build a pre/code entity; <pre><code class="language-x"> merges into one pre with a language."""
    same_span = previous is not None and (previous["offset"], previous["length"]) == (offset, length)
    if previous is not None and same_span:
        if top.tag == "pre" and previous["type"] == "code" and previous.get("language"):
            previous["type"] = "pre"
            return None
        if top.tag == "code" and previous["type"] == "pre" and top.argument:
            previous["language"] = top.argument
            return None
    entity: dict[str, Any] = {"type": top.tag, "offset": offset, "length": length}
    if top.tag == "code" and top.argument:
        entity["language"] = top.argument  # kept only until the enclosing </pre> is seen
    return entity


def _close_entity(
    top: _Open, utf16: int, out: bytearray, entities: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """Build the entity for a closed tag (or None when it merges into the previous one or is dropped)."""
    offset, length = top.utf16_offset, utf16 - top.utf16_offset
    if top.tag in _SIMPLE_TAGS:
        return {"type": _SIMPLE_TAGS[top.tag], "offset": offset, "length": length}
    if top.tag == "tg-emoji":
        return _emoji_entity(top.argument, offset, length)
    if top.tag == "a":
        url = top.argument or bytes(out[top.byte_pos :]).decode("utf-8", "replace")
        return _link_entity(url, offset, length)
    if top.tag in {"pre", "code"}:
        return _pre_or_code_entity(top, offset, length, entities[-1] if entities else None)
    kind = "expandable_blockquote" if top.argument else "blockquote"
    return {"type": kind, "offset": offset, "length": length}


def _parse_start_tag(data: bytes, begin: int, *, strict_ampersand: bool) -> tuple[str, str, int]:
    """Parse ``<tag attr=...>`` starting at begin; return (tag, argument, index of the closing '>')."""

    def at(k: int) -> int:
        return data[k] if k < len(data) else 0

    i = begin + 1
    while at(i) not in _SPACE and at(i) != _GT:
        i += 1
    if at(i) == 0:
        raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
    tag = _lower(data[begin + 1 : i])
    if tag not in _ALLOWED_TAGS:
        raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')
    argument = ""
    while at(i) != _GT:
        while at(i) != 0 and at(i) in _SPACE:
            i += 1
        if at(i) == _GT:
            break
        name_begin = i
        while at(i) not in _SPACE and at(i) not in _ATTR_STOP:
            i += 1
        name = data[name_begin:i]
        if not name:
            raise HtmlParseError(f'Empty attribute name in the tag "{tag}" at byte offset {begin}')
        while at(i) != 0 and at(i) in _SPACE:
            i += 1
        if at(i) != _EQ:
            if at(i) == 0:
                raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
            if tag == "blockquote" and name == b"expandable":
                argument = "1"
            continue
        i += 1
        while at(i) != 0 and at(i) in _SPACE:
            i += 1
        if at(i) == 0:
            raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
        if at(i) not in _QUOTES:
            # An unquoted value is an SGML name token: letters, digits, periods and hyphens.
            token_begin = i
            while chr(at(i)).isascii() and (chr(at(i)).isalnum() or at(i) in b".-"):
                i += 1
            value = _lower(data[token_begin:i])
            if at(i) not in _SPACE and at(i) != _GT:
                raise HtmlParseError(f"Unexpected end of name token at byte offset {token_begin}")
        else:
            quote = at(i)
            i += 1
            buf = bytearray()
            while at(i) != quote and at(i) != 0:
                if at(i) == _AMP:
                    decoded = _decode_entity(data, i)
                    if decoded is not None:
                        buf += chr(decoded[0]).encode("utf-8", "surrogatepass")
                        i = decoded[1]
                        continue
                    if strict_ampersand:
                        raise _bare_ampersand(data, i)
                buf.append(at(i))
                i += 1
            if at(i) == quote:
                i += 1
            value = bytes(buf).decode("utf-8", "replace")
        if at(i) == 0:
            raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
        argument = _tag_argument(tag, name, value, argument)
    if tag == "span" and argument != "spoiler":
        raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
    return tag, argument, i


def _tag_argument(tag: str, name: bytes, value: str, current: str) -> str:
    """Return the tag's argument after seeing attribute name=value (attribute names are case-sensitive)."""
    if tag == "a" and name == b"href":
        return value
    if tag == "code" and name == b"class" and value.startswith("language-"):
        return value.removeprefix("language-")
    if tag == "span" and name == b"class" and value.startswith("tg-"):
        return value.removeprefix("tg-")
    if tag == "tg-emoji" and name == b"emoji-id":
        return value
    if tag == "blockquote" and name == b"expandable":
        return "1"
    return current


def _bare_ampersand(data: bytes, pos: int) -> HtmlParseError:
    snippet = data[pos : pos + 8].split(b" ")[0].decode("utf-8", "replace")
    return HtmlParseError(
        f'Unescaped "&" ("{snippet}") at byte offset {pos} '
        "(the fake Bot API rejects this; real Telegram shows it literally, but house rule 6 says escape)"
    )


def parse_html(source: str, *, strict_ampersand: bool = True) -> ParsedText:
    """Parse Telegram HTML into plain text and entities; raise HtmlParseError with tdlib's wording."""
    data = source.encode("utf-8", "surrogatepass")
    n = len(data)
    out = bytearray()
    utf16 = 0
    entities: list[dict[str, Any]] = []
    stack: list[_Open] = []
    i = 0
    while i < n:
        c = data[i]
        if c == _AMP:
            decoded = _decode_entity(data, i)
            if decoded is not None:
                code, i = decoded
                if 0xD800 <= code <= 0xDFFF:
                    raise HtmlParseError(
                        "Text contains invalid Unicode characters after decoding HTML entities, "
                        "check for unmatched surrogate code units"
                    )
                utf16 += 2 if code > 0xFFFF else 1
                out += chr(code).encode("utf-8")
                continue
            if strict_ampersand:
                raise _bare_ampersand(data, i)
        if c != _LT:
            if c & 0xC0 != 0x80:  # first byte of a UTF-8 sequence; 4-byte ones are surrogate pairs
                utf16 += 2 if c >= 0xF0 else 1
            out.append(c)
            i += 1
            continue
        if i + 1 >= n or data[i + 1] != _SLASH:
            tag, argument, i = _parse_start_tag(data, i, strict_ampersand=strict_ampersand)
            stack.append(_Open(tag, argument, utf16, len(out)))
            i += 1
            continue
        begin = i
        if not stack:
            raise HtmlParseError(f"Unexpected end tag at byte offset {begin}")
        i += 2
        while i < n and data[i] not in _SPACE and data[i] != _GT:
            i += 1
        end_tag = _lower(data[begin + 2 : i])
        while i < n and data[i] in _SPACE and data[i] != 0:
            i += 1
        if i >= n or data[i] != _GT:
            raise HtmlParseError(f"Unclosed end tag at byte offset {begin}")
        top = stack[-1]
        if end_tag and end_tag != top.tag:
            raise HtmlParseError(
                f'Unmatched end tag at byte offset {begin}, expected "</{top.tag}>", found "</{end_tag}>"'
            )
        if utf16 > top.utf16_offset:
            entity = _close_entity(top, utf16, out, entities)
            if entity is not None:
                entities.append(entity)
        stack.pop()
        i += 1
    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    entities.sort(key=lambda e: (e["offset"], -e["length"], _PRIORITY.get(e["type"], 50)))
    return ParsedText(bytes(out).decode("utf-8", "surrogatepass"), entities)


def trim_formatted(text: str, entities: list[dict[str, Any]]) -> ParsedText:
    """Strip leading/trailing whitespace like Telegram does, shifting and clipping entities to match."""
    stripped = text.strip(_TRIM)
    if stripped == text:
        return ParsedText(text, entities)
    lead = utf16_len(text[: len(text) - len(text.lstrip(_TRIM))])
    size = utf16_len(stripped)
    kept: list[dict[str, Any]] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, size)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return ParsedText(stripped, kept)
