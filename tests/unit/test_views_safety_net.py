"""The safety-net view (SAFETY.md rule 11): no severity emoji, the number, a button per sign, valid HTML."""

from __future__ import annotations

import pytest

from bot.domain.emergency import EmergencyInfo
from bot.domain.triage import ALL_SIGNS, Severity, TriageResult, severity_for
from bot.views import safety
from bot.views.callbacks import MAX_CALLBACK_BYTES, decode
from tests.unit.test_views_safety import COUNTRIES, NASTY, ambulance, assert_valid_html, ids


@pytest.mark.parametrize("info", COUNTRIES, ids=ids)
def test_net_names_the_number_and_carries_no_severity_emoji(info: EmergencyInfo | None) -> None:
    text = safety.render_safety_net(info)
    assert text.startswith("<b>Is this happening to you now?</b>")
    assert ambulance(info) in text
    assert "🚨" not in text
    assert "⚠️" not in text
    assert "/check" in text
    assert_valid_html(text)


def test_net_escapes_data_from_the_table() -> None:
    assert_valid_html(safety.render_safety_net(NASTY))


def test_net_buttons_cover_the_signs_and_end_with_just_asking() -> None:
    keyboard = safety.safety_net_keyboard()
    buttons = [b for row in keyboard.inline_keyboard for b in row]
    assert buttons[-1].text == "No, just asking"
    seen = set()
    for button in buttons:
        data = button.callback_data
        assert isinstance(data, str)
        assert len(data.encode()) <= MAX_CALLBACK_BYTES
        decoded = decode(data)
        assert decoded is not None
        assert decoded.prefix == safety.SAFETY_NET_PREFIX
        seen.add(decoded.args[0])
    assert seen == safety.SAFETY_NET_SIGN_IDS | {safety.SAFETY_NET_JUST_ASKING}
    assert safety.SAFETY_NET_SIGN_IDS <= ALL_SIGNS
    assert all(len(row) <= 2 for row in keyboard.inline_keyboard)


@pytest.mark.parametrize("sign", sorted(safety.SAFETY_NET_SIGN_IDS))
@pytest.mark.parametrize("thinners", [True, False, None])
def test_every_net_sign_renders_guidance_of_its_level(sign: str, thinners: bool | None) -> None:
    level = severity_for({sign}, on_blood_thinners=thinners)
    assert level is not Severity.INFO
    text = safety.render_red_flag_reply(TriageResult(level, frozenset({sign})), None)
    if level is Severity.EMERGENCY:
        assert text.startswith("🚨")
    else:
        assert "⚠️" in text
        assert "🚨" not in text
    assert_valid_html(text)


def test_heavy_period_urgent_reply_is_about_bleeding_not_a_clot() -> None:
    text = safety.render_red_flag_reply(TriageResult(Severity.URGENT, frozenset({"heavy_period"})), None)
    assert "bleeding" in text
    assert "deep vein thrombosis" not in text


def test_ask_again_is_plain() -> None:
    assert_valid_html(safety.render_safety_net_ask_again())
