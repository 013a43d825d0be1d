"""Deployment files, checked by reading (CI has no Docker engine or systemd): compose, Dockerfile, units."""

from __future__ import annotations

import configparser
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import Settings

REPO = Path(__file__).resolve().parents[2]
SETTINGS_ENV = {name.upper() for name in Settings.model_fields}
# Read by the postgres image, not by the bot.
POSTGRES_ENV = {"POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD"}


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment, method-assign]  # systemd keys are case-sensitive
    parser.read_string((REPO / "deploy" / name).read_text(encoding="utf-8"))
    return parser


def test_compose_runs_postgres_15_with_a_volume_and_a_healthcheck() -> None:
    compose = _compose()
    db = compose["services"]["db"]
    assert db["image"] == "postgres:15"
    assert any(str(v).endswith(":/var/lib/postgresql/data") for v in db["volumes"])
    assert "pgdata" in compose["volumes"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])


def test_compose_runs_one_webhook_bot_and_two_workers_after_migrating() -> None:
    services = _compose()["services"]
    assert services["migrate"]["command"] == ["python", "-m", "bot", "migrate"]
    bot = services["bot"]
    assert bot["command"] == ["python", "-m", "bot", "run"]
    for name in ("WEBHOOK_URL", "WEBHOOK_SECRET_TOKEN", "WEBHOOK_PORT", "TELEGRAM_BOT_TOKEN", "DATABASE_URL"):
        assert name in bot["environment"], name
    assert str(bot["environment"]["DATABASE_URL"]).startswith("postgresql://")
    assert "/healthz" in " ".join(bot["healthcheck"]["test"])
    worker = services["worker"]
    assert worker["command"] == ["python", "-m", "bot", "worker"]
    assert worker["deploy"]["replicas"] == 2
    assert "WEBHOOK_URL" not in worker["environment"]
    for name in ("bot", "worker"):
        depends = services[name]["depends_on"]
        assert depends["db"]["condition"] == "service_healthy"
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert services[name]["environment"]["AUTO_MIGRATE"] == "false"


def test_every_variable_compose_sets_is_a_setting() -> None:
    for name, service in _compose()["services"].items():
        for variable in service.get("environment", {}):
            allowed = POSTGRES_ENV if name == "db" else SETTINGS_ENV
            assert variable in allowed, f"{name}: {variable} is not a Settings field"


def test_the_example_env_file_names_only_settings() -> None:
    text = (REPO / "deploy" / "clotcare.env.example").read_text(encoding="utf-8")
    names = re.findall(r"^([A-Z_]+)=", text, flags=re.MULTILINE)
    assert "TELEGRAM_BOT_TOKEN" in names
    assert "WEBHOOK_SECRET_TOKEN" in names
    assert set(names) <= SETTINGS_ENV | POSTGRES_ENV


def test_dockerfile_is_slim_non_root_pinned_and_migrates_then_runs() -> None:
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\b", text, flags=re.MULTILINE)
    users = re.findall(r"^USER (\S+)", text, flags=re.MULTILINE)
    assert users
    assert users[-1] not in {"root", "0"}
    installs = [line for line in text.splitlines() if "pip install" in line]
    assert installs
    assert all("-c constraints.txt" in line for line in installs)
    cmd = re.findall(r"^CMD (.+)$", text, flags=re.MULTILINE)[-1]
    assert cmd.index("bot migrate") < cmd.index("bot run")
    assert ".env" in (REPO / ".dockerignore").read_text(encoding="utf-8").split()


@pytest.mark.parametrize(
    ("name", "command"), [("clotcare.service", "-m bot run"), ("clotcare-worker@.service", "-m bot worker")]
)
def test_systemd_units_are_hardened_and_restart_on_failure(name: str, command: str) -> None:
    unit = _unit(name)
    service = unit["Service"]
    assert command in service["ExecStart"]
    assert service["EnvironmentFile"].startswith("/etc/clotcare/")
    assert service["Restart"] == "on-failure"
    assert service["RestartPreventExitStatus"] == "2"
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["ReadWritePaths"].endswith("/data")
    assert service["User"] not in {"root", "0"}
    assert service["KillSignal"] == "SIGTERM"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_the_bot_unit_migrates_before_it_runs() -> None:
    assert "-m bot migrate" in _unit("clotcare.service")["Service"]["ExecStartPre"]


def test_every_setting_is_in_the_readme_configuration_table() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing = sorted(name for name in SETTINGS_ENV if f"| `{name}` |" not in readme)
    assert not missing, f"add these to the configuration table in README.md: {missing}"


def test_the_readme_command_table_is_the_command_menu() -> None:
    from bot.views.common import COMMANDS

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing = [c.name for c in COMMANDS if f"| `/{c.name}` | {c.description} |" not in readme]
    assert not missing, f"update these rows of the command table in README.md: {missing}"
