"""What a stranger on the internet can and cannot do to the Rasa server, tried for real."""
import asyncio
import json
import sqlite3
import subprocess
import sys
import time
import uuid

import pytest
import requests

from assistant import deployment
from bench.servers import free_port, start
from tests.conftest import ROOT
from tests.e2e.conftest import started
from tests.e2e.test_rest_conversations import assert_handoff, joined

pytestmark = pytest.mark.e2e

API_TOKEN = "test-token-" + uuid.uuid4().hex
PER_SENDER, PER_ADDRESS, WINDOW_SECONDS = 3, 5, 10
EVIL = "https://evil.example"


@pytest.fixture(scope="module")
def guarded(model_path, tmp_path_factory, bot):
    """An embedded-profile server started as `make run` starts it, with Rasa's HTTP API
    switched on (RASA_ENABLE_API, RASA_API_TOKEN) and small rate limits."""
    workdir = tmp_path_factory.mktemp("guarded")
    port = free_port()
    env = deployment.server_environment({
        "RASA_ENABLE_API": "true", "RASA_API_TOKEN": API_TOKEN,
        "CHAT_RATE_LIMIT_PER_SENDER": str(PER_SENDER), "CHAT_RATE_LIMIT_PER_ADDRESS": str(PER_ADDRESS),
        "CHAT_RATE_LIMIT_WINDOW_SECONDS": str(WINDOW_SECONDS),
    })
    process = start("guarded", deployment.rasa_command(env, port, model_path, endpoints=bot.endpoints,
                                                       interface="127.0.0.1"),
                    workdir, {**env, **deployment.server_settings_file()})
    url = f"http://127.0.0.1:{port}"
    started(lambda: requests.get(f"{url}/webhooks/rest/", timeout=2).ok, [process], "The guarded server")
    yield url
    process.stop()


def test_the_http_api_is_off_by_default(bot, sender):
    bot.say(sender, "hej")
    for method, path in [("GET", f"/conversations/{sender}/tracker"), ("POST", "/model/parse"),
                         ("PUT", f"/conversations/{sender}/tracker/events"), ("GET", "/status")]:
        response = requests.request(method, bot.url + path, json={"text": "hej"}, timeout=10)
        assert response.status_code == 404, (path, response.status_code)


def test_the_http_api_switched_on_answers_only_with_the_token(guarded):
    path = f"{guarded}/conversations/someone/tracker"
    assert requests.get(path, timeout=10).status_code == 401
    assert requests.get(path, params={"token": "wrong"}, timeout=10).status_code == 401
    assert requests.get(path, params={"token": API_TOKEN}, timeout=10).status_code == 200


