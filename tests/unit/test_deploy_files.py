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


def _compose(name: str = "compose.yaml") -> dict[str, Any]:
    data = yaml.safe_load((REPO / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


WEBHOOK_OVERRIDE = "deploy/compose.webhook.yaml"
# Read by the Caddy container (deploy/Caddyfile), not by the bot.
CADDY_ENV = {"WEBHOOK_DOMAIN", "WEBHOOK_PATH"}


def _example_env() -> dict[str, str]:
    text = (REPO / "deploy" / "clotcare.env.example").read_text(encoding="utf-8")
    return dict(re.findall(r"^([A-Z_]+)=(.*)$", text, flags=re.MULTILINE))


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


def test_compose_runs_one_polling_bot_and_two_workers_after_migrating() -> None:
    services = _compose()["services"]
    assert services["migrate"]["command"] == ["python", "-m", "bot", "migrate"]
    bot = services["bot"]
    assert bot["command"] == ["python", "-m", "bot", "run"]
    for name in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL", "DATABASE_PASSWORD", "METRICS_PORT"):
        assert name in bot["environment"], name
    # Out of the box: long polling, so no domain, certificate or published port is needed.
    assert bot["environment"]["WEBHOOK_URL"] == ""
    assert "ports" not in bot
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


def test_compose_builds_the_image_once_and_every_app_service_reuses_it() -> None:
    services = _compose()["services"]
    built = [name for name, service in services.items() if "build" in service]
    assert built == ["migrate"]
    images = {services[name]["image"] for name in ("migrate", "bot", "worker")}
    assert len(images) == 1
    for name in ("bot", "worker"):
        assert services[name]["pull_policy"] == "never", name  # never pulled: the local build is used


def test_the_database_password_is_never_put_into_the_url_unescaped() -> None:
    for service in ("migrate", "bot", "worker"):
        env = _compose()["services"][service]["environment"]
        assert "${" not in str(env["DATABASE_URL"]), service
        assert "@" in str(env["DATABASE_URL"])  # user@host, no password
        assert "POSTGRES_PASSWORD" in str(env["DATABASE_PASSWORD"])


def test_senders_share_telegrams_30_messages_per_second() -> None:
    services = _compose()["services"]
    senders = 1 + int(services["worker"]["deploy"]["replicas"])  # the bot dispatches too
    rate = str(services["bot"]["environment"]["TELEGRAM_MAX_MESSAGES_PER_SECOND"])
    default = float(re.fullmatch(r"\$\{TELEGRAM_MAX_MESSAGES_PER_SECOND:-([0-9.]+)\}", rate)[1])  # type: ignore[index]
    assert default * senders <= 30
    # The example .env feeds compose's ${TELEGRAM_MAX_MESSAGES_PER_SECOND}: it must not undo the split.
    assert float(_example_env()["TELEGRAM_MAX_MESSAGES_PER_SECOND"]) * senders <= 30


def test_the_webhook_override_adds_a_tls_proxy_in_front_of_the_bot() -> None:
    override = _compose(WEBHOOK_OVERRIDE)["services"]
    bot_env = override["bot"]["environment"]
    assert str(bot_env["WEBHOOK_URL"]).startswith("https://${WEBHOOK_DOMAIN")
    assert "WEBHOOK_SECRET_TOKEN" in str(bot_env["WEBHOOK_SECRET_TOKEN"])
    caddy = override["caddy"]
    assert caddy["image"].startswith("caddy:")
    assert "443:443" in caddy["ports"]
    mounted = [str(v).split(":")[0] for v in caddy["volumes"]]
    assert "./deploy/Caddyfile" in mounted
    caddyfile = (REPO / "deploy" / "Caddyfile").read_text(encoding="utf-8")
    assert f"reverse_proxy bot:{bot_env['WEBHOOK_PORT']}" in caddyfile
    assert "handle {$WEBHOOK_PATH}" in caddyfile  # only the webhook path reaches the bot
    assert "respond 404" in caddyfile


@pytest.mark.parametrize("file", ["compose.yaml", WEBHOOK_OVERRIDE])
def test_every_variable_compose_sets_is_a_setting(file: str) -> None:
    for name, service in _compose(file)["services"].items():
        for variable in service.get("environment", {}):
            allowed = {"db": POSTGRES_ENV, "caddy": CADDY_ENV}.get(name, SETTINGS_ENV)
            assert variable in allowed, f"{name}: {variable} is not a Settings field"


def test_the_example_env_file_names_only_settings() -> None:
    text = (REPO / "deploy" / "clotcare.env.example").read_text(encoding="utf-8")
    names = re.findall(r"^([A-Z_]+)=", text, flags=re.MULTILINE)
    assert "TELEGRAM_BOT_TOKEN" in names
    assert "WEBHOOK_SECRET_TOKEN" in names
    assert set(names) <= SETTINGS_ENV | POSTGRES_ENV
    env = _example_env()
    assert env["AUTO_MIGRATE"] == "false"
    assert env["WEBHOOK_URL"] == env["WEBHOOK_SECRET_TOKEN"] == ""


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


def test_the_image_is_a_production_install_with_a_writable_matplotlib_folder() -> None:
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert "[dev]" not in text
    assert "pip install -e" not in text
    assert "--editable" not in text
    assert "pip wheel" in text
    assert re.search(r"^\s+MPLCONFIGDIR=(/tmp/matplotlib)", text, flags=re.MULTILINE)
    assert "chown clotcare:clotcare /app/data /tmp/matplotlib" in text


def test_make_install_prod_installs_without_dev_tools_and_make_test_lints_imports() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\ninstall-prod:", 1)[1].split("\n\n", 1)[0]
    assert "pip install" in recipe
    assert "-c constraints.txt ." in recipe
    assert "[dev]" not in recipe
    assert re.search(r"^test:.*\blint-imports\b", makefile, flags=re.MULTILINE)


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


@pytest.mark.parametrize("name", ["clotcare.service", "clotcare-worker@.service"])
def test_systemd_units_give_matplotlib_a_writable_folder(name: str) -> None:
    service = _unit(name)["Service"]
    assert "MPLCONFIGDIR=/tmp/" in service["Environment"]
    assert service["PrivateTmp"] == "yes"


def test_the_system_user_is_created_by_a_documented_command() -> None:
    command = (
        "useradd --system --user-group --home-dir /nonexistent --no-create-home "
        "--shell /usr/sbin/nologin clotcare"
    )
    assert command in (REPO / "deploy" / "clotcare.service").read_text(encoding="utf-8")
    assert command in (REPO / "README.md").read_text(encoding="utf-8")
    assert _unit("clotcare.service")["Service"]["User"] == "clotcare"


def test_every_setting_is_in_the_readme_configuration_table() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing = sorted(name for name in SETTINGS_ENV if f"| `{name}` |" not in readme)
    assert not missing, f"add these to the configuration table in README.md: {missing}"


@pytest.mark.parametrize("name", ["clotcare.service", "clotcare-worker@.service"])
def test_start_limits_sit_in_the_unit_section_where_systemd_reads_them(name: str) -> None:
    # `systemd-analyze verify` warned "Unknown key 'StartLimitIntervalSec' in section [Service], ignoring".
    unit = _unit(name)
    assert unit["Unit"]["StartLimitIntervalSec"] == "300"
    assert unit["Unit"]["StartLimitBurst"] == "10"
    assert not {"StartLimitIntervalSec", "StartLimitBurst"} & set(unit["Service"])


def test_the_readme_command_table_is_the_command_menu() -> None:
    from bot.views.common import COMMANDS

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing = [c.name for c in COMMANDS if f"| `/{c.name}` | {c.description} |" not in readme]
    assert not missing, f"update these rows of the command table in README.md: {missing}"
