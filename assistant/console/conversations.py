"""The conversations as the console shows them: an index kept beside Rasa's events table, and
the queries of the list, the transcript and the handoff look-up.

Rasa keeps a conversation as rows of JSON events; filtering 100,000 of them by "ended in a
handoff" or "had a fallback" would mean parsing them all. So the console keeps one row per
conversation (what the filters ask) and one per user message (what was understood, with what
confidence, the feedback), read by the same `read_conversation` as `make inbox` and `make stats`.
`catch_up` reads the conversations that have new events since its last run; the console runs
it every few seconds. assistant/retention.py deletes the rows of deleted conversations.
"""
import json
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from actions.handoff import normal_reference
from assistant.console.store import conversations, corrections, events, index_state, messages
from assistant.language import SUPPORTED_LANGUAGES
from assistant.privacy import mask_personal_data
from assistant.reliability import kind_and_place
from assistant.review.conversations import (FALLBACK_INTENT, HANDOFF_RESPONSE, LOW_CONFIDENCE, Conversation,
                                            read_conversation)
from assistant.review.stats import LanguageFigures

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
# Senders read per transaction: their events are read in one query.
BATCH = 500
# Event ids come from a sequence, handed out before commit: an event committed late can carry
# an id below one already read. Each run reads again the conversations of the last few ids.
LATE_COMMIT_OVERLAP = 200
MAX_TAGS_LENGTH = 300
MAX_SEARCH_LENGTH = 200

_indexing = threading.Lock()
# Ids missing below the newest one read: events still being committed (a sequence hands ids out
# before commit, so with several Rasa instances one may land after a later id), or rolled back.
# Each run reads the conversations of those that have appeared; after GAP_SECONDS one is taken
# for rolled back. A new process starts LATE_COMMIT_OVERLAP ids back, so that what was in flight
# when the last one stopped is read too. Conversations that failed (a lost connection) are
# tried again on the next runs, RETRIES times.
GAP_SECONDS = 300
RETRIES = 3


@dataclass
class _Progress:
    """What one process knows of one database beyond its index_state row."""
    started: bool = False  # a run has gone through since this process began
    gaps: Dict[int, float] = field(default_factory=dict)  # missing id -> when first missed
    failed: Dict[str, int] = field(default_factory=dict)  # sender -> failed runs


_progress: Dict[str, _Progress] = {}
# Whether an index row's conversation is still in the tracker store: a deletion
# (assistant/retention.py) may come while the index is being written.
STILL_STORED = sa.exists().where(events.c.sender_id == conversations.c.sender_id)


# ----- the index ------------------------------------------------------------------------

def _has_events(connection: Connection) -> bool:
    return sa.inspect(connection).has_table("events")


def catch_up(engine: Engine, wait: bool = True) -> int:
    """Index the conversations with events newer than the last run; how many were indexed.
    With wait=False, returns 0 at once if another run is under way."""
    if not _indexing.acquire(blocking=wait):
        return 0
    try:
        return _catch_up(engine, _progress.setdefault(str(engine.url), _Progress()))
    finally:
        _indexing.release()


def _catch_up(engine: Engine, progress: _Progress) -> int:
    now = time.monotonic()
    progress.gaps = {gap: noticed for gap, noticed in progress.gaps.items() if now - noticed <= GAP_SECONDS}
    senders = set(progress.failed)
    appeared: Dict[int, str] = {}  # gaps filled since, and by whom
    with engine.connect() as connection:
        if not _has_events(connection):
            return 0
        newest = connection.execute(sa.select(sa.func.max(events.c.id))).scalar()
        last = connection.execute(sa.select(index_state.c.last_event_id)
                                  .where(index_state.c.name == "events")).scalar()
        if last is not None and (newest is None or newest < last):
            last = None  # every event was deleted and SQLite hands out the same ids again
        if progress.gaps:
            appeared = dict(connection.execute(sa.select(events.c.id, events.c.sender_id)
                                               .where(events.c.id.in_(list(progress.gaps)))).all())
            senders.update(appeared.values())
        if newest is not None and (last is None or newest > last or not progress.started):
            if last is None:  # the first run on this database: every conversation
                senders.update(connection.execute(sa.select(events.c.sender_id).distinct()).scalars())
            # Read ids from a little before where the last process stopped (or, the first
            # time, before the newest), to see which are missing.
            start = max(0, (newest if last is None else last) - (0 if progress.started else LATE_COMMIT_OVERLAP))
            read = set()
            for event_id, sender in connection.execute(sa.select(events.c.id, events.c.sender_id)
                                                       .where(events.c.id > start, events.c.id <= newest)):
                read.add(event_id)
                senders.add(sender)
            progress.gaps.update((missing, now) for missing in range(start + 1, newest + 1)
                                 if missing not in read and missing not in progress.gaps)
    ordered = sorted(senders)
    failed = set()
    for begin in range(0, len(ordered), BATCH):
        failed |= _index_robustly(engine, ordered[begin:begin + BATCH])
    for gap, sender in appeared.items():
        if sender not in failed:
            del progress.gaps[gap]
    for sender in senders:
        if sender in failed and progress.failed.get(sender, 0) + 1 < RETRIES:
            progress.failed[sender] = progress.failed.get(sender, 0) + 1
        else:
            progress.failed.pop(sender, None)
    if newest is not None and (last is None or newest > last):
        with engine.begin() as connection:
            updated = connection.execute(index_state.update().where(index_state.c.name == "events")
                                         .values(last_event_id=newest)).rowcount
            if not updated:
                connection.execute(index_state.insert().values(name="events", last_event_id=newest))
    progress.started = True
    return len(ordered) - len(failed)


