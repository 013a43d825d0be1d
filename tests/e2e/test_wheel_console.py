"""The console works from a freshly built wheel in an empty virtualenv, with no repository on the path.

This is what an operator gets from `pip install` or the Docker image: no tests/, no checkout. The wheel
is built from a copy of the sources (nothing is written into the repository), installed with its pinned
dependencies (constraints.txt; pip's cache makes this about half a minute), and the console is driven
through a pipe from a folder outside the repository, in isolated mode (-I: no PYTHONPATH, no current
directory on sys.path).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "README.md", "alembic.ini", "bot", "content", "migrations")


def _run(args: list[str], cwd: Path, timeout: float, stdin: str | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "TELEGRAM_", "DATABASE_"))}
    env.pop("VIRTUAL_ENV", None)
    result = subprocess.run(
        args, cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel from a copy of the sources and install it into a new venv; return its python."""
    root = tmp_path_factory.mktemp("wheel")
    src = root / "src"
    src.mkdir()
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, src / name)
    _run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(root / "dist"), str(src)],
        root,
        300,
    )
    wheels = list((root / "dist").glob("clotcare-*.whl"))
    assert len(wheels) == 1
    _run([sys.executable, "-m", "venv", str(root / "venv")], root, 120)
    python = root / "venv" / "bin" / "python"
    _run(
        [str(python), "-m", "pip", "install", "--quiet", "-c", str(REPO / "constraints.txt"), str(wheels[0])],
        root,
        600,
    )
    shutil.rmtree(src)  # nothing of the sources is left to find
    return python


def test_the_installed_package_is_self_contained(installed: Path) -> None:
    out = _run(
        [
            str(installed),
            "-I",
            "-c",
            "import importlib.util as u, sys, bot, bot.shipped as s;"
            "print(bot.__file__); print(s.shipped_path('content', 'topics'));"
            "print(s.shipped_path('alembic.ini')); print(u.find_spec('tests'));"
            "print(any(p.startswith(sys.argv[1]) for p in sys.path))",
            str(REPO),
        ],
        installed.parents[2],
        60,
    ).splitlines()
    venv = str(installed.parents[1])
    assert out[0].startswith(venv), out
    assert out[1] == f"{venv}/share/clotcare/content/topics", out
    assert out[2].startswith(venv), out
    assert out[3] == "None"  # tests/ is not installed, and the product does not need it
    assert out[4] == "False"  # the repository is not on sys.path


def test_the_console_answers_from_an_installed_wheel(installed: Path) -> None:
    typed = "/country uk\n/emergency\ncan i massage a clot?\nquit\n"
    out = _run([str(installed), "-I", "-m", "bot", "console"], installed.parents[2], 180, stdin=typed)
    assert "not a substitute for medical advice" in out  # /start, sent for the reviewer
    assert "Country set to 🇬🇧 United Kingdom" in out
    emergency = out.split("🚨", 1)[1]
    assert emergency.lstrip().startswith("Call 999")  # the emergency number comes from the shipped table
    assert "Never massage" in out  # the content base was found and answered
    assert out.rstrip().endswith("Bye.")
