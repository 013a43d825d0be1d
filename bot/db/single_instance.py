"""One process per SQLite file: an exclusive ``flock`` on ``<dbfile>.lock``, held for the process lifetime.

Two bots on one SQLite file would both poll Telegram (one gets 409 Conflict) and both run the
reminder dispatcher, whose ``SKIP LOCKED`` claiming exists only on PostgreSQL. PostgreSQL needs no
lock: several workers there are the supported way to scale out.
"""

from __future__ import annotations

import fcntl
import os
import stat
from pathlib import Path
from types import TracebackType
from typing import Self

from bot.db.session import sqlite_path


class InstanceLocked(Exception):
    """Another process already holds the lock for this database file."""

    def __init__(self, lock_path: Path, holder: str) -> None:
        who = f" (process {holder})" if holder else ""
        super().__init__(
            f"Another ClotCare process{who} is already using the SQLite database next to {lock_path}. "
            "SQLite supports one bot process per database file: stop the other one, or use "
            "PostgreSQL (DATABASE_URL=postgresql://...) to run several."
        )
        self.lock_path = lock_path


class InstanceLock:
    """An exclusive, non-blocking ``flock`` on one lock file; released on ``release`` or process exit."""

    def __init__(self, lock_path: Path) -> None:
        self.lock_path = lock_path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """Tell whether this object holds the lock."""
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock or raise InstanceLocked at once (never wait for the other process)."""
        if self._fd is not None:
            return
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, stat.S_IRUSR | stat.S_IWUSR)
        try:
            # flock locks belong to the open file description, so a second open in this very process
            # is refused too, and the kernel drops the lock when the process dies, however it dies.
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip()
            os.close(fd)
            raise InstanceLocked(self.lock_path, holder) from None
        except BaseException:
            os.close(fd)
            raise
        # The pid is only a hint for the error message; the flock is what excludes.
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        """Release the lock (closing the descriptor drops the flock)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def lock_path_for(database_url: str) -> Path | None:
    """Return ``<dbfile>.lock`` for a SQLite file URL; None for PostgreSQL and in-memory SQLite."""
    path = sqlite_path(database_url)
    return None if path is None else path.with_name(path.name + ".lock")


def acquire_instance_lock(database_url: str) -> InstanceLock | None:
    """Lock the SQLite database file for this process (raise InstanceLocked); None when no lock is needed."""
    path = lock_path_for(database_url)
    if path is None:
        return None
    lock = InstanceLock(path)
    lock.acquire()
    return lock