def _index_robustly(engine: Engine, senders: List[str]) -> set:
    """A batch in one transaction; if that fails, each conversation in its own, so that one
    that cannot be indexed (logged by kind and place) holds up no other. The senders that
    failed."""
    try:
        with engine.begin() as connection:
            _index(connection, senders)
        return set()
    except Exception as error:
        if len(senders) == 1:
            logger.error(f"A conversation could not be indexed: {kind_and_place(error)}")
            return set(senders)
    return set().union(*(_index_robustly(engine, [sender]) for sender in senders))


def after_retention(engine: Engine) -> None:
    """After events were deleted: the index goes on from the newest id left, so that ids
    SQLite hands out again (when the newest events were deleted) are read."""
    with engine.begin() as connection:
        if not _has_events(connection):
            return
        newest = connection.execute(sa.select(sa.func.max(events.c.id))).scalar() or 0
        connection.execute(index_state.update().where(index_state.c.name == "events",
                                                      index_state.c.last_event_id > newest)
                           .values(last_event_id=newest))


def _index(connection: Connection, senders: List[str]) -> None:
    rows = connection.execute(
        sa.select(events.c.id, events.c.sender_id, events.c.data)
        .where(events.c.sender_id.in_(senders)).order_by(events.c.sender_id, events.c.id)
    ).all()
    by_sender: Dict[str, Tuple[List[int], List[Dict]]] = {}
    for event_id, sender, data in rows:
        ids, dicts = by_sender.setdefault(sender, ([], []))
        ids.append(event_id)
        dicts.append(_parsed(data))
    known = {sender: (conversation_id, count) for sender, conversation_id, count in connection.execute(
        sa.select(conversations.c.sender_id, conversations.c.id, conversations.c.messages)
        .where(conversations.c.sender_id.in_(senders)))}
    if known:
        connection.execute(messages.delete().where(messages.c.conversation_id.in_([i for i, _ in known.values()])))
    new_messages = []
    for sender, (ids, dicts) in by_sender.items():
        conversation = read_conversation(sender, dicts)
        typed = [m for m in conversation.messages if not m.is_button]
        if not conversation.messages:
            continue  # a session start without a message yet: nothing to review
        values = _summary(conversation, typed, ids[-1])
        if sender in known:
            conversation_id, reviewed_messages = known[sender]
            if len(conversation.messages) > reviewed_messages:  # it went on: a review no longer covers it
                values.update(reviewed=False, reviewed_by=None)
            connection.execute(conversations.update().where(conversations.c.id == conversation_id).values(**values))
        else:
            conversation_id = connection.execute(
                conversations.insert().values(sender_id=sender, **values)).inserted_primary_key[0]
        feedback = {id(message): "yes" if helped else "no" for message, helped in conversation.feedback}
        new_messages += [{
            "conversation_id": conversation_id, "event_id": ids[m.position], "at": m.timestamp,
            # `intent`: what it was taken for, behind a fallback the best guess; `topic`: as make
            # stats counts it (nlu_fallback for a fallback).
            "language": m.language[:8], "text": _shown(m.text), "intent": m.predicted[:255],
            "topic": m.topic[:255], "confidence": m.confidence, "not_understood": m.not_understood,
            "is_button": m.is_button, "feedback": feedback.get(id(m)), "written_in": m.written_in,
        } for m in conversation.messages]
    if new_messages:
        connection.execute(messages.insert(), new_messages)
    # A conversation deleted since its events were read above (assistant/retention.py) must
    # not come back through the rows just written: read again, at the end of the transaction.
    gone = sa.select(conversations.c.id).where(conversations.c.sender_id.in_(senders), ~STILL_STORED)
    if connection.execute(gone.limit(1)).first() is not None:
        from assistant.retention import delete_console_rows

        delete_console_rows(connection, gone.scalar_subquery())


