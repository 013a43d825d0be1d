"""The dependency direction of ARCHITECTURE.md, enforced by import-linter; nothing built at import time."""

from __future__ import annotations

import ast
import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
BOT = REPO / "bot"
CONFIG = REPO / ".importlinter"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

# The layer rules themselves are import-linter contracts in .importlinter (run by `make test` as
# `lint-imports`, and below); these tests prove the contracts hold, cover every module and can fail.


def _modules() -> list[Path]:
    return sorted(p for p in BOT.rglob("*.py") if "__pycache__" not in p.parts)


def _rel(path: Path) -> str:
    return path.relative_to(BOT.parent).as_posix()


def _contracts() -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read(CONFIG, encoding="utf-8")
    return parser


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(cwd)  # the copy's bot/ wins over the editable install's
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(cwd / ".importlinter")],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_contracts_hold_for_the_code_as_it_is() -> None:
    result = _lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_module_is_either_allowed_or_forbidden_to_import_telegram() -> None:
    forbidden = _lines(_contracts()["importlinter:contract:telegram-at-the-edge"]["source_modules"])
    # The allowed modules are named in the comment above the contract's source_modules.
    section = CONFIG.read_text(encoding="utf-8").split("[importlinter:contract:telegram-at-the-edge]")[1]
    allowed = re.findall(r"bot\.[a-z_]+", section.split("source_modules")[0])
    top_level = {"bot." + path.relative_to(BOT).parts[0].removesuffix(".py") for path in _modules()}
    top_level.discard("bot.__init__")
    unplaced = [m for m in top_level if m not in forbidden and m not in allowed]
    assert not unplaced, f"add {unplaced} to the telegram-at-the-edge contract (forbidden or allowed)"
    assert not set(forbidden) & set(allowed)


# Each probe is a deliberately wrong import (as a new module, or appended to an existing one) and the
# contract that must catch it. Relative imports are among them: import-linter resolves those too.
PROBES: list[tuple[str, str, str]] = [
    ("bot/domain/probe.py", "import telegram\n", "The domain imports neither telegram"),
    ("bot/domain/probe.py", "from sqlalchemy import select\n", "The domain imports neither telegram"),
    ("bot/domain/probe.py", "from ..knowledge import loader\n", "The domain imports neither telegram"),
    ("bot/domain/probe.py", "from .. import jobs\n", "The domain imports neither telegram"),
    ("bot/views/probe.py", "from ..handlers import common\n", "Layers:"),
    ("bot/services/probe.py", "from bot.views import common\n", "Layers:"),
    ("bot/db/probe.py", "from bot.handlers import start\n", "db is an adapter"),
    ("bot/db/probe.py", "from ..services import qa\n", "db is an adapter"),
    ("bot/services/probe.py", "import sqlalchemy\n", "never touch the database directly"),
    ("bot/handlers/probe.py", "from ..db import uow\n", "never touch the database directly"),
    ("bot/services/probe.py", "from telegram import Bot\n", "Only app, handlers, views, jobs"),
    ("bot/devtools/probe.py", "import tests.fakes\n", "The product never imports tests"),
    ("bot/console.py", "\nfrom tests import conftest\n", "The product never imports tests"),
    ("bot/handlers/qa.py", "\nfrom . import start\n", "Handler modules do not import each other"),
    ("bot/jobs.py", "\nfrom bot.handlers import start\n", "Layers:"),
]


@pytest.fixture(scope="module")
def copy_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of bot/ (and a stub tests package) with the real .importlinter, for probing."""
    root = tmp_path_factory.mktemp("layers")
    shutil.copytree(BOT, root / "bot", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "tests" / "fakes").mkdir(parents=True)
    for name in ("tests/__init__.py", "tests/conftest.py", "tests/fakes/__init__.py"):
        (root / name).write_text("", encoding="utf-8")
    shutil.copy2(CONFIG, root / ".importlinter")
    baseline = _lint_imports(root)
    assert baseline.returncode == 0, baseline.stdout + baseline.stderr  # the copy itself is clean
    return root


@pytest.mark.parametrize(("path", "code", "contract"), PROBES, ids=[f"{p}:{c.strip()}" for p, c, _ in PROBES])
def test_each_contract_catches_a_wrong_import(copy_root: Path, path: str, code: str, contract: str) -> None:
    target = copy_root / path
    original = target.read_text(encoding="utf-8") if target.exists() else None
    target.write_text((original or "") + code, encoding="utf-8")
    try:
        result = _lint_imports(copy_root)
    finally:
        if original is None:
            target.unlink()
        else:
            target.write_text(original, encoding="utf-8")
    assert result.returncode != 0, f"{path} + {code!r} passed every contract"
    broken = " ".join(result.stdout.split("Broken contracts", 1)[1].split())  # rich wraps long names
    assert contract in broken, result.stdout


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


def test_the_old_fake_paths_re_export_everything_public() -> None:
    import bot.devtools.fake_telegram as moved
    import bot.devtools.telegram_html as moved_html
    import tests.fakes.telegram as shim
    import tests.fakes.telegram_html as shim_html

    for new, old in ((moved, shim), (moved_html, shim_html)):
        public = {
            name
            for name, value in vars(new).items()
            if not name.startswith("_")
            and not isinstance(value, ModuleType)
            and getattr(value, "__module__", new.__name__) == new.__name__
        }
        public -= {"annotations"}
        assert public <= set(old.__all__), f"{old.__name__} misses {sorted(public - set(old.__all__))}"
        assert all(getattr(old, name) is getattr(new, name) for name in old.__all__)
