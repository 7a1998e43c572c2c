"""An applicant's copy of their conversation, and its deletion, against the real servers: only
with the key the server handed out with the conversation; a guessed or missing key reveals
nothing and deletes nothing."""
import asyncio
import re
import sqlite3
from typing import Tuple

import pytest
import requests

from assistant.channels.own_conversation import NOT_FOUND
from assistant.console import accounts, audit
from assistant.console.store import open_database
from assistant.processes import free_port
from assistant.retention import RETENTION_DAYS
from tests.helpers import (CONSOLE_PASSWORDS, HANDOFF_REFERENCE, Chat, Console, csrf_token, joined, serving_console,
                           texts, user_texts_in_store)

pytestmark = pytest.mark.e2e

PHONE_NUMBER = "070-123 45 67"


def new_conversation(bot) -> Tuple[str, str]:
    answer = requests.post(f"{bot.url}/webhooks/rest/conversations", timeout=10)
    assert answer.status_code == 201 and answer.headers["Cache-Control"] == "no-store"
    issued = answer.json()
    return issued["sender"], issued["key"]


def copy(bot, body) -> requests.Response:
    return requests.post(f"{bot.url}/webhooks/rest/conversation/copy", json=body, timeout=30)


def delete(bot, body) -> requests.Response:
    return requests.post(f"{bot.url}/webhooks/rest/conversation/delete", json=body, timeout=30)


