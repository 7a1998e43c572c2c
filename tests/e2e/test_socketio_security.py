"""The socket.io channel against the real server: pages of other origins cannot connect, and
no client can read or write another's conversation; a client's own signed session id resumes
its conversation."""
import asyncio

import pytest
import requests
import socketio

from tests.helpers import Chat, joined, user_texts_in_store

pytestmark = pytest.mark.e2e

EVIL = "https://evil.example"
NO_EMAIL = "jag har inte fått något mejl med koden"
STILL_NO_EMAIL = "nej det hjälpte inte"


def sender_of(token: str) -> str:
    return token.partition(".")[0]


def test_a_page_of_another_origin_cannot_connect(bot):
    async def connect_from_evil():
        with pytest.raises(socketio.exceptions.ConnectionError):
            await Chat(bot, EVIL).open()

    asyncio.run(connect_from_evil())
    handshake = f"{bot.url}/socket.io/?EIO=4&transport=polling"
    assert requests.get(handshake, headers={"Origin": EVIL}, timeout=10).status_code == 400

    # The allowed pages get the CORS header once (Rasa's --cors sets it; engineio must not
    # add a second, which browsers refuse); clients without an Origin are not browsers.
    allowed = f"http://127.0.0.1:{bot.embedding_site_port}"
    response = requests.get(handshake, headers={"Origin": allowed}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == allowed
    assert requests.get(handshake, timeout=10).status_code == 200


def test_a_page_of_an_allowed_origin_chats(bot):
    async def chat():
        widget = Chat(bot, f"http://127.0.0.1:{bot.chat_site_port}")
        await widget.open()
        try:
            return await widget.say(NO_EMAIL)
        finally:
            await widget.close()

    assert "skräppost" in joined(asyncio.run(chat()))


def test_another_client_cannot_join_a_session_nor_hear_it(bot):
    async def scenario():
        alice = Chat(bot)
        mine = await alice.open()
        signature = mine.partition(".")[2]
        forged = f"{sender_of(mine)}.{signature[::-1]}"
        # The signed token is the credential (a reload of the same page presents it); what
        # others can see is the session id in the store and the logs: the random part.
        eves = [Chat(bot) for _ in range(2)]
        given = [await eve.open(session_id=wanted) for eve, wanted in zip(eves, [sender_of(mine), forged])]
        alice_heard = await alice.say(NO_EMAIL)
        alice_heard += await alice.say(STILL_NO_EMAIL)
        eves_heard = [await eve.heard() for eve in eves]
        for chat in [alice, *eves]:
            await chat.close()
        return mine, given, alice_heard, eves_heard

    mine, given, alice_heard, eves_heard = asyncio.run(scenario())
    assert all(sender_of(token) != sender_of(mine) for token in given)
    assert len({sender_of(token) for token in given}) == len(given)
    assert "skräppost" in joined(alice_heard)
    assert eves_heard == [[], []]


def test_a_message_naming_another_session_stays_in_the_senders_own(bot):
    async def scenario():
        alice, eve = Chat(bot), Chat(bot)
        mine = await alice.open()
        await alice.say(NO_EMAIL)
        await eve.open()
        eve_heard = await eve.say("jag får ingen sms kod", session_id=mine)
        eve_heard += await eve.say("kortbetalningen går inte", session_id=sender_of(mine))
        alice_heard = await alice.heard()
        await alice.close()
        await eve.close()
        return mine, eve.token, eve_heard, alice_heard

    mine, eves, eve_heard, alice_heard = asyncio.run(scenario())
    assert user_texts_in_store(bot, sender_of(mine)) == [NO_EMAIL]
    assert user_texts_in_store(bot, sender_of(eves)) == [
        "jag får ingen sms kod", "kortbetalningen går inte"]
    assert alice_heard == []
    assert eve_heard  # Eve was answered, in her own conversation


def test_a_client_resumes_its_conversation_with_its_own_signed_id(bot):
    async def scenario():
        before = Chat(bot)
        mine = await before.open()
        first = await before.say(NO_EMAIL)
        await before.close()  # a page reload: the widget keeps the id in localStorage
        after = Chat(bot)
        resumed = await after.open(session_id=mine)
        follow_up = await after.say(STILL_NO_EMAIL)
        await after.close()
        return mine, resumed, first, follow_up

    mine, resumed, first, follow_up = asyncio.run(scenario())
    assert resumed == mine
    assert "skräppost" in joined(first)
    # Only the conversation so far makes this the next piece of advice for the missing email.
    assert "registrera dig på nytt" in joined(follow_up)
    assert user_texts_in_store(bot, sender_of(mine)) == [NO_EMAIL, STILL_NO_EMAIL]
