"""What a stranger on the internet can and cannot do to the Rasa server, tried for real."""
import asyncio
import json
import sqlite3
import subprocess
import sys
import threading
import time
import uuid

import pytest
import requests
import yaml

from assistant import deployment
from assistant.channels.edge import REPLIES, TOO_FAST, TOO_LONG
from assistant.processes import RASA, free_port, start
from bench.stress import OVERSIZED
from tests.conftest import ROOT
from tests.helpers import started
from tests.helpers import Chat, assert_handoff, joined

pytestmark = pytest.mark.e2e

API_TOKEN = "test-token-" + uuid.uuid4().hex
PER_SENDER, PER_ADDRESS, WINDOW_SECONDS = 3, 5, 5
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
                    workdir, deployment.rasa_environment(env))
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
    """Until every message of the tests before has left the (sliding) window."""
    time.sleep(WINDOW_SECONDS + 0.05)


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


def test_messages_over_the_length_cap_count_against_the_limits(guarded):
    wait_for_a_fresh_window()
    sender = f"long-{uuid.uuid4()}"
    for _ in range(PER_SENDER):
        answered = say_to(guarded, sender, "x" * 60_000)
        assert answered.status_code == 200 and joined(answered.json()) == "\n\n".join(REPLIES[TOO_LONG].values())
    refused = say_to(guarded, sender, "jag får ingen sms-kod")
    assert refused.status_code == 429 and refused.json()["error"] == REPLIES[TOO_FAST]["sv"]


def test_the_limit_reply_comes_in_the_conversations_language(guarded):
    wait_for_a_fresh_window()
    sender = f"english-{uuid.uuid4()}"
    for _ in range(PER_SENDER):
        assert "Did that help?" in joined(say_to(guarded, sender, "i never got the email").json())
    refused = say_to(guarded, sender, "ok ok", )  # no clear language of its own
    assert refused.status_code == 429 and refused.json()["error"] == REPLIES[TOO_FAST]["en"]


def test_guessing_a_conversations_key_is_limited_by_address_and_leaves_its_owner_alone(guarded):
    wait_for_a_fresh_window()
    owned = requests.post(f"{guarded}/webhooks/rest/conversations", timeout=30).json()
    guess = {"sender": owned["sender"], "key": "0" * 32}
    statuses = [requests.post(f"{guarded}/webhooks/rest/conversation/{route}", json=guess, timeout=30).status_code
                for route in ["copy", "delete", "copy"][:PER_SENDER]]
    assert statuses == [404] * PER_SENDER
    # As many guesses as the conversation's own limit: its owner is still let through.
    assert requests.post(f"{guarded}/webhooks/rest/conversation/copy", json=owned, timeout=30).status_code == 404
    # The address has used its five (the key handed out, the guesses, the owner's copy).
    refused = requests.post(f"{guarded}/webhooks/rest/conversation/delete", json=guess, timeout=30)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0


def test_an_owners_copies_and_deletions_count_like_messages(guarded):
    wait_for_a_fresh_window()
    issued = requests.post(f"{guarded}/webhooks/rest/conversations", timeout=30).json()
    answers = [requests.post(f"{guarded}/webhooks/rest/conversation/copy", json=issued, timeout=30)
               for _ in range(PER_SENDER + 1)]
    assert [a.status_code for a in answers] == [404] * PER_SENDER + [429]  # nothing stored yet, then too fast
    assert 0 < int(answers[-1].headers["Retry-After"]) <= WINDOW_SECONDS