def test_the_http_api_is_never_switched_on_without_a_token():
    result = subprocess.run([sys.executable, "-m", "assistant.deployment"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60,
                            env={**deployment.server_environment({}), "RASA_ENABLE_API": "true",
                                 "RASA_API_TOKEN": "", "RASA_JWT_SECRET": ""})
    assert result.returncode == 2
    assert "RASA_ENABLE_API=true needs RASA_API_TOKEN or RASA_JWT_SECRET" in result.stderr


def test_browsers_on_other_sites_are_not_let_in(bot):
    allowed = f"http://127.0.0.1:{bot.chat_site_port}"
    for origin, expected in [(allowed, allowed), (EVIL, None)]:
        preflight = requests.options(bot.webhook, timeout=10, headers={
            "Origin": origin, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"})
        assert preflight.headers.get("Access-Control-Allow-Origin") == expected, origin
        post = requests.post(bot.webhook, json={"sender": str(uuid.uuid4()), "message": "hej"},
                             headers={"Origin": origin}, timeout=30)
        assert post.headers.get("Access-Control-Allow-Origin") == expected, origin


def stored_user_events(bot, sender):
    with sqlite3.connect(bot.tracker_db) as db:
        rows = db.execute("SELECT type_name, data FROM events WHERE sender_id = ? ORDER BY id", (sender,))
        return [(kind, json.loads(data)) for kind, data in rows]


def test_typed_commands_cannot_restart_set_slots_or_force_an_intent(bot, sender):
    assert "Hjälpte det?" in joined(bot.say(sender, "jag får ingen sms-kod"))  # offers /affirm, /deny
    # What each would be as a command: Rasa gives its intent the confidence 1.0, or the one given.
    commands = {"/restart": ("restart", 1.0), '/greet{"language": "en"}@1.0': ("greet", 1.0),
                '/request_human{"language": "en"}': ("request_human", 1.0),
                "/affirm@0.99": ("affirm", 0.99), "/session_start": ("session_start", 1.0)}
    for text in commands:
        assert bot.say(sender, text), text  # answered as ordinary text
    events = stored_user_events(bot, sender)
    kinds = [kind for kind, _ in events]
    assert "restart" not in kinds and kinds.count("session_started") == 1
    read_as = [data["parse_data"] for kind, data in events if kind == "user"][1:]
    assert len(read_as) == len(commands)
    for (text, forced), parsed in zip(commands.items(), read_as):
        assert not parsed["text"].startswith("/"), text
        assert (parsed["intent"]["name"], parsed["intent"].get("confidence")) != forced, text
        # A command's entities are taken as given; the NLU's come from an extractor.
        assert all(entity.get("extractor") for entity in parsed.get("entities", [])), (text, parsed["entities"])


def test_the_buttons_the_bot_offered_still_work_as_commands(bot, sender):
    greeting = bot.say(sender, "/greet")  # the widget's greeting, sent when the chat opens
    assert "/no_email" in [b["payload"] for b in greeting[0]["buttons"]]
    advice = bot.say(sender, "/no_email")
    assert "/deny" in [b["payload"] for b in advice[-1]["buttons"]]
    bot.say(sender, "/deny")
    assert_handoff(bot.say(sender, "/deny"), "sv")


def wait_for_a_fresh_window():
    time.sleep(WINDOW_SECONDS - time.time() % WINDOW_SECONDS + 0.05)


def say_to(url, sender, text):
    return requests.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=30)


def test_one_conversation_sending_too_fast_is_told_to_wait_and_keeps_its_place(guarded):
    wait_for_a_fresh_window()
    sender = f"fast-{uuid.uuid4()}"
    assert "Hjälpte det?" in joined(say_to(guarded, sender, "jag får ingen sms-kod").json())
    for _ in range(PER_SENDER - 1):
        assert say_to(guarded, sender, "hmm").status_code == 200
    refused = say_to(guarded, sender, "nej det hjälpte inte")
    assert refused.status_code == 429
    assert "Vänta en liten stund" in refused.json()["error"]
    assert 0 < int(refused.headers["Retry-After"]) <= WINDOW_SECONDS
    # Another conversation from the same address is still answered.
    assert say_to(guarded, f"other-{uuid.uuid4()}", "hej").status_code == 200


def test_one_address_sending_too_fast_is_told_to_wait(guarded):
    wait_for_a_fresh_window()
    statuses = [say_to(guarded, f"many-{uuid.uuid4()}", "hi there").status_code for _ in range(PER_ADDRESS + 1)]
    assert statuses == [200] * PER_ADDRESS + [429]
    refused = say_to(guarded, f"many-{uuid.uuid4()}", "hello, my email never arrives")
    assert "Please wait a moment" in refused.json()["error"]
    time.sleep(int(refused.headers["Retry-After"]) + 0.1)
    assert say_to(guarded, f"many-{uuid.uuid4()}", "hej").status_code == 200


def test_a_request_body_over_a_megabyte_is_refused_before_it_is_read(bot):
    response = requests.post(bot.webhook, data=b"x" * (2 * 1024 * 1024), timeout=30,
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_telemetry_is_off_in_every_server_whatever_the_caller_set(bot):
    environment = deployment.server_environment({"RASA_TELEMETRY_ENABLED": "true"})
    assert environment["RASA_TELEMETRY_ENABLED"] == "false"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "export RASA_TELEMETRY_ENABLED := false" in makefile


def test_socketio_counts_against_the_same_limits_and_says_so_in_the_chat(guarded):
    from types import SimpleNamespace

    from tests.e2e.test_socketio_security import Chat

    async def chat():
        widget = Chat(SimpleNamespace(url=guarded))
        await widget.open()
        try:
            return [await widget.say("jag får ingen sms-kod") for _ in range(PER_SENDER + 1)]
        finally:
            await widget.close()

    wait_for_a_fresh_window()
    answers = asyncio.run(chat())
    assert all("Hjälpte det?" in joined(answer) for answer in answers[:PER_SENDER])
    assert joined(answers[-1]) == "Du skickar meddelanden snabbare än jag hinner svara. Vänta en liten stund och skicka sedan igen."
