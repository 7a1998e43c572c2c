"""The tracker store: long conversations read in a window, nothing lost or stored twice,
and several Rasa instances on one database never see an old state."""
import asyncio
import sqlite3
import time

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered

from assistant.tracker_store import RecentEventsSQLTrackerStore
from tests.conftest import ROOT

DOMAIN = Domain.load(str(ROOT / "domain.yml"))
RECENT = 20


@pytest.fixture
def database(tmp_path):
    return tmp_path / "conversations.db"


def store(database, **settings):
    return RecentEventsSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(database),
                                       recent_events=RECENT, **settings)


def stored_events(database, sender):
    with sqlite3.connect(database) as db:
        return [(kind, ts) for kind, ts in db.execute(
            "SELECT type_name, timestamp FROM events WHERE sender_id = ? ORDER BY id", (sender,))]


def turn(number):
    return [UserUttered(f"fråga {number}", {"name": "no_email", "confidence": 0.9}),
            ActionExecuted("utter_no_email_check_spam"),
            BotUttered(f"svar {number}", metadata={"utter_action": "utter_no_email_check_spam"}),
            ActionExecuted("action_listen")]


async def say(tracker_store, sender, number):
    """One message as Rasa's processor handles it: read, add the turn's events, save."""
    tracker = await tracker_store.get_or_create_tracker(sender)
    for event in turn(number):
        tracker.update(event)
    await tracker_store.save(tracker)
    return tracker


async def start(tracker_store, sender):
    tracker = await tracker_store.get_or_create_tracker(sender)
    for event in [ActionExecuted("action_session_start"), SessionStarted(),
                  SlotSet("language", "en"), ActionExecuted("action_listen")]:
        tracker.update(event)
    await tracker_store.save(tracker)


def test_a_long_conversation_is_stored_whole_but_handed_out_recent(database):
    async def run():
        tracker_store = store(database)
        await start(tracker_store, "long")
        for number in range(30):
            await say(tracker_store, "long", number)
        return await store(database).retrieve("long"), await tracker_store.retrieve_full_tracker("long")

    recent, full = asyncio.run(run())
    stored = stored_events(database, "long")
    assert len(stored) == 1 + 4 + 30 * 4  # a new tracker's listen, the session start, 30 turns
    assert len(set(stored)) == len(stored)  # nothing stored twice
    assert len(recent.events) == RECENT
    assert recent.latest_message.text == "fråga 29"
    # Set at the start, long out of the window: still the conversation's state.
    assert recent.get_slot("language") == "en"
    assert len(full.events) == len(stored)


def test_another_instance_s_messages_are_seen(database):
    async def run():
        first, second = store(database), store(database)
        await start(first, "shared")
        await say(first, "shared", 1)
        await say(second, "shared", 2)  # the next message reached the other instance
        await say(first, "shared", 3)
        return await first.retrieve("shared")

    tracker = asyncio.run(run())
    texts = [event.text for event in tracker.events if isinstance(event, UserUttered)]
    assert texts == ["fråga 1", "fråga 2", "fråga 3"]
    assert len(stored_events(database, "shared")) == 1 + 4 + 3 * 4


def test_a_message_that_failed_before_saving_leaves_no_trace(database):
    async def run():
        tracker_store = store(database)
        await start(tracker_store, "failed")
        await say(tracker_store, "failed", 1)
        tracker = await tracker_store.retrieve("failed")
        tracker.update(UserUttered("halvfärdig", {"name": "deny", "confidence": 0.9}))
        # ... and the server failed here, before saving.
        return await tracker_store.retrieve("failed")

    tracker = asyncio.run(run())
    assert tracker.latest_message.text == "fråga 1"


def test_a_deleted_conversation_is_gone_for_the_server_too(database):
    async def run():
        tracker_store = store(database)
        await start(tracker_store, "deleted")
        await say(tracker_store, "deleted", 1)
        with sqlite3.connect(database) as db:  # the retention job, in another process
            db.execute("DELETE FROM events WHERE sender_id = 'deleted'")
        return await tracker_store.retrieve("deleted")

    assert asyncio.run(run()) is None


def test_a_new_session_is_read_from_its_start(database):
    async def run():
        tracker_store = store(database)
        await start(tracker_store, "sessions")
        await say(tracker_store, "sessions", 1)
        time.sleep(0.01)  # sessions are told apart by their start time
        await start(tracker_store, "sessions")  # after an hour away, say
        return await tracker_store.retrieve("sessions")

    tracker = asyncio.run(run())
    assert [type(event).__name__ for event in tracker.events][:1] == ["SessionStarted"]
    assert not any(isinstance(event, UserUttered) for event in tracker.events)


def test_the_memory_holds_only_the_latest_conversations(database):
    async def run():
        tracker_store = store(database, cached_conversations=2)
        for sender in ("a", "b", "c"):
            await start(tracker_store, sender)
            await say(tracker_store, sender, 1)
        return list(tracker_store._trackers)

    assert asyncio.run(run()) == ["b", "c"]
