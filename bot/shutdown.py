"""A bounded shutdown: once asked to stop, the process is gone within the grace period, whatever happens.

A graceful stop waits for the updates and reminder sends in flight, and those are bounded by the
database and Telegram timeouts; but a stop must not depend on every bound holding (a driver that
ignores its timeout while closing a connection to a stalled server, a retry loop, a bug). The watchdog
is a daemon thread, so it fires even if the event loop itself is stuck.
"""

from __future__ import annotations

import logging
import os
import threading

log = logging.getLogger(__name__)

_armed = threading.Event()


def arm_shutdown_watchdog(grace_seconds: float) -> None:
    """Exit the process (status 1) if it is still running ``grace_seconds`` from now; arm once."""
    if _armed.is_set():
        return
    _armed.set()
    timer = threading.Timer(grace_seconds, _overdue, args=(grace_seconds,))
    timer.daemon = True
    timer.name = "shutdown-watchdog"
    timer.start()
    log.info("stopping: exiting within %.0f s", grace_seconds)


def _overdue(grace_seconds: float) -> None:
    log.error("shutdown still running after %.0f s (SHUTDOWN_GRACE_SECONDS); exiting now", grace_seconds)
    for handler in logging.getLogger().handlers:
        handler.flush()
    os._exit(1)
