"""Rasa's SQL tracker store, made to answer the 200th message of a conversation as fast as
the first.

Rasa rebuilds a conversation from all its stored events on every message, and every policy
then walks all of them, several times per message: at the 200th message a reply took six
times as long as at the first (measured by `make bench`). This store
- hands out trackers holding only the last `recent_events` events (Rasa's own
  `max_event_history`); the policies look back 8 steps (config.yml), and slots and the rest
  of the state are still computed from every event of the session;
- keeps the trackers of the latest `cached_conversations` conversations in memory, and hands
  one out again only while its last event is the last event stored for that conversation:
  one indexed query instead of reading and replaying the session. A conversation another
  Rasa instance went on with, one whose last message failed before it was saved, and one
  deleted by the retention job, are all read from the database again.

Everything is stored as before; tools that read a whole conversation (`retrieve_full_tracker`)
get it whole. Rasa's SQL store finds the events to save by counting the stored ones, which a
shortened tracker would defeat; this one saves what comes after the last stored event.
"""
import json
import os
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import Any, Iterator, List, Optional, Text

import sqlalchemy as sa
import sqlalchemy.orm
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

# Some 7 turns, well beyond the 8 dialogue steps the policies look back on.
DEFAULT_RECENT_EVENTS = 50
DEFAULT_CACHED_CONVERSATIONS = 1000


class RecentEventsSQLTrackerStore(SQLTrackerStore):
    def __init__(
        self,
        *args: Any,
        recent_events: int = DEFAULT_RECENT_EVENTS,
        cached_conversations: int = DEFAULT_CACHED_CONVERSATIONS,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name != "sqlite":
            # A database server restarted, or a network path cut and restored, leaves dead
            # connections in the pool; test each before use instead of failing one message.
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self.recent_events = int(recent_events)
        self.cached_conversations = int(cached_conversations)
        self._trackers: "OrderedDict[Text, DialogueStateTracker]" = OrderedDict()
        # What the running save() stores: Rasa's save() asks _additional_events() for it.
        self._saved_now: List = []

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The latest conversation session, as Rasa's, keeping only its recent events."""
        with self.session_scope() as session:
            cached = self._trackers.pop(sender_id, None)
            if cached is not None and self._holds_last_stored_event(session, cached):
                self._remember(cached)
                return cached
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).all()
            events = [json.loads(row.data) for row in rows]
        if not (self.domain and events):
            return None
        tracker = DialogueStateTracker.from_dict(
            sender_id, events, self.domain.slots, max_event_history=self.recent_events
        )
        self._remember(tracker)
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        self._trackers.pop(tracker.sender_id, None)
        await super().save(tracker)
        # A session that started in this message is read afresh, from its start, as Rasa does.
        if not any(isinstance(event, SessionStarted) for event in self._saved_now):
            self._remember(tracker)

    def forget_cached_conversations(self) -> None:
        """After a model swap: the cached trackers hold the old domain's slots."""
        self._trackers.clear()

    def forget_conversation(self, sender_id: Text) -> None:
        """After the conversation was deleted (assistant/retention.py)."""
        self._trackers.pop(sender_id, None)

    def _remember(self, tracker: DialogueStateTracker) -> None:
        self._trackers[tracker.sender_id] = tracker
        while len(self._trackers) > self.cached_conversations:
            self._trackers.popitem(last=False)

    def _last_stored(self, session: Any, sender_id: Text) -> Any:
        return (
            session.query(self.SQLEvent.type_name, self.SQLEvent.timestamp)
            .filter(self.SQLEvent.sender_id == sender_id)
            .order_by(self.SQLEvent.id.desc())
            .first()
        )

    def _holds_last_stored_event(self, session: Any, tracker: DialogueStateTracker) -> bool:
        last = self._last_stored(session, tracker.sender_id)
        return bool(tracker.events) and last is not None and _is(tracker.events[-1], last)

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        """The tracker's events after the last one stored for its conversation."""
        self._saved_now = self._events_after_last_stored(session, tracker)
        return iter(self._saved_now)

    def _events_after_last_stored(self, session: Any, tracker: DialogueStateTracker) -> List:
        last = self._last_stored(session, tracker.sender_id)
        events: List = list(tracker.events)
        if last is None:
            return events
        for position in range(len(events) - 1, -1, -1):
            if _is(events[position], last):
                return events[position + 1:]
        if len(events) < self.recent_events:
            # A tracker that was never shortened and holds none of the stored events (one
            # rebuilt by hand, say): Rasa's own rule, count the session's stored events.
            return list(super()._additional_events(session, tracker))
        # Saving anything here could store events twice or skip some; refuse loudly.
        raise RuntimeError(
            f"Conversation {tracker.sender_id!r} changed by more than {self.recent_events} "
            f"events at once; not saved."
        )


def _is(event: Any, stored: Any) -> bool:
    return event.type_name == stored.type_name and event.timestamp == stored.timestamp


def open_tracker_store(endpoints: Optional[Path] = None) -> TrackerStore:
    """The tracker store that an endpoints.yml configures (in memory if it names none), for
    the tools that read or delete stored conversations (the review tools, the retention job):
    by default that of the profile ASSISTANT_PROFILE names, the scaled profile's with its
    settings from the environment or their defaults."""
    from assistant.deployment import use_profile_settings  # the launcher's settings, not at Rasa's import

    endpoints = endpoints or use_profile_settings(os.environ)
    use_profile_settings(os.environ)  # an endpoints file of the scaled profile needs its settings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Rasa 3.6 uses SQLAlchemy APIs it deprecated since
        return TrackerStore.create(read_endpoint_config(str(endpoints), "tracker_store"), Domain.empty())