def events_stored(bot, sender: str) -> int:
    with sqlite3.connect(bot.tracker_db) as db:
        return db.execute("SELECT count(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0]


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_owner_gets_the_stored_conversation_in_its_language(bot, language):
    sender, key = new_conversation(bot)
    problem = {"sv": f"Jag får ingen sms-kod till {PHONE_NUMBER}",
               "en": f"I don't get the SMS code on {PHONE_NUMBER}"}[language]
    person = {"sv": "Jag vill prata med en människa", "en": "I want to talk to a person"}[language]
    replies = bot.say(sender, "/greet", {"language": language})
    replies += bot.say(sender, problem) + bot.say(sender, person)
    reference = HANDOFF_REFERENCE.search(joined(replies)).group(0)

    answer = copy(bot, {"sender": sender, "key": key})

    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain")
    assert answer.headers["Cache-Control"] == "no-store"
    text = answer.text
    you, assistant = ("Du", "Assistenten") if language == "sv" else ("You", "Assistant")
    # Masked as stored: what the user typed, with the phone number gone.
    masked = problem.replace(PHONE_NUMBER, "[telefon]")
    assert f"  {you}: {masked}\n" in text and PHONE_NUMBER not in text
    assert f"  {you}: {person}\n" in text
    assert "/greet" not in text  # the widget's greeting, asked for unseen
    for reply in texts(replies):  # every answer, as the chat showed it, with its time
        first, *rest = reply.splitlines()
        assert f"  {assistant}: {first}" in text
        assert all(f"    {line}" in text for line in rest)
    assert f"{reference}" in text.splitlines()[2]  # the reference up front
    assert f"{RETENTION_DAYS} {'dagar' if language == 'sv' else 'days'}" in text
    assert answer.headers["Content-Disposition"].startswith(
        f'attachment; filename="{"samtal" if language == "sv" else "conversation"}-')


def test_a_guessed_or_missing_key_reveals_nothing_and_deletes_nothing(bot):
    sender, key = new_conversation(bot)
    bot.say(sender, "jag får inget mejl")
    other_sender, other_key = new_conversation(bot)
    bot.say(other_sender, "hej")
    stored = events_stored(bot, sender)
    # A conversation that does not exist: handed out, with its own right key, nothing stored.
    unknown = copy(bot, dict(zip(("sender", "key"), new_conversation(bot))))
    assert unknown.status_code == 404 and unknown.json() == {"error": NOT_FOUND}

    for guess in ["0" * 32, other_key, key.upper(), key[:-1], key + "0", key[:-1] + ("1" if key[-1] != "1" else "2")]:
        for route in (copy, delete):
            answer = route(bot, {"sender": sender, "key": guess})
            # The same answer as for a conversation that does not exist.
            assert (answer.status_code, answer.text) == (unknown.status_code, unknown.text), (route, guess)
    for body in [{"sender": sender}, {"sender": sender, "key": None}, {"sender": sender, "key": 12345},
                 {"key": key}, [sender, key], "x", {"sender": "\ud800", "key": key},
                 {"sender": sender + "\n", "key": key}, {"sender": "x" * 200, "key": key}]:
        for route in (copy, delete):
            answer = route(bot, body)
            assert answer.status_code == 400 and "jag får inget mejl" not in answer.text, body
    for route in ("copy", "delete"):
        not_json = requests.post(f"{bot.url}/webhooks/rest/conversation/{route}", data=b"{not json", timeout=30)
        too_large = requests.post(f"{bot.url}/webhooks/rest/conversation/{route}", timeout=30,
                                  json={"sender": sender, "key": key, "padding": "x" * 70_000})
        assert (not_json.status_code, too_large.status_code) == (400, 413)
    assert events_stored(bot, sender) == stored
    assert copy(bot, {"sender": sender, "key": key}).status_code == 200  # still there for its owner


def test_deleting_removes_the_conversation_at_once_and_the_next_message_starts_afresh(bot):
    sender, key = new_conversation(bot)
    bot.say(sender, "jag får inget mejl")
    bot.say(sender, "nej")
    kept_sender, _ = new_conversation(bot)
    bot.say(kept_sender, "hej")
    kept = events_stored(bot, kept_sender)

    answer = delete(bot, {"sender": sender, "key": key})

    assert answer.status_code == 200 and answer.json() == {"deleted": True}
    assert events_stored(bot, sender) == 0
    assert copy(bot, {"sender": sender, "key": key}).status_code == 404
    assert delete(bot, {"sender": sender, "key": key}).status_code == 404
    assert events_stored(bot, kept_sender) == kept
    # The server holds nothing of it in memory either: the same id is a new conversation.
    bot.say(sender, "hej")
    assert user_texts_in_store(bot, sender) == ["hej"]


def test_a_socketio_session_token_is_its_conversations_key(bot):
    async def chat() -> str:
        client = Chat(bot)
        token = await client.open()
        await client.say("jag får ingen sms-kod")
        await client.close()
        return token

    token = asyncio.run(chat())
    sender, _, key = token.partition(".")
    assert "ingen sms-kod" in copy(bot, {"sender": sender, "key": key}).text
    assert delete(bot, {"sender": sender, "key": key}).status_code == 200
    assert events_stored(bot, sender) == 0


@pytest.mark.parametrize("settings, status, said", [
    ({"CHAT_SESSION_SECRET": "not the assistant's secret"}, 500, "CHAT_SESSION_SECRET måste vara densamma"),
    ({"ASSISTANT_URL": "http://127.0.0.1:{free}"}, 503, "assistenten svarade inte"),
], ids=["another secret", "assistant unreachable"])
def test_a_console_that_cannot_delete_says_why_and_deletes_nothing(bot, tmp_path, settings, status, said):
    engine = open_database(bot.endpoints)
    if accounts.find(engine, "agent") is None:
        accounts.create_account(engine, "agent", "Aga Agent", accounts.AGENT, CONSOLE_PASSWORDS["agent"])
    sender, _ = new_conversation(bot)
    reference = HANDOFF_REFERENCE.search(joined(bot.say(sender, "jag vill prata med en människa"))).group(0)
    settings = {**bot.console_settings, **{k: v.format(free=free_port()) for k, v in settings.items()}}
    with serving_console(tmp_path, bot.endpoints, settings) as url:
        agent = Console(url, bot.endpoints).signed_in("agent", CONSOLE_PASSWORDS["agent"])
        token = csrf_token(agent.get(url + "/handoff").text)
        shown = agent.post(url + "/handoff", data={"csrf_token": token, "reference": reference})
        conversation = re.search(r'name="conversation" value="(\d+)"', shown.text).group(1)
        answer = agent.post(url + "/handoff/delete", data={"csrf_token": token, "reference": reference,
                                                            "conversation": conversation, "confirmed": "yes"})
    assert answer.status_code == status and said in answer.text
    assert events_stored(bot, sender) > 0
    failed = audit.entries(engine)[0][0]
    assert (failed.actor, failed.action, failed.target) == ("agent", audit.CONVERSATION_DELETE_FAILED,
                                                            f"{reference} #{conversation}")
    engine.dispose()
