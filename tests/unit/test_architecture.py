"""The dependency direction of ARCHITECTURE.md, enforced: handlers/jobs -> services -> domain <- db."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[2] / "bot"

# Modules that talk to Telegram: the composition root, the handlers, the views, jobs, the console adapter,
# and the transport-side adapters: the webhook server, the rate limiter and the Bot API metrics.
TELEGRAM_ALLOWED = (
    "bot/app.py",
    "bot/handlers/",
    "bot/views/",
    "bot/jobs.py",
    "bot/console.py",
    "bot/web.py",
    "bot/ratelimit.py",
    "bot/instrumentation.py",
    "bot/retry.py",
    "bot/transport.py",
    "bot/startup.py",
    "bot/devtools/",
)

FORBIDDEN: dict[str, tuple[str, ...]] = {
    "bot/domain/": (
        "telegram",
        "sqlalchemy",
        "alembic",
        "bot.db",
        "bot.services",
        "bot.handlers",
        "bot.views",
    ),
    "bot/knowledge/": ("telegram", "sqlalchemy", "bot.db", "bot.handlers", "bot.views"),
    "bot/services/": ("telegram", "sqlalchemy", "bot.db", "bot.handlers", "bot.views"),
    "bot/db/": ("telegram", "bot.handlers", "bot.views"),
    "bot/views/": ("sqlalchemy", "bot.db"),
    "bot/handlers/": ("sqlalchemy", "bot.db"),
}


def _modules() -> list[Path]:
    return sorted(p for p in BOT.rglob("*.py") if "__pycache__" not in p.parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _rel(path: Path) -> str:
    return path.relative_to(BOT.parent).as_posix()


@pytest.mark.parametrize("path", _modules(), ids=_rel)
def test_layer_boundaries(path: Path) -> None:
    rel = _rel(path)
    imports = _imports(path)
    for prefix, banned in FORBIDDEN.items():
        if rel.startswith(prefix):
            bad = sorted(i for i in imports if any(i == b or i.startswith(b + ".") for b in banned))
            assert not bad, f"{rel} imports {bad}, which its layer must not"
    if not rel.startswith(TELEGRAM_ALLOWED):
        bad = sorted(i for i in imports if i == "telegram" or i.startswith("telegram."))
        assert not bad, f"{rel} imports {bad}; only app/handlers/views/jobs talk to Telegram"


BUILDERS = {"Settings", "create_engine", "create_async_engine", "ApplicationBuilder", "build_application"}


@pytest.mark.parametrize("path", _modules(), ids=_rel)
def test_nothing_is_built_at_import_time(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.If):
                break
            name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", "")
            assert name not in BUILDERS, f"{_rel(path)}:{call.lineno} builds {name} at import time"
