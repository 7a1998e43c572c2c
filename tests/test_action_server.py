"""Only the assistant talks to the action server (assistant/action_server.py): on this machine
only in the embedded profile, with the shared token only in the scaled one. Real processes."""
import subprocess
import sys
import uuid

import pytest
import requests

from assistant import action_server, deployment
from assistant.paths import ROOT
from assistant.processes import free_port, start
from tests.helpers import started

SESSION_START = {"next_action": "action_session_start", "sender_id": "someone", "version": "3.6.21",
                 "tracker": {"sender_id": "someone", "slots": {}, "events": []}, "domain": {}}


def listening_addresses(port: int):
    """The local addresses a TCP socket listens on at `port` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def test_the_settings_refuse_an_open_interface_without_a_token():
    assert action_server.listen_settings({}) == ("127.0.0.1", None)
    assert action_server.listen_settings({"ACTION_SERVER_INTERFACE": "0.0.0.0", "ACTION_SERVER_TOKEN": "t"}) == (
        "0.0.0.0", "t")
    for interface in ("0.0.0.0", "10.0.0.5", "::"):
        with pytest.raises(action_server.ConfigurationError, match="without ACTION_SERVER_TOKEN"):
            action_server.listen_settings({"ACTION_SERVER_INTERFACE": interface})


def test_an_open_action_server_without_a_token_does_not_start():
    result = subprocess.run([sys.executable, "-m", "assistant.action_server", "--port", str(free_port())],
                            cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**deployment.server_environment({}), "ACTION_SERVER_INTERFACE": "0.0.0.0"})
    assert result.returncode == 2
    assert "Cannot start the action server: the action server would listen on 0.0.0.0 without" in result.stderr


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    port = free_port()
    process = start("actions-embedded", deployment.action_server_command(port),
                    tmp_path_factory.mktemp("actions"), deployment.server_environment({"ACTION_SERVER_INTERFACE": "0.0.0.0"}))
    started(lambda: requests.get(f"http://127.0.0.1:{port}/health", timeout=2).ok, [process], "The action server")
    yield port
    process.stop()


def test_the_embedded_action_server_listens_on_loopback_only(embedded):
    assert listening_addresses(embedded) == {"0100007F"}  # 127.0.0.1, not 0.0.0.0
    reply = requests.post(f"http://127.0.0.1:{embedded}/webhook", json=SESSION_START, timeout=10)
    assert reply.status_code == 200 and reply.json()["events"][0]["event"] == "session_started"


@pytest.fixture(scope="module")
def scaled(tmp_path_factory):
    token = uuid.uuid4().hex
    port = free_port()
    env = deployment.server_environment({"ASSISTANT_PROFILE": "scaled", "ACTION_SERVER_TOKEN": token})
    process = start("actions-scaled", deployment.action_server_command(port), tmp_path_factory.mktemp("actions"), env)
    started(lambda: requests.get(f"http://127.0.0.1:{port}/health", timeout=2).ok, [process], "The action server")
    yield f"http://127.0.0.1:{port}", token, port
    process.stop()


def test_the_scaled_action_server_answers_only_requests_with_the_token(scaled):
    url, token, port = scaled
    assert listening_addresses(port) == {"00000000"}  # every interface: instances may be elsewhere
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": token},
                    {"Authorization": f"Bearer {token}x"}):
        refused = requests.post(f"{url}/webhook", json=SESSION_START, headers=headers, timeout=10)
        assert refused.status_code == 401 and "session_started" not in refused.text, headers
        assert requests.get(f"{url}/actions", headers=headers, timeout=10).status_code == 401
    answered = requests.post(f"{url}/webhook", json=SESSION_START, timeout=10,
                             headers={"Authorization": f"Bearer {token}"})
    assert answered.status_code == 200 and answered.json()["events"][0]["event"] == "session_started"
    assert requests.get(f"{url}/health", timeout=10).status_code == 200  # for load balancers


def test_the_rasa_instances_send_the_token(monkeypatch):
    from rasa.utils.endpoints import read_endpoint_config

    env = deployment.server_environment({"ASSISTANT_PROFILE": "scaled", "ACTION_SERVER_TOKEN": "shared"})
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    endpoint = read_endpoint_config(str(ROOT / "endpoints-scaled.yml"), "action_endpoint")
    assert endpoint.headers == {"Authorization": "Bearer shared"}