@pytest.mark.parametrize("shape", OVERSIZED)
def test_a_body_up_to_the_limit_is_answered_at_once_and_holds_up_no_one(bot, shape):
    """Bodies as large as the channel reads, sent back to back, while another user chats: the
    edge refuses them before any costly check, so neither waits (before: 8 to 27 s each)."""
    body = {"message": OVERSIZED[shape]}
    stop, attacks = threading.Event(), []  # (seconds, status, reply) of each

    def attack():
        while not stop.is_set():
            started_at = time.monotonic()
            reply = requests.post(bot.webhook, json={**body, "sender": f"attacker-{uuid.uuid4()}"}, timeout=60)
            attacks.append((time.monotonic() - started_at, reply.status_code, reply.json()))

    attacker = threading.Thread(target=attack, daemon=True)
    attacker.start()
    try:
        sender, slowest = f"user-{uuid.uuid4()}", 0.0
        for text in ("jag får ingen sms-kod", "nej det hjälpte inte", "jag har inte fått något mejl"):
            started_at = time.monotonic()
            assert bot.say(sender, text)
            slowest = max(slowest, time.monotonic() - started_at)
    finally:
        stop.set()
        attacker.join(timeout=60)
    assert attacks and all(status == 200 and reply for _, status, reply in attacks)
    assert max(seconds for seconds, _, _ in attacks) < 1 and slowest < 1, (attacks, slowest)


def test_the_command_guard_holds_with_rasas_own_rest_channel(bot, model_path, tmp_path):
    """The patches come with the server's start-up, not with the project's channels."""
    credentials = tmp_path / "credentials.yml"
    credentials.write_text(yaml.safe_dump({"rest": None}), encoding="utf-8")
    port = free_port()
    env = deployment.server_environment({})
    process = start("stock-channel", deployment.rasa_command(env, port, model_path, endpoints=bot.endpoints,
                                                             interface="127.0.0.1", credentials=credentials),
                    tmp_path, deployment.rasa_environment(env))
    url = f"http://127.0.0.1:{port}"
    try:
        started(lambda: requests.get(f"{url}/webhooks/rest/", timeout=2).ok, [process], "The stock-channel server")
        sender = f"stock-{uuid.uuid4()}"
        assert "Hjälpte det?" in joined(say_to(url, sender, "jag får ingen sms-kod").json())
        assert say_to(url, sender, "/restart").json()  # answered as text, not executed
    finally:
        process.stop()
    kinds = [kind for kind, _ in stored_user_events(bot, sender)]
    assert "restart" not in kinds and kinds.count("session_started") == 1


def test_plain_rasa_run_with_the_projects_channels_refuses_to_start(bot, model_path):
    result = subprocess.run(
        [RASA, "run", "--model", str(model_path), "--port", str(free_port()), "--interface", "127.0.0.1",
         "--endpoints", str(bot.endpoints), "--credentials", str(ROOT / "credentials.yml")],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env=deployment.server_environment({}))
    assert result.returncode != 0
    assert "start the Rasa server with `python -m assistant.rasa_server run" in result.stdout + result.stderr


def test_bodies_too_large_to_read_count_against_their_address(guarded):
    wait_for_a_fresh_window()
    too_large = json.dumps({"sender": "x", "message": "a" * 70_000})
    statuses = [requests.post(f"{guarded}/webhooks/rest/webhook", data=too_large, timeout=30,
                              headers={"Content-Type": "application/json"}).status_code
                for _ in range(PER_ADDRESS + 1)]
    assert statuses == [413] * PER_ADDRESS + [429]


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


    async def until_asked_whether_it_helped(widget):
        heard = []
        while not heard or "Hjälpte det?" not in heard[-1].get("text", ""):
            heard.append(await asyncio.wait_for(widget.replies.get(), timeout=30))
        return heard

    async def chat():
        widget = Chat(SimpleNamespace(url=guarded))
        await widget.open()
        try:
            answers = []
            for _ in range(PER_SENDER):  # within the window: no pause for quiet after each
                await widget.client.emit("user_uttered", {"message": "jag får ingen sms-kod", "session_id": widget.token})
                answers.append(await until_asked_whether_it_helped(widget))
            return answers + [await widget.say("jag får ingen sms-kod"), await widget.say("x" * 5000)]
        finally:
            await widget.close()

    wait_for_a_fresh_window()
    answers = asyncio.run(chat())
    assert all("Hjälpte det?" in joined(answer) for answer in answers[:PER_SENDER])
    assert joined(answers[PER_SENDER]) == REPLIES[TOO_FAST]["sv"]
    # The limits come before the length cap: a long message is refused as one too many.
    assert joined(answers[-1]) == REPLIES[TOO_FAST]["sv"]
