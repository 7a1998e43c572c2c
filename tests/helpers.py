"""Helpers shared by test modules (fixtures live in the conftest files): what the assistant's
replies must hold, a socket.io chat client, the stored conversations, personal data as typed."""
import asyncio
import json
import re
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
import requests
import socketio
import yaml

from actions.handoff import REFERENCE_ALPHABET
from assistant.language import detect_language
from assistant.processes import Process, reachable, wait_for
from assistant.privacy import EMAIL as EMAIL_PLACEHOLDER
from assistant.privacy import PERSONAL_NUMBER as PERSONAL_NUMBER_PLACEHOLDER
from assistant.privacy import PHONE as PHONE_PLACEHOLDER

QUIET_SECONDS = 2

# ----- servers

@dataclass
class Bot:
    url: str
    server_log: Path
    endpoints: Path  # the server's endpoints.yml: its action server and SQLite tracker store
    tracker_db: Path
    # The origins the Rasa server answers browsers from (CORS): the demo chat page's, and
    # another site's that embeds the widget.
    chat_site_port: int
    embedding_site_port: int
    chat_secret: str = ""  # the server's CHAT_SESSION_SECRET, for a console beside it

    @property
    def console_settings(self) -> Dict[str, str]:
        """What a console needs to ask this server to delete a conversation."""
        return {"ASSISTANT_URL": self.url, "CHAT_SESSION_SECRET": self.chat_secret}

    @property
    def webhook(self) -> str:
        return f"{self.url}/webhooks/rest/webhook"

    def post(self, body: Any) -> requests.Response:
        return requests.post(self.webhook, json=body, timeout=30)

    def say(self, sender: str, text: str, metadata: Optional[Dict] = None) -> List[Dict]:
        body: Dict[str, Any] = {"sender": sender, "message": text}
        if metadata is not None:
            body["metadata"] = metadata
        response = self.post(body)
        assert response.status_code == 200, response.text
        return response.json()


@contextmanager
def failing_if_not_started() -> Iterator[None]:
    """A server that does not start fails the test with its log (not an error of the test)."""
    try:
        yield
    except RuntimeError as error:
        pytest.fail(str(error))


def started(check, processes: List[Process], what: str) -> None:
    """assistant.processes.wait_for, failing the test with the server's log."""
    with failing_if_not_started():
        wait_for(check, processes, what)


def require_services(services: Dict[str, Any]) -> None:
    """Skip, saying which, where PostgreSQL or Redis does not answer."""
    for name, prefix, (host, port) in (("PostgreSQL", "POSTGRES", services["postgres"]),
                                       ("Redis", "REDIS", services["redis"])):
        if not reachable(host, port):
            pytest.skip(f"{name} is not reachable at {host}:{port}: the scaled-profile tests need it "
                        f"(set {prefix}_HOST/_PORT to one that runs).")


# ----- replies

PHONE = "0771-235 235"
# A handoff reference as the assistant writes it (actions/handoff.py).
HANDOFF_REFERENCE = re.compile(rf"\b[{REFERENCE_ALPHABET}]{{4}}-[{REFERENCE_ALPHABET}]{{4}}\b")
HANDOFF_MENU = {
    "sv": ["knappval 1 till Kontaktcenter", "knappval 7 till teknisk support", "Ring oss"],
    "en": ["Choose 1 for Kontaktcenter", "choose 7 for technical support", "Ring oss"],
}


def texts(replies):
    return [reply.get("text", "") for reply in replies]


def joined(replies):
    return "\n".join(texts(replies))


def assert_in_language(replies, language):
    assert replies, "the bot did not answer"
    for text in texts(replies):
        assert detect_language(text) == language, text


def assert_handoff(replies, language):
    answer = joined(replies)
    assert PHONE in answer
    for part in HANDOFF_MENU[language]:
        assert part in answer


# ----- the stored conversations (the e2e servers' SQLite store)

def user_texts_in_store(bot, sender: str) -> List[str]:
    with sqlite3.connect(bot.tracker_db) as db:
        rows = db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'user'", (sender,)
        ).fetchall()
    return [json.loads(data)["text"] for (data,) in rows]


# ----- socket.io

