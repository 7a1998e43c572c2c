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
from assistant.console.store import conversations as conversation_rows, corrections as correction_rows
from assistant.console.store import messages as message_rows
from assistant.retention import delete_conversation
from assistant.tracker_store import open_tracker_store
from tests import stored_events as ev
from tests.conftest import ROOT
from tests.console.conftest import database, engine  # noqa: F401 -- the fixtures: SQLite and PostgreSQL
from tests.helpers import store_conversations

DOMAIN = Domain.load(str(ROOT / "domain.yml"))
REFERENCE = "K7QF-4MXA"


def rows(engine, sender):
    """What the database holds about `sender`: events, and the console's rows."""
    with engine.connect() as connection:
        ids = [i for (i,) in connection.execute(sa.select(conversation_rows.c.id)
                                                .where(conversation_rows.c.sender_id == sender))]
        return {
            "events": connection.execute(sa.text("SELECT count(*) FROM events WHERE sender_id = :s"),
                                         {"s": sender}).scalar(),
            "index": len(ids),
            "messages": connection.execute(sa.select(sa.func.count()).select_from(message_rows)
                                           .where(message_rows.c.conversation_id.in_(ids))).scalar(),
            "corrections": connection.execute(sa.select(sa.func.count()).select_from(correction_rows)
                                              .where(correction_rows.c.conversation_id.in_(ids))).scalar(),
        }


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
    before = rows(engine, "mine")
    assert before["events"] and before["index"] == 1 and before["messages"] and before["corrections"] == 1

    tracker_store = open_tracker_store(endpoints)
    tracker_store.domain = DOMAIN

    async def run():
        await tracker_store.retrieve("mine")  # now in the store's cache too
        found = await delete_conversation(tracker_store, InMemoryLockStore(), "mine")
        return found, await tracker_store.retrieve("mine"), await delete_conversation(
            tracker_store, InMemoryLockStore(), "mine")

    found, after, again = asyncio.run(run())

    assert found and not again
    assert after is None  # not from the cache either
    assert rows(engine, "mine") == {"events": 0, "index": 0, "messages": 0, "corrections": 0}
    assert conversations.by_reference(engine, REFERENCE) is None  # the reference stops working
    assert rows(engine, "someone else's") == before  # the other conversation is untouched
    # The console's next run does not bring it back.
    conversations.catch_up(engine)
    assert rows(engine, "mine")["index"] == 0


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