def _shown(text: str) -> str:
    """Text as the console keeps and shows it: personal data masked (also in what was stored
    before masking existed), no NUL (which PostgreSQL's text columns refuse)."""
    return mask_personal_data(str(text)).replace("\x00", "")


def _parsed(data: Optional[str]) -> Dict:
    try:
        parsed = json.loads(data or "{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _summary(conversation: Conversation, typed: List, last_event_id: int) -> Dict[str, Any]:
    first = conversation.messages[0]
    reference = conversation.handoff_reference
    return {
        "started_at": first.timestamp, "last_at": conversation.messages[-1].timestamp,
        "language": (conversation.language or first.language)[:8], "messages": len(conversation.messages),
        "handoff": conversation.handoff,
        "fallback": any(m.not_understood for m in conversation.messages),
        "unhelpful": any(not helped for _, helped in conversation.feedback),
        "low_confidence": any(not m.not_understood and m.confidence < LOW_CONFIDENCE for m in typed),
        "search_text": "\n".join(_shown(m.text) for m in typed).casefold(),
        "handoff_reference": reference[:16] if reference else None,
        "last_event_id": last_event_id,
    }


def events_stored(engine: Engine, sender_id: str) -> bool:
    """Whether the tracker store holds any event of the conversation."""
    with engine.connect() as connection:
        return bool(connection.execute(sa.select(sa.exists().where(events.c.sender_id == sender_id))).scalar())


# ----- the list -------------------------------------------------------------------------

FLAGS = ("handoff", "fallback", "unhelpful", "low_confidence")


@dataclass
class Filters:
    """What the list is narrowed to; every field as the form sends it, checked by `errors`."""
    since: Optional[float] = None  # started at or after (UTC)
    until: Optional[float] = None  # started before
    language: str = ""
    flags: Tuple[str, ...] = ()
    topic: str = ""
    reviewed: str = ""  # "", "yes" or "no"
    search: str = ""

    def as_query(self) -> Dict[str, Any]:
        return {"since": self.since, "until": self.until, "language": self.language, "flags": self.flags,
                "topic": self.topic, "reviewed": self.reviewed, "search": self.search}


@dataclass
class Row:
    id: int
    started_at: float
    last_at: float
    language: Optional[str]
    messages: int
    handoff: bool
    fallback: bool
    unhelpful: bool
    low_confidence: bool
    reviewed: bool
    tags: str
    first_message: str = ""
    topics: List[str] = field(default_factory=list)


def _conditions(filters: Filters, dialect: str) -> List[Any]:
    c = conversations.c
    conditions: List[Any] = []
    if filters.since is not None:
        conditions.append(c.started_at >= filters.since)
    if filters.until is not None:
        conditions.append(c.started_at < filters.until)
    if filters.language:
        conditions.append(c.language == filters.language)
    for flag in filters.flags:
        conditions.append(getattr(c, flag).is_(True))
    if filters.reviewed:
        conditions.append(c.reviewed.is_(filters.reviewed == "yes"))
    if filters.topic:
        conditions.append(sa.exists().where(messages.c.conversation_id == c.id, messages.c.topic == filters.topic))
    reference = normal_reference(filters.search) if filters.search else None
    if reference:  # a handoff reference is looked for as such
        conditions.append(c.handoff_reference == reference)
        return conditions
    # Words, or the start of words ("kort" finds "kortet"), all of them. Letters and digits
    # only: nothing of tsquery's or LIKE's syntax is left. SQLite (embedded, small) matches
    # them anywhere in a word.
    words = re.findall(r"[^\W_]+", filters.search.casefold())
    if words and dialect == "postgresql":
        conditions.append(sa.func.to_tsvector(sa.literal_column("'simple'"), c.search_text).op("@@")(
            sa.func.to_tsquery(sa.literal_column("'simple'"), " & ".join(f"{word}:*" for word in words))))
    else:
        conditions.extend(c.search_text.like(f"%{word}%") for word in words)
    return conditions


def listed(engine: Engine, filters: Filters, page: int = 1, page_size: int = PAGE_SIZE) -> Tuple[List[Row], int]:
    """One page of the conversations that match, the latest started first, and how many match."""
    c = conversations.c
    conditions = _conditions(filters, engine.dialect.name)
    with engine.connect() as connection:
        total = connection.execute(sa.select(sa.func.count()).select_from(conversations)
                                   .where(*conditions)).scalar()
        found = connection.execute(
            sa.select(c.id, c.started_at, c.last_at, c.language, c.messages, c.handoff, c.fallback, c.unhelpful,
                      c.low_confidence, c.reviewed, c.tags)
            .where(*conditions).order_by(c.started_at.desc(), c.id.desc())
            .limit(page_size).offset((page - 1) * page_size)
        ).all()
        rows = [Row(*row) for row in found]
        if rows:
            first: Dict[int, str] = {}
            topics: Dict[int, List[str]] = {}
            for conversation_id, text, topic, is_button in connection.execute(
                sa.select(messages.c.conversation_id, messages.c.text, messages.c.topic, messages.c.is_button)
                .where(messages.c.conversation_id.in_([r.id for r in rows]))
                .order_by(messages.c.conversation_id, messages.c.at, messages.c.id)
            ):
                if not is_button and conversation_id not in first:
                    first[conversation_id] = text
                seen = topics.setdefault(conversation_id, [])
                if topic not in seen and topic not in CHATTER:
                    seen.append(topic)
            for row in rows:
                row.first_message, row.topics = first.get(row.id, ""), topics.get(row.id, [])
    return rows, total


# ----- one conversation -----------------------------------------------------------------

@dataclass
class Turn:
    """One step of a transcript: a user message (with what was understood) or a reply."""
    speaker: str  # "user" or "bot"
    at: float
    text: str
    event_id: int = 0
    is_button: bool = False
    intent: str = ""
    topic: str = ""
    confidence: float = 0.0
    not_understood: bool = False
    feedback: Optional[str] = None  # the user's answer to "Did that help?" about this message
    buttons: List[str] = field(default_factory=list)
    handoff: bool = False
    correction: Optional[Dict[str, Any]] = None
    language: str = ""  # of the message, or of the conversation for a reply
    notice: bool = False  # a service notice the assistant showed (assistant/notices.py)


def find(engine: Engine, conversation_id: int) -> Optional[Dict[str, Any]]:
    with engine.connect() as connection:
        row = connection.execute(sa.select(conversations).where(conversations.c.id == conversation_id,
                                                                STILL_STORED)).mappings().first()
    return dict(row) if row else None


def by_reference(engine: Engine, reference: str) -> Optional[Dict[str, Any]]:
    with engine.connect() as connection:
        row = connection.execute(sa.select(conversations)
                                 .where(conversations.c.handoff_reference == reference, STILL_STORED)
                                 .order_by(conversations.c.last_at.desc())).mappings().first()
    return dict(row) if row else None


def transcript(engine: Engine, conversation: Dict[str, Any]) -> List[Turn]:
    """Every message and reply of a conversation in order, personal data masked."""
    with engine.connect() as connection:
        stored = connection.execute(
            sa.select(events.c.id, events.c.data).where(events.c.sender_id == conversation["sender_id"])
            .order_by(events.c.id)).all()
        understood = {row.event_id: row for row in connection.execute(
            sa.select(messages).where(messages.c.conversation_id == conversation["id"]))}
        queued = {row.event_id: dict(row) for row in connection.execute(
            sa.select(corrections).where(corrections.c.conversation_id == conversation["id"])).mappings()}
    turns: List[Turn] = []
    offered: Dict[str, str] = {}  # the latest buttons' payloads and titles
    for event_id, data in stored:
        event = _parsed(data)
        if event.get("event") == "user" and event_id in understood:
            m = understood[event_id]
            shown = offered.get(m.text, m.text) if m.is_button else m.text  # a click as its title
            turns.append(Turn("user", m.at, _shown(shown), event_id, m.is_button, m.intent, m.topic, m.confidence,
                              m.not_understood, m.feedback, correction=queued.get(event_id), language=m.language))
        elif event.get("event") == "bot":
            given = [b for b in (event.get("data") or {}).get("buttons") or [] if isinstance(b, dict)]
            buttons = [str(b.get("title") or "") for b in given]
            if given:
                offered = {str(b.get("payload") or ""): str(b.get("title") or "") for b in given}
            custom = (event.get("data") or {}).get("custom")
            notice = custom.get("notice") if isinstance(custom, dict) else None
            if isinstance(notice, dict):
                turns.append(Turn("bot", event.get("timestamp") or 0.0, _shown(str(notice.get("text") or "")),
                                  language=str(notice.get("language") or ""), notice=True))
                continue
            turns.append(Turn("bot", event.get("timestamp") or 0.0, _shown(event.get("text") or ""),
                              buttons=[_shown(b) for b in buttons], language=conversation["language"] or "",
                              handoff=(event.get("metadata") or {}).get("utter_action") == HANDOFF_RESPONSE))
    return turns


def user_message(engine: Engine, conversation_id: int, event_id: int) -> Optional[Any]:
    with engine.connect() as connection:
        return connection.execute(sa.select(messages).where(
            messages.c.conversation_id == conversation_id, messages.c.event_id == event_id)).first()


def set_review(engine: Engine, conversation_id: int, reviewed: bool, tags: str, by: str) -> None:
    with engine.begin() as connection:
        connection.execute(conversations.update().where(conversations.c.id == conversation_id).values(
            reviewed=reviewed, reviewed_by=by if reviewed else None, tags=tags))


def clean_tags(text: str) -> Optional[str]:
    """Tags as typed (separated by commas), tidied; None when too long."""
    tags: List[str] = []
    for tag in mask_personal_data(text).split(","):
        tag = " ".join(tag.split())
        if tag and tag.casefold() not in (t.casefold() for t in tags):
            tags.append(tag)
    joined = ", ".join(tags)
    return joined if len(joined) <= MAX_TAGS_LENGTH else None


# What people say around their problem: no problem of their own, no advice to try. CHATTER:
# what the list leaves out of a conversation's topics.
# Conversation control (start over, switch language) and a message in another language are
# no problem either.
CHATTER = frozenset({"greet", "goodbye", "thank", "affirm", "deny", "start_over", "switch_to_swedish",
                     "switch_to_english"})
SMALL_TALK = CHATTER | frozenset({"request_human", "bot_challenge", "out_of_scope", "other_language",
                                  FALLBACK_INTENT})


def summary_of(turns: Iterable[Turn]) -> Dict[str, Any]:
    """What a support agent needs first: what the problem was (the first topic understood, and
    the first message typed), what the assistant already suggested (the advice of each topic
    it answered), and what the user answered to "Did that help?"."""
    users = [t for t in turns if t.speaker == "user"]
    topics = [t.topic for t in users if not t.not_understood and t.topic not in SMALL_TALK]
    typed = [t.text for t in users if not t.is_button]
    return {"problem": topics[0] if topics else "", "first_message": typed[0] if typed else "",
            "tried": list(dict.fromkeys(topics)), "answers": [(t.topic, t.feedback) for t in users if t.feedback]}


# ----- figures --------------------------------------------------------------------------

def figures(engine: Engine, since: float, until: float) -> Dict[str, LanguageFigures]:
    """The figures of `make stats` (assistant/review/stats.py) for the messages of a period,
    counted in the index: conversations and handoffs by the conversation's language, messages,
    fallbacks and "Did that help?" answers by the message's."""
    result = {language: LanguageFigures() for language in SUPPORTED_LANGUAGES}
    c, m = conversations.c, messages.c
    in_period = sa.and_(m.at >= since, m.at < until)
    with engine.connect() as connection:
        for language, count, handoffs in connection.execute(
            sa.select(c.language, sa.func.count(), sa.func.sum(sa.case((c.handoff, 1), else_=0)))
            .where(sa.exists().where(m.conversation_id == c.id, in_period)).group_by(c.language)
        ):
            if language in result:
                result[language].conversations, result[language].handoffs = count, int(handoffs or 0)
        for language, topic, count, fallbacks, yes, no in connection.execute(
            sa.select(m.language, m.topic, sa.func.count(), sa.func.sum(sa.case((m.not_understood, 1), else_=0)),
                      sa.func.sum(sa.case((m.feedback == "yes", 1), else_=0)),
                      sa.func.sum(sa.case((m.feedback == "no", 1), else_=0)))
            .where(in_period).group_by(m.language, m.topic)
        ):
            if language not in result:
                continue
            figure = result[language]
            figure.messages += count
            figure.fallbacks += int(fallbacks or 0)
            figure.messages_per_topic[topic] += count
            figure.helped[topic] += int(yes or 0)
            figure.not_helped[topic] += int(no or 0)
        for language, written_in, count in connection.execute(
            sa.select(m.language, m.written_in, sa.func.count())
            .where(in_period, m.written_in.is_not(None)).group_by(m.language, m.written_in)
        ):
            if language in result:
                result[language].written_in[written_in] += count
    return result