class Chat:
    """A socket.io client as a chat widget uses it, over long polling (the websocket
    transport of this python-engineio needs a newer aiohttp)."""

    def __init__(self, bot, origin: Optional[str] = None) -> None:
        self.bot, self.origin = bot, origin
        self.client = socketio.AsyncClient()
        self.replies: asyncio.Queue = asyncio.Queue()
        self.confirmed: asyncio.Queue = asyncio.Queue()
        self.client.on("bot_uttered", self.replies.put_nowait)
        self.client.on("session_confirm", self.confirmed.put_nowait)
        self.token = ""

    async def open(self, **session_request) -> str:
        headers = {"Origin": self.origin} if self.origin else {}
        await self.client.connect(self.bot.url, headers=headers, transports=["polling"])
        await self.client.emit("session_request", session_request)
        self.token = await asyncio.wait_for(self.confirmed.get(), timeout=30)
        return self.token

    async def say(self, text: str, **claims) -> List[Dict]:
        await self.client.emit("user_uttered", {"message": text, "session_id": self.token, **claims})
        first = await asyncio.wait_for(self.replies.get(), timeout=30)
        return [first] + await self.heard()

    async def heard(self) -> List[Dict]:
        """What arrives until the line is quiet."""
        received = []
        try:
            while True:
                received.append(await asyncio.wait_for(self.replies.get(), QUIET_SECONDS))
        except asyncio.TimeoutError:
            return received

    async def close(self) -> None:
        # Not client.disconnect(): with long polling it waits for the server's next ping.
        await self.client.eio.disconnect(abort=True)


# ----- the staff console

CONSOLE_PASSWORDS = {"admin": "ada-secret-phrase-1", "lead": "lea-secret-phrase-22", "agent": "aga-secret-phrase-333"}


def sqlite_endpoints(folder: Path) -> Path:
    """An endpoints.yml whose tracker store (and so the console's database) is a SQLite file
    in `folder`."""
    path = folder / "endpoints.yml"
    path.write_text(yaml.safe_dump({"tracker_store": {
        "type": "assistant.tracker_store.RecentEventsSQLTrackerStore", "dialect": "sqlite",
        "db": str(folder / "conversations.db")}}), encoding="utf-8")
    return path


def postgres_endpoints(folder: Path, server: Any, database: str) -> Path:
    path = folder / "endpoints.yml"
    path.write_text(yaml.safe_dump({"tracker_store": {
        "type": "assistant.tracker_store.RecentEventsSQLTrackerStore", "dialect": "postgresql",
        "url": server[0], "port": server[1], "db": database, "username": "postgres", "login_db": "postgres"}}),
        encoding="utf-8")
    return path


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(browser: requests.Session, url: str, username: str, password: str) -> requests.Response:
    form = browser.get(f"{url}/sign-in")
    return browser.post(f"{url}/sign-in", data={"csrf_token": csrf_token(form.text), "username": username,
                                                "password": password, "next": ""})


@contextmanager
def serving_console(folder: Path, endpoints: Path, settings: Optional[Dict[str, str]] = None) -> Iterator[str]:
    """`python -m assistant.console serve` on a free port, as `make run` starts it: its URL."""
    import sys

    from assistant.processes import free_port, start

    port = free_port()
    process = start("console", [sys.executable, "-m", "assistant.console", "--endpoints", str(endpoints), "serve",
                                "--port", str(port)], folder, settings or {})
    url = f"http://127.0.0.1:{port}"
    try:
        started(lambda: requests.get(f"{url}/sign-in", timeout=5).ok, [process], "The staff console")
        yield url
    finally:
        process.stop()


def store_conversation(endpoints: Path, sender: str, events: List[Dict]) -> None:
    """Keep a conversation (events as dicts, tests/stored_events.py) in the tracker store of
    `endpoints`, as the Rasa server keeps it."""
    store_conversations(endpoints, {sender: events})


def store_conversations(endpoints: Path, conversations: Dict[str, List[Dict]]) -> None:
    """Keep several conversations (sender -> events), through one tracker store."""
    from rasa.shared.core.events import Event
    from rasa.shared.core.trackers import DialogueStateTracker

    from assistant.tracker_store import open_tracker_store

    store = open_tracker_store(endpoints)

    async def save_all() -> None:
        for sender, events in conversations.items():
            await store.save(DialogueStateTracker.from_events(sender, [Event.from_parameters(e) for e in events]))

    asyncio.run(save_all())
    store.engine.dispose()


# The conversations the console's tests find (tests/stored_events.py): their senders and what
# the tests look for in them.
SEEDED_REFERENCE = "K7QF-4MXA"
SEEDED_FALLBACK_TEXT = "my application page is totally frozen"


def seed_conversations(endpoints: Path) -> None:
    """Three conversations of the last days: a Swedish one handed off with SEEDED_REFERENCE, an
    English one with a fallback, an unsure Swedish one."""
    import time

    from tests import stored_events as ev

    now = time.time()
    store_conversation(endpoints, "handed-off", ev.handed_off_with_reference(SEEDED_REFERENCE, at=now - 3600))
    store_conversation(endpoints, "english-fallback", [
        ev.user(SEEDED_FALLBACK_TEXT, "nlu_fallback", 0.3, "en", at=now - 7200),
        ev.action("action_ask_rephrase_or_handoff"), ev.rewind(),
        ev.user("How do I clear cookies?", "faq", 0.97, "en", faq_key="faq/clear_cookies", at=now - 7100),
    ])
    store_conversation(endpoints, "unsure", [ev.user("kortet funkar typ inte", "card_payment_failed", 0.55,
                                                     at=now - 10 * 24 * 3600)])


