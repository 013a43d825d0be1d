"""Errors services raise for the handlers to turn into polite replies."""


class StorageUnavailable(RuntimeError):
    """The database could not be reached or refused the write (down, disk full, read-only)."""


class SlotTaken(RuntimeError):
    """A dose slot (user, medicine, time) is already held by another plan; nothing was stored."""
