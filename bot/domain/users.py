"""What the bot knows about a person: value objects only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class UserProfile:
    """A user's settings as the services see them."""

    user_id: int
    chat_id: int
    country: str | None
    timezone: str | None
    language: str | None
    on_blood_thinners: bool | None
    active: bool
    created_at: datetime
    updated_at: datetime
