"""Personal data typed into the chat leaves no trace in the SQLite tracker store or the
server's (debug) log, over REST and over socket.io, and the assistant still understands."""
import asyncio
import json
import sqlite3
import uuid
from typing import List, Tuple

import pytest
import socketio

from assistant.privacy import EMAIL, PERSONAL_NUMBER, PHONE
from tests.e2e.conftest import Bot

pytestmark = pytest.mark.e2e

PERSONAL_DATA = ["19850505-4321", "198505054321", "anna.svensson@example.se",
                 "+46 70 123 45 67", "0046701234567", "kalle@example.org", "070-987 65 43",
                 "0709876543"]


def user_texts_in_store(bot: Bot, sender: str) -> List[str]:
    with sqlite3.connect(bot.tracker_db) as db:
        rows = db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'user'", (sender,)
        ).fetchall()
    return [json.loads(data)["text"] for (data,) in rows]


def everything_stored(bot: Bot) -> str:
    with sqlite3.connect(bot.tracker_db) as db:
        return "\n".join(data for (data,) in db.execute("SELECT data FROM events"))


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

    stored, log = everything_stored(bot), bot.server_log.read_text(errors="replace")
    assert f"mitt personnummer {PERSONAL_NUMBER}" in log  # the debug log does show user text
    for item in PERSONAL_DATA:
        assert item not in stored, f"{item} is in the tracker store"
        assert item not in log, f"{item} is in the server log"


def test_socketio_caps_the_message_length_like_rest(bot):
    session, answers = asyncio.run(talk_over_socketio(bot, [
        "jag har inte fått något mejl " * 100,
        "jag har inte fått något mejl",
    ]))
    assert "för långt" in answers[0]["text"]
    assert "skräppost" in answers[1]["text"]
    # The long message never reached the NLU or the store; the short one did.
    assert user_texts_in_store(bot, session) == ["jag har inte fått något mejl"]
