"""The two profiles' settings (assistant/deployment.py), as `make run` and `make run-scaled` use
them (tests/conftest.py keeps the machine's own settings out)."""
import re

import pytest
import yaml

from assistant import deployment
from tests.conftest import ROOT


def test_the_embedded_profile_is_the_default_and_one_process():
    env = deployment.server_environment({"SANIC_WORKERS": "4"})
    assert deployment.endpoints_file(env).name == "endpoints.yml"
    assert env["SANIC_WORKERS"] == "1"  # Rasa's in-memory lock store serves one process only
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    assert "lock_store" not in endpoints and endpoints["tracker_store"]["dialect"] == "sqlite"


def test_the_scaled_profile_shares_postgresql_and_redis_and_keeps_what_is_set():
    env = deployment.server_environment({"ASSISTANT_PROFILE": "scaled", "POSTGRES_HOST": "db.internal",
                                         "SANIC_WORKERS": "3"})
    assert deployment.endpoints_file(env).name == "endpoints-scaled.yml"
    assert env["POSTGRES_HOST"] == "db.internal" and env["REDIS_HOST"] == "127.0.0.1"
    assert env["SANIC_WORKERS"] == "3" and len(env["CHAT_SESSION_SECRET"]) >= 32
    assert env["CHAT_RATE_LIMIT_REDIS_URL"] == "redis://:@127.0.0.1:6379/0"
    endpoints = yaml.safe_load((ROOT / "endpoints-scaled.yml").read_text(encoding="utf-8"))
    assert endpoints["lock_store"]["type"] == "assistant.lock_store.ReconnectingRedisLockStore"
    assert endpoints["tracker_store"]["dialect"] == "postgresql"
    # Every setting the file names has a default here.
    names = set(re.findall(r"\$\{(\w+)\}", (ROOT / "endpoints-scaled.yml").read_text(encoding="utf-8")))
    assert "ACTION_SERVER_TOKEN" in names and names <= set(env), names - set(env)


def test_an_unknown_profile_is_refused_with_the_choices():
    with pytest.raises(deployment.ConfigurationError, match="embedded, scaled"):
        deployment.server_environment({"ASSISTANT_PROFILE": "big"})


def test_cors_and_socketio_get_the_same_origins():
    env = deployment.server_environment({"CHAT_ALLOWED_ORIGINS": "https://www.migrationsverket.se"})
    command = deployment.rasa_command(env, 5005)
    cors = command[command.index("--cors") + 1:]
    assert cors == env["CHAT_ALLOWED_ORIGINS"].split()
    assert cors == ["http://localhost:8080", "http://127.0.0.1:8080", "https://www.migrationsverket.se"]


def test_the_http_api_comes_only_with_a_token_or_jwt():
    assert deployment.api_arguments({}) == []
    assert deployment.api_arguments({"RASA_ENABLE_API": "true", "RASA_API_TOKEN": "t"}) == [
        "--enable-api", "--auth-token", "t"]
    assert "--jwt-secret" in deployment.api_arguments({"RASA_ENABLE_API": "true", "RASA_JWT_SECRET": "s"})
    with pytest.raises(deployment.ConfigurationError):
        deployment.api_arguments({"RASA_ENABLE_API": "true"})


def test_a_scaled_start_without_its_services_says_which_one_in_a_line():
    env = deployment.server_environment({"ASSISTANT_PROFILE": "scaled", "POSTGRES_PORT": "1"})
    with pytest.raises(deployment.ConfigurationError,
                       match="PostgreSQL is not reachable at 127.0.0.1:1: start it, or point POSTGRES_HOST"):
        deployment.check_services(env)


def test_the_action_server_answers_this_machine_only_in_the_embedded_profile():
    env = deployment.server_environment({"ACTION_SERVER_INTERFACE": "0.0.0.0", "ACTION_SERVER_TOKEN": "t"})
    assert env["ACTION_SERVER_INTERFACE"] == "127.0.0.1" and env["ACTION_SERVER_TOKEN"] == ""


def test_the_scaled_profile_gives_the_action_server_and_rasa_one_token():
    env = deployment.server_environment({"ASSISTANT_PROFILE": "scaled"})
    assert len(env["ACTION_SERVER_TOKEN"]) >= 32 and env["ACTION_SERVER_INTERFACE"] == "0.0.0.0"
    kept = deployment.server_environment({"ASSISTANT_PROFILE": "scaled", "ACTION_SERVER_TOKEN": "shared"})
    assert kept["ACTION_SERVER_TOKEN"] == "shared"


def test_the_servers_start_through_the_projects_launchers():
    env = deployment.server_environment({})
    assert deployment.rasa_command(env, 5005)[1:4] == ["-m", "assistant.rasa_server", "run"]
    assert deployment.action_server_command(5055)[1:3] == ["-m", "assistant.action_server"]


def test_the_chat_secret_is_made_once_for_this_user_only_and_kept(tmp_path):
    from assistant.deployment import kept_secret

    path = tmp_path / "chat-session-secret"
    first = kept_secret(path)
    assert len(first) == 64 and oct(path.stat().st_mode & 0o777) == "0o600"
    assert kept_secret(path) == first  # a restart keeps applicants' keys working