@dataclass
class Console:
    url: str
    endpoints: Path
    training_data: Optional[Path] = None
    domain: Optional[Path] = None

    def signed_in(self, username: str, password: str) -> requests.Session:
        browser = requests.Session()
        assert sign_in(browser, self.url, username, password).url == f"{self.url}/", "not signed in"
        return browser


# ----- personal data

# Personal data as phones, word processors and other keyboards write them ("19850312–4432" was
# once stored in clear): the masking's unit tests and the end-to-end test of the store and the log.
TYPED_VARIANTS = [
    ("19850312–4432", PERSONAL_NUMBER_PLACEHOLDER),  # en dash
    ("19850312—4432", PERSONAL_NUMBER_PLACEHOLDER),  # em dash
    ("19850312‐4432", PERSONAL_NUMBER_PLACEHOLDER),  # Unicode hyphen
    ("19850312‑4432", PERSONAL_NUMBER_PLACEHOLDER),  # non-breaking hyphen
    ("19850312‒4432", PERSONAL_NUMBER_PLACEHOLDER),  # figure dash
    ("19850312−4432", PERSONAL_NUMBER_PLACEHOLDER),  # minus sign
    ("19850312 - 4432", PERSONAL_NUMBER_PLACEHOLDER),  # spaced dash
    ("19850312 – 4432", PERSONAL_NUMBER_PLACEHOLDER),  # spaced en dash
    ("850312 -4432", PERSONAL_NUMBER_PLACEHOLDER),
    ("19850312.4432", PERSONAL_NUMBER_PLACEHOLDER),  # a dot
    ("850312.4432", PERSONAL_NUMBER_PLACEHOLDER),
    ("19850312 4432", PERSONAL_NUMBER_PLACEHOLDER),  # no-break space
    ("１９８５０３１２－４４３２", PERSONAL_NUMBER_PLACEHOLDER),  # full-width digits and hyphen
    ("198503１２-4432", PERSONAL_NUMBER_PLACEHOLDER),  # half full-width, as an input method may leave it
    ("19850372–4432", PERSONAL_NUMBER_PLACEHOLDER),  # samordningsnummer (day 12 + 60), en dash
    ("850372 - 4432", PERSONAL_NUMBER_PLACEHOLDER),  # samordningsnummer, spaced
    ("070–123 45 67", PHONE_PLACEHOLDER),  # en dash
    ("070 – 123 45 67", PHONE_PLACEHOLDER),
    ("070—1234567", PHONE_PLACEHOLDER),
    ("+46 70−123 45 67", PHONE_PLACEHOLDER),  # minus sign
    ("＋46 70 123 45 67", PHONE_PLACEHOLDER),  # full-width plus
    ("０７０-１２３ ４５ ６７", PHONE_PLACEHOLDER),  # full-width digits
    ("070.123.45.67", PHONE_PLACEHOLDER),
    ("070 123 45 67", PHONE_PLACEHOLDER),  # narrow no-break spaces
    ("٠٧٠١٢٣٤٥٦٧", PHONE_PLACEHOLDER),  # Arabic-Indic digits
    ("08–123 456 78", PHONE_PLACEHOLDER),
    ("दीपक@उदाहरण.भारत", EMAIL_PLACEHOLDER),  # Devanagari, with its vowel signs (not word characters)
    ("Δοκιμή@παράδειγμα.δοκιμή", EMAIL_PLACEHOLDER),
    ("用户@例子.广告", EMAIL_PLACEHOLDER),
    ("josé.garcía@correo.es", EMAIL_PLACEHOLDER),
    ("ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ", EMAIL_PLACEHOLDER),  # full-width
    ("anna+migr@sub.example.co.uk", EMAIL_PLACEHOLDER),
]


def stored_about(engine: Any, sender: str) -> Dict[str, int]:
    """What the database holds about a conversation: its events, and the console's rows (the
    index, its messages, its corrections)."""
    import sqlalchemy as sa

    from assistant.console.store import conversations, corrections, events, messages

    with engine.connect() as connection:
        ids = [i for (i,) in connection.execute(sa.select(conversations.c.id)
                                                .where(conversations.c.sender_id == sender))]

        def count(table, condition) -> int:
            return connection.execute(sa.select(sa.func.count()).select_from(table).where(condition)).scalar()

        return {"events": count(events, events.c.sender_id == sender), "index": len(ids),
                "messages": count(messages, messages.c.conversation_id.in_(ids)),
                "corrections": count(corrections, corrections.c.conversation_id.in_(ids))}
