"""A custom action the action server does not run in time ends in an apology with the phone
number of technical support (assistant/reliability.py), not in silence or a five-minute wait."""
import asyncio
import os
import socket
import time

import pytest
from rasa.core.actions import action as rasa_action
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from assistant import rasa_patches, reliability
from tests.conftest import ROOT


def run_handoff(url, language):
    domain = Domain.load(str(ROOT / "domain.yml"))
    tracker = DialogueStateTracker.from_events("someone", [UserUttered("hej"), SlotSet("language", language)])
    action = rasa_action.RemoteAction("action_handoff_to_support", EndpointConfig(url))
    return asyncio.run(action.run(CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(domain.responses),
                                  tracker, domain))


def test_the_action_server_waits_ten_seconds_by_default_not_five_minutes():
    assert rasa_patches.action_server_timeout({}) == reliability.DEFAULT_ACTION_SERVER_TIMEOUT_SECONDS == 10
    assert rasa_patches.action_server_timeout({"ACTION_SERVER_TIMEOUT_SECONDS": "3"}) == 3
    # The server waits what its environment says (here, the tests' own).
    assert rasa_action.DEFAULT_REQUEST_TIMEOUT == rasa_patches.action_server_timeout(os.environ)


def test_a_timeout_that_is_no_number_of_seconds_stops_the_server_in_one_line():
    import subprocess
    import sys

    for bad in ("soon", "0", "-5", "nan"):
        with pytest.raises(rasa_patches.SettingError, match=f"not {bad!r}"):
            rasa_patches.action_server_timeout({"ACTION_SERVER_TIMEOUT_SECONDS": bad})
    started = subprocess.run([sys.executable, "-m", "assistant.rasa_server", "run"], cwd=ROOT, capture_output=True,
                             text=True, timeout=300, env={**os.environ, "ACTION_SERVER_TIMEOUT_SECONDS": "soon"})
    assert started.returncode == 2
    assert "Cannot start the Rasa server: ACTION_SERVER_TIMEOUT_SECONDS must be a number" in started.stderr


def test_a_hung_action_server_ends_in_an_apology_in_the_conversations_language(monkeypatch):
    monkeypatch.setattr(rasa_action, "DEFAULT_REQUEST_TIMEOUT", 1)
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        started = time.monotonic()
        events = run_handoff(f"http://127.0.0.1:{silent.getsockname()[1]}/webhook", "en")
        assert time.monotonic() - started < 5
    [said] = [event for event in events if isinstance(event, BotUttered)]
    assert "0771-235 235" in said.text and said.text.startswith("I'm sorry, something went wrong")


def test_a_stopped_action_server_ends_in_an_apology():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/webhook"  # nothing listens there
    [said] = [event for event in run_handoff(url, "sv") if isinstance(event, BotUttered)]
    assert "0771-235 235" in said.text and said.text.startswith("Förlåt, något gick fel hos oss")


def test_a_failure_is_logged_by_kind_and_place_never_by_its_text():
    from assistant.reliability import kind_and_place

    try:
        raise ValueError("anna@example.se wrote 19850312-4432")
    except ValueError as error:
        logged = kind_and_place(error)
    assert logged.startswith("ValueError at ") and "test_reliability.py:" in logged
    assert "anna" not in logged and "4432" not in logged
