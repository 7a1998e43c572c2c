"""Service notices: what support leads post in the console (a disruption of SMS delivery, say)
and the assistant shows before its answers while the notice is on.

One place inserts them, for every response of every action (assistant/rasa_patches.py calls
`insert` with the events of each action before Rasa logs and sends them):

- a notice for every topic: before the first answer of a conversation;
- a notice for some topics: before the first answer to a message about one of them.

Each notice is shown at most once in a conversation, in its language (Swedish unless the
conversation is in English), as a message of its own: a BotUttered event whose `custom` payload
is {"notice": {"id", "text", "language"}} and whose metadata names the notice, so the chat
widget shows it apart from the answers (web/widget/) and the console's transcript shows it as a
notice. A notice that cannot be read (the database away, the console's tables not made yet)
means no notice, never a failed answer.
"""
import logging
import time
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, List, Optional

import sqlalchemy as sa

from assistant.language import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES
from assistant.reliability import kind_and_place

logger = logging.getLogger(__name__)

NOTICE_KEY = "notice"
# How long a server keeps the active notices before it asks the database again.
CACHE_SECONDS = 10.0
TEXT_LIMIT = 600


@dataclass(frozen=True)
class Notice:
    id: int
    text: Dict[str, str]  # by language
    topics: FrozenSet[str]  # empty: every topic
    starts_at: float
    ends_at: float

    def concerns(self, topic: Optional[str]) -> bool:
        return bool(topic) and topic in self.topics


def read_active(engine: Any, now: Optional[float] = None) -> List[Notice]:
    from assistant.console.store import notices

    now = time.time() if now is None else now
    with engine.connect() as connection:
        rows = connection.execute(sa.select(notices).where(notices.c.starts_at <= now, notices.c.ends_at > now)
                                  .order_by(notices.c.starts_at, notices.c.id))
        return [Notice(row.id, {"sv": row.text_sv, "en": row.text_en}, frozenset(row.topics.split()),
                       row.starts_at, row.ends_at) for row in rows]


class ActiveNotices:
    """The notices in force, read at most every CACHE_SECONDS from the console's database."""

    def __init__(self, cache_seconds: float = CACHE_SECONDS) -> None:
        self.cache_seconds = cache_seconds
        self._read_at = -1e9
        self._found: List[Notice] = []

    def get(self, engine: Any) -> List[Notice]:
        if engine is None:
            return []
        now = time.monotonic()
        if now - self._read_at >= self.cache_seconds:
            self._read_at = now
            try:
                self._found = read_active(engine)
            except Exception as error:  # no notices rather than no answer
                logger.warning(f"Reading the service notices failed: {kind_and_place(error)}")
                self._found = []
        return [notice for notice in self._found if notice.ends_at > time.time()]


def _session(tracker: Any) -> List[Any]:
    """The events of the conversation's current session."""
    events = list(tracker.events)
    for position in range(len(events) - 1, -1, -1):
        if type(events[position]).__name__ == "SessionStarted":
            return events[position + 1:]
    return events


def topic_of(parse_data: Dict) -> Optional[str]:
    """What a message was about: its intent, or for a question from the page the answer picked."""
    intent = (parse_data.get("intent") or {}).get("name")
    if intent == "faq":
        selected = ((parse_data.get("response_selector") or {}).get("faq") or {}).get("response") or {}
        return selected.get("intent_response_key") or intent
    return intent


def notice_event(notice: Notice, language: str) -> Any:
    from rasa.shared.core.events import BotUttered

    text = notice.text.get(language) or notice.text[DEFAULT_LANGUAGE]
    return BotUttered(None, {"custom": {NOTICE_KEY: {"id": notice.id, "text": text, "language": language}}},
                      {NOTICE_KEY: notice.id})


def insert(events: List[Any], tracker: Any, active: List[Notice]) -> None:
    """Put the notices due before the first answer among `events` (an action's) in front of it."""
    from rasa.shared.core.events import BotUttered, UserUttered

    first_answer = next((i for i, event in enumerate(events) if isinstance(event, BotUttered)), None)
    if first_answer is None or not active:
        return
    session = _session(tracker)
    shown = {event.metadata.get(NOTICE_KEY) for event in session if isinstance(event, BotUttered) and event.metadata}
    answered_before = any(isinstance(event, BotUttered) for event in session)
    latest_user = next((i for i in range(len(session) - 1, -1, -1) if isinstance(session[i], UserUttered)), None)
    answered_this_message = latest_user is not None and any(
        isinstance(event, BotUttered) for event in session[latest_user + 1:])
    topic = topic_of(session[latest_user].parse_data) if latest_user is not None else None
    due = []
    for notice in active:
        if notice.id in shown:
            continue
        if not notice.topics and not answered_before:
            due.append(notice)
        elif notice.concerns(topic) and not answered_this_message:
            due.append(notice)
    language = tracker.get_slot("language") if hasattr(tracker, "get_slot") else None
    language = language if language in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE
    events[first_answer:first_answer] = [notice_event(notice, language) for notice in due]
