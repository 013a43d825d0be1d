"""One process per SQLite file: the second lock on the same database is refused, and the CLI says so."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.db.single_instance import InstanceLock, InstanceLocked, acquire_instance_lock, lock_path_for

REPO = Path(__file__).resolve().parents[2]


def test_second_lock_on_the_same_database_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    first = acquire_instance_lock(url)
    assert first is not None
    try:
        with pytest.raises(InstanceLocked, match="one bot process per database file") as refused:
            acquire_instance_lock(url)
        assert str(os.getpid()) in str(refused.value)
        assert refused.value.lock_path == tmp_path / "bot.sqlite3.lock"
    finally:
        first.release()


def test_the_lock_is_free_again_after_release(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    lock = InstanceLock(lock_path_for(url) or tmp_path / "unused")
    with lock:
        assert lock.held
    assert lock.lock_path.exists()
    again = acquire_instance_lock(url)
    assert again is not None
    again.release()


def test_different_database_files_do_not_conflict(tmp_path: Path) -> None:
    one = acquire_instance_lock(f"sqlite:///{tmp_path / 'one.sqlite3'}")
    two = acquire_instance_lock(f"sqlite:///{tmp_path / 'two.sqlite3'}")
    assert one is not None
    assert two is not None
    one.release()
    two.release()


@pytest.mark.parametrize(
    "url", ["postgresql://postgres@127.0.0.1:5432/clotcare", "sqlite:///:memory:", "sqlite://"]
)
def test_no_lock_is_needed_for_postgres_or_memory(url: str) -> None:
    assert lock_path_for(url) is None
    assert acquire_instance_lock(url) is None


def test_the_lock_file_is_private(tmp_path: Path) -> None:
    lock = acquire_instance_lock(f"sqlite:///{tmp_path / 'data' / 'bot.sqlite3'}")
    assert lock is not None
    try:
        assert (lock.lock_path.stat().st_mode & 0o777) == 0o600
    finally:
        lock.release()


def test_a_second_bot_process_on_the_same_file_exits_2(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    lock = acquire_instance_lock(f"sqlite:///{database}")
    assert lock is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "WEBHOOK_"))}
    env.update(TELEGRAM_BOT_TOKEN="123456:TEST-TOKEN", DATABASE_URL=f"sqlite:///{database}")
    try:
        result = subprocess.run(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            env=env | {"PYTHONPATH": str(REPO)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        lock.release()
    assert result.returncode == 2, result.stderr
    assert "Refusing to start" in result.stderr
    assert "PostgreSQL" in result.stderr
    # It refused before touching the database.
    assert not database.exists() or database.stat().st_size == 0
