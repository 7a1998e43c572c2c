"""Personal data typed into the chat leaves no trace in the SQLite tracker store or the
server's (debug) log, over REST and over socket.io, however it is typed, and the assistant
still understands; a sender id that is personal data is not stored either."""
import asyncio
import json
import sqlite3
import uuid
from typing import List, Tuple

import pytest
import socketio

from assistant.channels.edge import HASHED_SENDER_PREFIX
from assistant.privacy import EMAIL, PERSONAL_NUMBER, PHONE
from tests.helpers import Bot
from tests.helpers import TYPED_VARIANTS, user_texts_in_store

pytestmark = pytest.mark.e2e

PERSONAL_DATA = ["19850505-4321", "198505054321", "anna.svensson@example.se",
                 "+46 70 123 45 67", "0046701234567", "kalle@example.org", "070-987 65 43",
                 "0709876543"]


def everything_stored(bot: Bot) -> str:
    """Every stored event and sender id, with JSON's \\u escapes decoded (a personnummer typed
    with an en dash is stored as 19850312\\u20134432)."""
    with sqlite3.connect(bot.tracker_db) as db:
        rows = db.execute("SELECT sender_id, data FROM events").fetchall()
    return "\n".join(f"{sender} {json.dumps(json.loads(data), ensure_ascii=False)}" for sender, data in rows)


def assert_nowhere(bot: Bot, items: List[str]) -> None:
    stored, log = everything_stored(bot), bot.server_log.read_text(errors="replace")
    for item in items:
        assert item not in stored, f"{item} is in the tracker store"
        assert item not in log, f"{item} is in the server log"


async def talk_over_socketio(bot: Bot, texts: List[str]) -> Tuple[str, List[dict]]:
    """The conversation's sender id (the server issues it) and the first answer to each text."""
    client = socketio.AsyncClient()
    answers: asyncio.Queue = asyncio.Queue()
    client.on("bot_uttered", answers.put_nowait)
    confirmed: asyncio.Future = asyncio.get_running_loop().create_future()
    client.on("session_confirm", confirmed.set_result)
    # Long polling: the websocket transport of this python-engineio needs a newer aiohttp.
    await client.connect(bot.url, socketio_path="/socket.io", transports=["polling"])
    await client.emit("session_request", {})
    session_id = await asyncio.wait_for(confirmed, timeout=30)
    received = []
    try:
        for text in texts:
            await client.emit("user_uttered", {"message": text, "session_id": session_id})
            received.append(await asyncio.wait_for(answers.get(), timeout=30))
    finally:
        await client.disconnect()
    return session_id.partition(".")[0], received


def test_personal_data_is_masked_before_it_is_stored_or_logged(bot):
    swedish, english = (f"privacy-{uuid.uuid4()}" for _ in range(2))

    replies = bot.say(swedish, "mitt personnummer 19850505-4321 godkänns inte, och inte heller 198505054321")
    assert "fel typ av ansökan" in " ".join(r.get("text", "") for r in replies)
    bot.say(english, "I registered with anna.svensson@example.se but no email came")
    bot.say(english, "my number is +46 70 123 45 67, or 0046701234567 from abroad")
    socket_user, answers = asyncio.run(talk_over_socketio(bot, [
        "min e-post är kalle@example.org och mitt nummer 070-987 65 43, jag får inget mejl",
        "eller 0709876543",
    ]))
    assert answers and all("text" in answer for answer in answers)

    # The placeholders are stored where the data was: the conversation is still readable.
    assert user_texts_in_store(bot, swedish) == [
        f"mitt personnummer {PERSONAL_NUMBER} godkänns inte, och inte heller {PERSONAL_NUMBER}"
    ]
    assert user_texts_in_store(bot, english)[0] == f"I registered with {EMAIL} but no email came"
    assert PHONE in user_texts_in_store(bot, english)[1]
    assert user_texts_in_store(bot, socket_user)[0] == (
        f"min e-post är {EMAIL} och mitt nummer {PHONE}, jag får inget mejl"
    )

    assert f"mitt personnummer {PERSONAL_NUMBER}" in bot.server_log.read_text(errors="replace")  # debug log: user text
    assert_nowhere(bot, PERSONAL_DATA)


def test_personal_data_typed_as_phones_and_word_processors_write_it_is_masked_too(bot):
    variants = [typed for typed, _ in TYPED_VARIANTS]
    over_rest, over_socketio = variants[::2], variants[1::2]
    for typed in over_rest:
        sender = f"variants-{uuid.uuid4()}"
        assert bot.say(sender, f"jag skrev {typed} men det blir fel")
        [stored] = user_texts_in_store(bot, sender)
        assert stored.startswith("jag skrev [") and stored.endswith("] men det blir fel"), stored
    session, answers = asyncio.run(talk_over_socketio(bot, [f"mitt är {typed}, inget mejl" for typed in over_socketio]))
    assert len(answers) == len(over_socketio)
    assert all("]" in text and typed not in text for text, typed in zip(user_texts_in_store(bot, session), over_socketio))
    assert_nowhere(bot, variants)


def test_a_sender_id_that_is_personal_data_is_never_stored_and_still_one_conversation(bot):
    sender = f"anna.{uuid.uuid4().hex[:8]}@example.se"
    assert "skräppost" in " ".join(r.get("text", "") for r in bot.say(sender, "jag har inte fått något mejl"))
    # The next message continues the same conversation: the no-email advice goes on.
    assert "registrera dig på nytt" in " ".join(r.get("text", "") for r in bot.say(sender, "nej det hjälpte inte"))
    with sqlite3.connect(bot.tracker_db) as db:
        senders = {row[0] for row in db.execute("SELECT DISTINCT sender_id FROM events")}
    conversations = [user_texts_in_store(bot, s) for s in senders if s.startswith(HASHED_SENDER_PREFIX)]
    assert ["jag har inte fått något mejl", "nej det hjälpte inte"] in conversations
    assert_nowhere(bot, [sender])


def test_odd_but_valid_text_is_answered_and_a_bad_sender_id_gets_a_clear_400(bot):
    import requests

    sender = f"odd-{uuid.uuid4()}"
    # A lone UTF-16 surrogate, as JSON may carry it, is removed; the message is answered.
    reply = requests.post(bot.webhook, data=f'{{"sender": "{sender}", "message": "jag f\\u00e5r ingen sms-kod\\ud800"}}',
                          headers={"Content-Type": "application/json"}, timeout=30)
    assert reply.status_code == 200 and "MIGR" in " ".join(r.get("text", "") for r in reply.json())
    assert user_texts_in_store(bot, sender) == ["jag får ingen sms-kod"]
    for bad_sender in ("a\\u0000b", "a\\ud800", "a\\u202eb"):
        refused = requests.post(bot.webhook, data=f'{{"sender": "{bad_sender}", "message": "hej"}}',
                                headers={"Content-Type": "application/json"}, timeout=30)
        assert refused.status_code == 400 and "sender" in refused.json()["error"], bad_sender


def test_socketio_caps_the_message_length_like_rest(bot):
    session, answers = asyncio.run(talk_over_socketio(bot, [
        "jag har inte fått något mejl " * 100,
        "jag har inte fått något mejl",
    ]))
    assert "för långt" in answers[0]["text"]
    assert "skräppost" in answers[1]["text"]
    # The long message never reached the NLU or the store; the short one did.
    assert user_texts_in_store(bot, session) == ["jag har inte fått något mejl"]
