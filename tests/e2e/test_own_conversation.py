"""An applicant's copy of their conversation, and its deletion, against the real servers: only
with the key the server handed out with the conversation; a guessed or missing key reveals
nothing and deletes nothing."""
import asyncio
import sqlite3
from typing import Tuple

import pytest
import requests

from assistant.channels.own_conversation import NOT_FOUND
from assistant.retention import RETENTION_DAYS
from tests.helpers import HANDOFF_REFERENCE, Chat, joined, texts, user_texts_in_store

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
    unknown = copy(bot, {"sender": "no-such-conversation", "key": "0" * 32})
    assert unknown.status_code == 404 and unknown.json() == {"error": NOT_FOUND}

    for guess in ["0" * 32, other_key, key.upper(), key[:-1], key + "0", key[:-1] + ("1" if key[-1] != "1" else "2")]:
        for route in (copy, delete):
            answer = route(bot, {"sender": sender, "key": guess})
            # The same answer as for a conversation that does not exist.
            assert (answer.status_code, answer.text) == (unknown.status_code, unknown.text), (route, guess)
    for body in [{"sender": sender}, {"sender": sender, "key": None}, {"key": key}, [sender, key], "x"]:
        for route in (copy, delete):
            answer = route(bot, body)
            assert answer.status_code == 400 and "jag får inget mejl" not in answer.text
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
