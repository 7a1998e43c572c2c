"""Deleting one conversation now (assistant/retention.py): gone from the tracker store, the
store's cache and every console table about it, in SQLite and PostgreSQL alike, and never
written back by a message that was being answered when the deletion came."""
import asyncio

import sqlalchemy as sa
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

from assistant.console import conversations, corrections
from assistant.retention import delete_conversation
from assistant.tracker_store import open_tracker_store
from tests import stored_events as ev
from tests.conftest import ROOT
from tests.console.conftest import database, engine  # noqa: F401 -- the fixtures: SQLite and PostgreSQL
from tests.helpers import store_conversations, stored_about

DOMAIN = Domain.load(str(ROOT / "domain.yml"))
REFERENCE = "K7QF-4MXA"


def test_a_deleted_conversation_leaves_nothing_in_the_store_or_the_console(database):
    endpoints, engine = database
    store_conversations(endpoints, {"mine": ev.handed_off_with_reference(REFERENCE),
                                    "someone else's": ev.handed_off_with_reference("CDEF-HKMN")})
    conversations.catch_up(engine)
    for sender in ("mine", "someone else's"):
        found = conversations.by_reference(engine, REFERENCE if sender == "mine" else "CDEF-HKMN")
        conversations.set_review(engine, found["id"], True, "phone, urgent", "lea")
        message = conversations.transcript(engine, found)[0]
        corrections.queue(engine, found["id"], message.event_id, "sv", message.text, "no_email", "lea")
    before = stored_about(engine, "mine")
    assert before["events"] and before["index"] == 1 and before["messages"] and before["corrections"] == 1

    tracker_store = open_tracker_store(endpoints)
    tracker_store.domain = DOMAIN

    async def run():
        await tracker_store.retrieve("mine")  # now in the store's memory too
        found = await delete_conversation(tracker_store, InMemoryLockStore(), "mine")
        in_memory = "mine" in tracker_store._trackers
        return found, in_memory, await tracker_store.retrieve("mine"), await delete_conversation(
            tracker_store, InMemoryLockStore(), "mine")

    found, in_memory, after, again = asyncio.run(run())

    assert found and not again
    assert not in_memory and after is None
    assert stored_about(engine, "mine") == {"events": 0, "index": 0, "messages": 0, "corrections": 0}
    assert conversations.by_reference(engine, REFERENCE) is None  # the reference stops working
    assert stored_about(engine, "someone else's") == before  # the other conversation is untouched
    # The console's next run does not bring it back.
    conversations.catch_up(engine)
    assert stored_about(engine, "mine")["index"] == 0


def test_a_message_being_answered_cannot_write_the_conversation_back(database):
    """The deletion waits for the conversation's lock, which Rasa holds while it answers a
    message; without it, the answer's save would store the whole conversation again."""
    endpoints, _ = database
    tracker_store = open_tracker_store(endpoints)
    tracker_store.domain = DOMAIN
    locks = InMemoryLockStore()

    async def run():
        tracker = await tracker_store.get_or_create_tracker("mine")
        tracker.update(UserUttered("jag får inget mejl", {"name": "no_email", "confidence": 0.9}))
        await tracker_store.save(tracker)
        answered = asyncio.Event()
        deleted = []

        async def answer_a_message():
            async with locks.lock("mine"):  # as Rasa's Agent.handle_message
                in_flight = await tracker_store.retrieve("mine")
                await asyncio.sleep(0.3)  # the deletion is asked for meanwhile
                in_flight.update(ActionExecuted("utter_no_email_check_spam"))
                in_flight.update(BotUttered("Titta i skräpposten."))
                await tracker_store.save(in_flight)
                answered.set()

        async def delete_meanwhile():
            await asyncio.sleep(0.1)
            deleted.append(await delete_conversation(tracker_store, locks, "mine"))
            deleted.append(answered.is_set())  # it waited for the answer

        await asyncio.gather(answer_a_message(), delete_meanwhile())
        return deleted, await tracker_store.retrieve("mine")

    (found, waited), after = asyncio.run(run())
    assert found and waited
    assert after is None


def test_rasas_in_memory_store_deletes_too():
    store = InMemoryTrackerStore(DOMAIN)

    async def run():
        tracker = await store.get_or_create_tracker("mine")
        tracker.update(UserUttered("hej"))
        await store.save(tracker)
        return await delete_conversation(store, InMemoryLockStore(), "mine"), await store.retrieve("mine")

    found, after = asyncio.run(run())
    assert found and after is None


def test_an_index_row_left_by_a_deletion_during_indexing_shows_nothing(database):
    """The console indexed the conversation in the moment it was being deleted: its row may
    outlive the events until the next retention run, but the reference finds nothing."""
    endpoints, engine = database
    store_conversations(endpoints, {"mine": ev.handed_off_with_reference(REFERENCE)})
    conversations.catch_up(engine)
    found = conversations.by_reference(engine, REFERENCE)
    with engine.begin() as connection:  # the events go, the index row stays
        connection.execute(sa.text("DELETE FROM events WHERE sender_id = 'mine'"))
    assert conversations.by_reference(engine, REFERENCE) is None
    assert conversations.find(engine, found["id"]) is None


def test_a_conversation_stored_after_a_deletion_is_indexed(database):
    """SQLite hands the ids of deleted newest events out again: the console's index must read
    them, as after the retention job."""
    endpoints, engine = database
    store_conversations(endpoints, {"old": [ev.user("gammalt", "greet", 0.9)]})
    conversations.catch_up(engine)
    store_conversations(endpoints, {"newest": [ev.user("nyast", "greet", 0.9), ev.user("igen", "greet", 0.9)]})
    conversations.catch_up(engine)
    tracker_store = open_tracker_store(endpoints)
    tracker_store.domain = DOMAIN
    asyncio.run(delete_conversation(tracker_store, InMemoryLockStore(), "newest"))
    # The next conversation takes the deleted ids, the one after it a new one.
    store_conversations(endpoints, {"after": [ev.user("efteråt", "greet", 0.9), ev.user("sedan", "greet", 0.9)]})
    store_conversations(endpoints, {"later": [ev.user("senare", "greet", 0.9)]})
    conversations.catch_up(engine)
    assert stored_about(engine, "after")["index"] == 1 and stored_about(engine, "later")["index"] == 1
