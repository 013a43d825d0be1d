"""The typed guided-flow state: round trip to the stored record, unreadable records, the registry."""

from __future__ import annotations

from datetime import time
from types import SimpleNamespace
from typing import Any, cast

import pytest
from telegram import Message

from bot.handlers.common import ClotApplication, ClotContext
from bot.handlers.flowstate import (
    FlowKind,
    FlowState,
    FlowStateError,
    clear_flow_state,
    get_flow,
    is_open,
    register_steps,
    route_text,
    set_flow,
)

STATES = [
    FlowState(FlowKind.COUNTRY),
    FlowState(FlowKind.TIMEZONE),
    FlowState(FlowKind.REM_NAME),
    FlowState(FlowKind.REM_DOSE, name="apixaban"),
    FlowState(FlowKind.REM_TIMES, name="apixaban", dose="5 mg"),
    FlowState(FlowKind.REM_END, name="apixaban", times=(time(8), time(20, 30))),
    FlowState(FlowKind.REM_STOCKINGS_ON),
    FlowState(FlowKind.REM_STOCKINGS_OFF, on=time(7, 15)),
    FlowState(FlowKind.REM_CHANGE_TIMES, plan_id=42),
]


def _context(user_data: dict[Any, Any] | None = None, bot_data: dict[Any, Any] | None = None) -> ClotContext:
    fake = SimpleNamespace(user_data={} if user_data is None else user_data, bot_data=bot_data or {})
    return cast(ClotContext, fake)


def test_every_stored_kind_is_covered_here() -> None:
    assert {s.kind for s in STATES} == {k for k in FlowKind if k.stored}
    assert not FlowKind.CHECK.stored


@pytest.mark.parametrize("state", STATES, ids=lambda s: s.kind.value)
def test_a_state_survives_the_round_trip_through_its_record(state: FlowState) -> None:
    flow, data = state.to_record()
    assert flow == state.kind.value
    assert FlowState.from_record(flow, data) == state


def test_the_record_keeps_the_earlier_draft_format() -> None:
    # Rows written before the typed state ("flow" string + "rem_draft" dict) read the same.
    state = FlowState.from_record("rem.end", {"name": "apixaban", "dose": None, "times": ["08:00", "20:00"]})
    assert state == FlowState(FlowKind.REM_END, name="apixaban", times=(time(8), time(20)))
    assert state.to_record() == ("rem.end", {"name": "apixaban", "times": ["08:00", "20:00"]})
    assert FlowState.from_record("country", {}) == FlowState(FlowKind.COUNTRY)
    assert FlowState.from_record("rem.change_times", {"plan_id": 7}).plan_id == 7


@pytest.mark.parametrize(
    ("flow", "data"),
    [
        ("rem.unknown", {}),  # a step this version does not have
        ("check", {}),  # the symptom check is never stored
        (None, {}),
        (3, {}),
        ("rem.dose", None),
        ("rem.dose", ["apixaban"]),
        ("rem.dose", {}),  # the dose step without the name it asks a dose for
        ("rem.dose", {"name": 5}),
        ("rem.end", {"name": "apixaban"}),  # no times
        ("rem.end", {"name": "apixaban", "times": "08:00"}),
        ("rem.end", {"name": "apixaban", "times": ["8 o'clock"]}),
        ("rem.end", {"name": "apixaban", "times": [800]}),
        ("rem.stockings_off", {}),
        ("rem.stockings_off", {"on": "25:00"}),
        ("rem.change_times", {"plan_id": "7"}),
        ("rem.change_times", {"plan_id": 0}),
        ("rem.change_times", {"plan_id": True}),
    ],
)
def test_an_unreadable_record_is_refused(flow: object, data: object) -> None:
    with pytest.raises(FlowStateError):
        FlowState.from_record(flow, data)


def test_the_state_is_frozen() -> None:
    state = FlowState(FlowKind.REM_NAME)
    with pytest.raises(AttributeError):
        state.name = "apixaban"  # type: ignore[misc]


def test_the_accessors_read_and_write_one_typed_state() -> None:
    data: dict[Any, Any] = {}
    context = _context(data)
    assert get_flow(context) is None
    assert not clear_flow_state(context)
    set_flow(context, FlowState(FlowKind.REM_DOSE, name="apixaban"))
    assert get_flow(context) == FlowState(FlowKind.REM_DOSE, name="apixaban")
    assert is_open(context, FlowKind.REM_DOSE, FlowKind.REM_TIMES)
    assert not is_open(context, FlowKind.REM_NAME)
    data["check"] = {"answers": {}}
    assert clear_flow_state(context)
    assert data == {}
    data["flow"] = "rem.dose"  # a bare string (the old form) is not a state
    assert get_flow(context) is None


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[FlowState, str, FlowState | None]] = []

    async def __call__(
        self, message: Message, user_id: int, state: FlowState, text: str, context: ClotContext
    ) -> None:
        # The step is taken off before the feature runs.
        self.calls.append((state, text, get_flow(context)))


@pytest.mark.parametrize("state", STATES, ids=lambda s: s.kind.value)
async def test_route_text_hands_the_text_to_the_step_registered_for_the_kind(state: FlowState) -> None:
    app = cast(ClotApplication, SimpleNamespace(bot_data={}))
    chosen, other = _Recorder(), _Recorder()
    register_steps(app, [state.kind], chosen)
    register_steps(app, [k for k in FlowKind if k not in (state.kind, FlowKind.CHECK)], other)
    context = _context(bot_data=app.bot_data)
    set_flow(context, state)
    assert await route_text(cast(Message, None), 1, "my answer", context)
    assert chosen.calls == [(state, "my answer", None)]
    assert other.calls == []


async def test_no_flow_or_no_step_leaves_the_text_to_the_caller() -> None:
    app = cast(ClotApplication, SimpleNamespace(bot_data={}))
    recorder = _Recorder()
    register_steps(app, [FlowKind.REM_NAME], recorder)
    context = _context(bot_data=app.bot_data)
    assert not await route_text(cast(Message, None), 1, "hello", context)
    set_flow(context, FlowState(FlowKind.CHECK))  # the symptom check takes buttons only
    assert not await route_text(cast(Message, None), 1, "hello", context)
    assert get_flow(context) == FlowState(FlowKind.CHECK)
    assert recorder.calls == []


def test_a_kind_has_one_step_only() -> None:
    app = cast(ClotApplication, SimpleNamespace(bot_data={}))
    register_steps(app, [FlowKind.COUNTRY], _Recorder())
    with pytest.raises(ValueError, match="country"):
        register_steps(app, [FlowKind.COUNTRY], _Recorder())
