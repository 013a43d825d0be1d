"""The one open guided step per user, typed: what is asked next and what was answered so far.

Every handler reads and writes the step through :func:`get_flow`, :func:`set_flow` and
:func:`clear_flow_state` (never a raw ``context.user_data`` key). A feature registers the function that
takes typed text for its kinds with :func:`register_steps`; the catch-all text handler only calls
:func:`route_text`, so it knows no flow. bot.handlers.flows stores the state with :meth:`FlowState.to_record`
and reads it back with :meth:`FlowState.from_record` (the stored format is the one of the earlier
``"flow"`` string plus ``"rem_draft"`` dict, so rows written before this module are still read).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import time
from enum import StrEnum
from typing import Any, Final

from telegram import Message

from bot.handlers.common import ClotApplication, ClotContext

STATE_KEY: Final = "flow"
STEPS_KEY: Final = "flow_steps"
# Kept in memory only, beside the step: the symptom check's answers (never stored).
CHECK_KEY: Final = "check"


class FlowKind(StrEnum):
    """Every guided step the bot can wait on (the value is what the database stores)."""

    CHECK = "check"
    COUNTRY = "country"
    TIMEZONE = "timezone"
    REM_NAME = "rem.name"
    REM_DOSE = "rem.dose"
    REM_TIMES = "rem.times"
    REM_END = "rem.end"
    REM_STOCKINGS_ON = "rem.stockings_on"
    REM_STOCKINGS_OFF = "rem.stockings_off"
    REM_CHANGE_TIMES = "rem.change_times"

    @property
    def stored(self) -> bool:
        """Tell whether the step may be stored (the symptom check's answers never are)."""
        return self is not FlowKind.CHECK


class FlowStateError(ValueError):
    """A stored flow that cannot be read (unknown step, or an answer of the wrong type)."""


@dataclass(frozen=True)
class FlowState:
    """One open step and the answers given so far (only what the step's questions asked for)."""

    kind: FlowKind
    name: str | None = None  # /addmed: the medicine
    dose: str | None = None  # /addmed: the dose (None: not given or skipped)
    times: tuple[time, ...] = ()  # /addmed: the dose times
    on: time | None = None  # /stockings: when they go on
    plan_id: int | None = None  # change times: the plan whose times change

    def to_record(self) -> tuple[str, dict[str, Any]]:
        """Return the step and the answers as stored (the format of the earlier "rem_draft" dict)."""
        data: dict[str, Any] = {}
        if self.name is not None:
            data["name"] = self.name
        if self.dose is not None:
            data["dose"] = self.dose
        if self.times:
            data["times"] = [t.isoformat("minutes") for t in self.times]
        if self.on is not None:
            data["on"] = self.on.isoformat("minutes")
        if self.plan_id is not None:
            data["plan_id"] = self.plan_id
        return self.kind.value, data

    @classmethod
    def from_record(cls, flow: object, data: object) -> FlowState:
        """Read a stored step; raise FlowStateError for anything that is not one this bot wrote."""
        kind = _KINDS.get(flow) if isinstance(flow, str) else None
        if kind is None:
            raise FlowStateError("unknown flow")
        if not kind.stored:
            raise FlowStateError("flow never stored")
        if not isinstance(data, Mapping):
            raise FlowStateError("answers are not a mapping")
        state = cls(
            kind=kind,
            name=_text(data.get("name")),
            dose=_text(data.get("dose")),
            times=tuple(_time(t) for t in _list(data.get("times"))),
            on=None if data.get("on") is None else _time(data["on"]),
            plan_id=_plan_id(data.get("plan_id")),
        )
        missing = [field for field in _NEEDS.get(kind, ()) if not getattr(state, field)]
        if missing:
            raise FlowStateError(f"step without {', '.join(missing)}")
        return state


_KINDS: Final[Mapping[str, FlowKind]] = {kind.value: kind for kind in FlowKind}
# What a step cannot go on without (the answers of the steps before it).
_NEEDS: Final[Mapping[FlowKind, tuple[str, ...]]] = {
    FlowKind.REM_DOSE: ("name",),
    FlowKind.REM_TIMES: ("name",),
    FlowKind.REM_END: ("name", "times"),
    FlowKind.REM_STOCKINGS_OFF: ("on",),
    FlowKind.REM_CHANGE_TIMES: ("plan_id",),
}


def _text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise FlowStateError("answer is not text")


def _list(value: object) -> list[object]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    raise FlowStateError("times are not a list")


def _time(value: object) -> time:
    if not isinstance(value, str):
        raise FlowStateError("time is not text")
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise FlowStateError("time is not HH:MM") from None


def _plan_id(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    raise FlowStateError("plan id is not a positive number")


# ---------------------------------------------------------------------- the accessor


def get_flow(context: ClotContext) -> FlowState | None:
    """Return the open step, if any."""
    state = context.user_data.get(STATE_KEY) if context.user_data is not None else None
    return state if isinstance(state, FlowState) else None


def is_open(context: ClotContext, *kinds: FlowKind) -> bool:
    """Tell whether one of ``kinds`` is the open step."""
    state = get_flow(context)
    return state is not None and state.kind in kinds


def set_flow(context: ClotContext, state: FlowState) -> None:
    """Make ``state`` the open step (replacing any other)."""
    if context.user_data is not None:
        context.user_data[STATE_KEY] = state


def clear_flow_state(context: ClotContext) -> bool:
    """End any open step and forget its answers (and the symptom check's); tell whether one was open."""
    if context.user_data is None:
        return False
    had = get_flow(context) is not None
    context.user_data.pop(STATE_KEY, None)
    context.user_data.pop(CHECK_KEY, None)
    return had


# ---------------------------------------------------------------------- the registry

FlowStep = Callable[[Message, int, FlowState, str, ClotContext], Awaitable[None]]


def register_steps(app: ClotApplication, kinds: Iterable[FlowKind], step: FlowStep) -> None:
    """Let ``step`` take the typed text of ``kinds`` (one feature per kind)."""
    steps: dict[FlowKind, FlowStep] = app.bot_data.setdefault(STEPS_KEY, {})
    for kind in kinds:
        if kind in steps:
            raise ValueError(f"flow {kind.value} already has a step")
        steps[kind] = step


async def route_text(message: Message, user_id: int, text: str, context: ClotContext) -> bool:
    """Hand typed text to the open step's feature; tell whether one took it.

    The step is taken off before the feature runs: the feature sets the next step (or the same one
    again, when the answer was not what was asked), so an error never leaves a half-updated step.
    """
    state = get_flow(context)
    steps: Mapping[FlowKind, FlowStep] = context.bot_data.get(STEPS_KEY, {})
    step = steps.get(state.kind) if state is not None else None
    if state is None or step is None or context.user_data is None:
        return False
    context.user_data.pop(STATE_KEY, None)
    await step(message, user_id, state, text, context)
    return True
