"""The socket.io channel's session ids and handlers, without a server: only a signed id resumes
a session, each socket speaks and hears only in its own session, and bad input is ignored."""
import asyncio
from typing import Any, Dict, List, Tuple

import pytest

from assistant.channels.socketio import MaskedSocketIOInput, SessionTokens, session_of

TOKENS = SessionTokens(b"the right secret")


def test_an_issued_token_resumes_its_session():
    token = TOKENS.issue()
    session, _, signature = token.partition(".")
    assert len(session) == 32 and len(signature) == 32
    assert TOKENS.verify(token) == session == session_of(token)
    assert TOKENS.issue() != token


@pytest.mark.parametrize("forge", [
    lambda t: t.partition(".")[0],                            # unsigned
    lambda t: t[:-1],                                         # truncated signature
    lambda t: t[:-1] + ("0" if t[-1] != "0" else "1"),        # altered signature
    lambda t: ("f" if t[0] != "f" else "e") + t[1:],          # other session, same signature
    lambda t: SessionTokens(b"another secret").issue(),      # signed with another secret
    lambda t: t.upper(),
    lambda t: t + "0",
    lambda t: "x" * 1_000_000,
    lambda t: None, lambda t: 42, lambda t: ["a"], lambda t: {"session_id": t}, lambda t: "",
])
def test_a_forged_or_malformed_token_is_rejected(forge):
    assert TOKENS.verify(forge(TOKENS.issue())) is None


class FakeServer:
    """The few AsyncServer methods the handlers use, recording rooms and emits."""

    def __init__(self, sio: Any) -> None:
        self.handlers = sio.handlers["/"]
        self.sessions: Dict[str, Dict] = {}
        self.rooms: Dict[str, set] = {}
        self.emitted: List[Tuple[str, Any, str]] = []
        for name in ("get_session", "save_session", "enter_room", "leave_room", "emit"):
            setattr(sio, name, getattr(self, name))

    async def get_session(self, sid, namespace=None):
        return self.sessions.setdefault(sid, {})

    async def save_session(self, sid, session, namespace=None):
        self.sessions[sid] = session

    async def enter_room(self, sid, room, namespace=None):
        self.rooms.setdefault(sid, set()).add(room)

    async def leave_room(self, sid, room, namespace=None):
        self.rooms[sid].discard(room)

    async def emit(self, event, data=None, room=None, namespace=None, **_):
        self.emitted.append((event, data, room))

    def call(self, event: str, sid: str, data: Any) -> None:
        asyncio.run(self.handlers[event](sid, data))

    def confirmed(self, sid: str) -> str:
        return [data for event, data, room in self.emitted
                if event == "session_confirm" and room == sid][-1]


@pytest.fixture
def channel(monkeypatch):
    monkeypatch.setenv("CHAT_SESSION_SECRET", "the right secret")
    received: List[Any] = []

    async def on_new_message(message):
        received.append(message)

    channel = MaskedSocketIOInput.from_credentials({"session_persistence": True})
    channel.blueprint(on_new_message)
    return FakeServer(channel.sio), received


def test_only_a_signed_session_id_is_resumed(channel):
    server, _ = channel
    mine = TOKENS.issue()
    server.call("session_request", "sid-a", {"session_id": mine})
    assert server.confirmed("sid-a") == mine
    assert server.rooms["sid-a"] == {session_of(mine)}

    altered = mine[:-1] + ("0" if mine[-1] != "0" else "1")
    for requested in (session_of(mine), altered, "chosen-by-the-client", None, 7):
        server.call("session_request", "sid-b", {"session_id": requested})
        issued = server.confirmed("sid-b")
        assert issued != requested and TOKENS.verify(issued) not in (None, session_of(mine))
        # One session per socket: a new one replaces the previous room.
        assert server.rooms["sid-b"] == {session_of(issued)}


def test_a_message_goes_to_the_sockets_own_session_whatever_it_claims(channel):
    server, received = channel
    victim = TOKENS.issue()
    server.call("session_request", "sid-a", {"session_id": victim})
    server.call("session_request", "sid-b", {})
    server.call("user_uttered", "sid-b", {"message": "hej", "session_id": victim})
    assert [m.sender_id for m in received] == [session_of(server.confirmed("sid-b"))]

    # A socket that never asked for a session gets a new one, not the one it names.
    server.call("user_uttered", "sid-c", {"message": "hej", "session_id": session_of(victim)})
    assert received[-1].sender_id not in (victim, session_of(victim))
    assert server.rooms["sid-c"] == {received[-1].sender_id}


@pytest.mark.parametrize("data", [
    None, "hej", 42, ["hej"], {}, {"message": None}, {"message": 42}, {"message": ["hej"]},
    {"message": "   \u200b "},
])
def test_bad_messages_are_ignored(channel, data):
    server, received = channel
    server.call("session_request", "sid", data)  # any payload still gets a new session
    assert TOKENS.verify(server.confirmed("sid"))
    server.call("user_uttered", "sid", data)
    assert received == []


@pytest.mark.parametrize("metadata, kept", [
    ('{"language": "en", "user": "x"}', {"language": "en"}), ("{not json", {}), (42, {}),
    (["en"], {}),
])
def test_bad_metadata_is_dropped_and_the_message_answered(channel, metadata, kept):
    server, received = channel
    server.call("user_uttered", "sid", {"message": "hej", "metadata": metadata})
    assert received[0].metadata == kept


def test_only_configured_origins_may_connect(monkeypatch):
    monkeypatch.setenv("CHAT_ALLOWED_ORIGINS", " http://localhost:8080  https://www.migrationsverket.se ")
    channel = MaskedSocketIOInput.from_credentials({})
    channel.blueprint(lambda message: None)
    check = channel.sio.eio._cors_allowed_origins
    assert check({"HTTP_ORIGIN": "https://www.migrationsverket.se"}) == ["https://www.migrationsverket.se"]
    assert check({"HTTP_ORIGIN": "https://evil.example"}) == []

    monkeypatch.delenv("CHAT_ALLOWED_ORIGINS")
    channel.blueprint(lambda message: None)
    assert channel.sio.eio._cors_allowed_origins({"HTTP_ORIGIN": "http://localhost:8080"}) == []


def test_a_message_over_the_cap_is_answered_in_the_chat_and_never_reaches_rasa(channel):
    from assistant.channels.edge import REPLIES, TOO_LONG

    server, received = channel
    server.call("session_request", "sid", {})
    session = session_of(server.confirmed("sid"))
    server.call("user_uttered", "sid", {"message": "jag har inte fått något mejl " * 3000})
    assert received == []
    assert ("bot_uttered", {"text": REPLIES[TOO_LONG]["sv"]}, session) in server.emitted


def test_text_is_cleaned_and_masked_before_rasa_sees_it(channel):
    server, received = channel
    server.call("user_uttered", "sid", {"message": "min kod\ud800 kom inte, 19850312–4432"})
    assert received[0].text == "min kod kom inte, [personnummer]"
