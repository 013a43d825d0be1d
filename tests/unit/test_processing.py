"""ChatOrderedProcessor: other chats never wait for one chat; one chat stays in order; safety first."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

import pytest
from telegram import Chat, Message, Update, User

from bot.handlers.processing import ChatOrderedProcessor, chat_key, classify_update
from bot.priority import ReplyClass, current_reply_class

_ids = iter(range(1, 1_000_000))


def _update(chat_id: int, text: str = "what is warfarin") -> Update:
    update_id = next(_ids)
    user = User(chat_id, "Test", is_bot=False)
    message = Message(
        update_id, datetime(2026, 11, 27, tzinfo=UTC), Chat(chat_id, Chat.PRIVATE), from_user=user, text=text
    )
    return Update(update_id, message=message)


class Recorder:
    """Handler bodies that record start/end per chat and may block until released."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int, int]] = []
        self.running = 0
        self.max_running = 0
        self.classes: dict[int, ReplyClass | None] = {}
        self.gates: dict[int, asyncio.Event] = {}

    async def handle(self, update: Update, *, jitter: bool = False) -> None:
        assert update.effective_chat is not None
        chat = update.effective_chat.id
        self.running += 1
        self.max_running = max(self.max_running, self.running)
        self.events.append(("start", chat, update.update_id))
        self.classes[update.update_id] = current_reply_class()
        try:
            gate = self.gates.get(update.update_id)
            if gate is not None:
                await gate.wait()
            if jitter:
                await asyncio.sleep(random.random() / 1000)
        finally:
            self.running -= 1
            self.events.append(("end", chat, update.update_id))


def _processor(workers: int = 8, max_pending: int = 1000) -> ChatOrderedProcessor:
    return ChatOrderedProcessor(workers=workers, max_pending=max_pending, classify=classify_update)


def _submit(
    processor: ChatOrderedProcessor, recorder: Recorder, update: Update, **kw: bool
) -> asyncio.Task[None]:
    # As PTB does: one task per update, created in fetch order.
    return asyncio.create_task(processor.process_update(update, recorder.handle(update, **kw)))


async def test_updates_of_one_chat_run_one_at_a_time_in_arrival_order() -> None:
    processor, recorder = _processor(), Recorder()
    updates = [_update(chat) for _ in range(30) for chat in (1, 2, 3)]
    await asyncio.gather(*(_submit(processor, recorder, u, jitter=True) for u in updates))
    for chat in (1, 2, 3):
        mine = [(kind, uid) for kind, c, uid in recorder.events if c == chat]
        expected = [u.update_id for u in updates if u.effective_chat and u.effective_chat.id == chat]
        # start/end strictly alternate (never two at once) and follow the arrival order.
        assert mine == [pair for uid in expected for pair in (("start", uid), ("end", uid))]
    assert recorder.max_running > 1, "different chats should have overlapped"
    assert processor.waiting_chats == 0


async def test_a_chat_stuck_in_its_handler_holds_up_no_other_chat() -> None:
    processor, recorder = _processor(workers=2), Recorder()
    flood = [_update(1) for _ in range(40)]
    recorder.gates[flood[0].update_id] = asyncio.Event()
    flood_tasks = [_submit(processor, recorder, u) for u in flood]
    others = [_update(chat) for chat in range(100, 110)]
    # Ten other users are answered while the flooding chat's first update is still stuck and 39 wait:
    # the waiting ones hold no worker.
    await asyncio.wait_for(asyncio.gather(*(_submit(processor, recorder, u) for u in others)), 2)
    assert sum(1 for kind, chat, _ in recorder.events if kind == "end" and chat == 1) == 0
    recorder.gates[flood[0].update_id].set()
    await asyncio.gather(*flood_tasks)
    assert [uid for kind, chat, uid in recorder.events if kind == "end" and chat == 1] == [
        u.update_id for u in flood
    ]


async def test_no_more_than_workers_handlers_run_at_once() -> None:
    processor, recorder = _processor(workers=3), Recorder()
    updates = [_update(chat) for chat in range(1, 21)]
    gate = asyncio.Event()
    for u in updates:
        recorder.gates[u.update_id] = gate
    tasks = [_submit(processor, recorder, u) for u in updates]
    await asyncio.sleep(0.01)
    assert recorder.running == 3
    gate.set()
    await asyncio.gather(*tasks)
    assert recorder.max_running == 3


async def test_emergency_overtakes_its_own_chat_and_the_worker_bound_and_runs_as_safety() -> None:
    processor, recorder = _processor(workers=1), Recorder()
    stuck = _update(1)
    recorder.gates[stuck.update_id] = asyncio.Event()
    queued = [_update(1), _update(2)]
    tasks = [_submit(processor, recorder, u) for u in (stuck, *queued)]
    emergency = _update(1, "/emergency")
    red_flag = _update(3, "I suddenly can't breathe and my chest hurts")
    await asyncio.wait_for(
        asyncio.gather(_submit(processor, recorder, emergency), _submit(processor, recorder, red_flag)), 2
    )
    assert recorder.classes[emergency.update_id] is ReplyClass.SAFETY
    assert recorder.classes[red_flag.update_id] is ReplyClass.SAFETY
    recorder.gates[stuck.update_id].set()
    await asyncio.gather(*tasks)
    assert recorder.classes[stuck.update_id] is ReplyClass.REPLY
    assert all(recorder.classes[u.update_id] is ReplyClass.REPLY for u in queued)


async def test_an_update_cancelled_while_waiting_lets_its_chat_go_on() -> None:
    processor, recorder = _processor(), Recorder()
    first, second, third = _update(1), _update(1), _update(1)
    recorder.gates[first.update_id] = asyncio.Event()
    t1 = _submit(processor, recorder, first)
    t2 = _submit(processor, recorder, second)
    t3 = _submit(processor, recorder, third)
    await asyncio.sleep(0.01)
    t2.cancel()
    recorder.gates[first.update_id].set()
    await t1
    await t3
    with pytest.raises(asyncio.CancelledError):
        await t2
    ended = [uid for kind, _, uid in recorder.events if kind == "end"]
    assert ended == [first.update_id, third.update_id]
    assert processor.waiting_chats == 0


def test_chat_key_and_bad_sizes() -> None:
    assert chat_key(_update(42)) == 42
    assert chat_key(object()) is None
    with pytest.raises(ValueError, match="workers"):
        ChatOrderedProcessor(workers=0, max_pending=10, classify=classify_update)
    with pytest.raises(ValueError, match="workers"):
        ChatOrderedProcessor(workers=10, max_pending=5, classify=classify_update)


async def test_one_chats_safety_updates_run_one_at_a_time_in_order() -> None:
    processor, recorder = _processor(), Recorder()
    alarms = [_update(5, "/emergency") for _ in range(10)]
    await asyncio.gather(*(_submit(processor, recorder, u, jitter=True) for u in alarms))
    events = [(kind, uid) for kind, _, uid in recorder.events]
    assert events == [pair for u in alarms for pair in (("start", u.update_id), ("end", u.update_id))]
    assert processor.waiting_chats == 0
