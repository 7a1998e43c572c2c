"""Deletion of conversations: after the retention period, and at once when their owner asks.

The one place that knows everything a conversation leaves behind: its events in the tracker
store, the store's cached trackers, and the staff console's rows about it (the index the
console lists and searches, with its tags and handoff reference, its messages, and the
corrections queued from it).

Conversations are kept (with personal data masked) so that support leads can review them;
after RETENTION_DAYS without a new message they are deleted whole. `delete_conversation`
deletes one now: the applicant's "Delete the conversation" in the chat, or a support agent's
for an applicant who asks by phone (assistant/channels/own_conversation.py). The staff
console's own records go by the retention job: audit-log entries after
CONSOLE_AUDIT_RETENTION_DAYS (365), expired sign-in sessions at once, the console's index rows
and corrections of deleted conversations with them. `make run` runs this at every start; a server that runs for weeks
should run it daily (cron, a systemd timer):

    python -m assistant.retention [--endpoints endpoints.yml] [--days 30]
"""
import argparse
import time
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy import text

RETENTION_DAYS = 30

_DELETE_ENDED_BEFORE = text(
    "DELETE FROM events WHERE sender_id IN ("
    " SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :cutoff)"
)


def delete_old_conversations(tracker_store, days: int = RETENTION_DAYS, now: float = None) -> int:
    """Delete every conversation of an SQL tracker store whose last event is older than
    `days`; returns how many events were deleted."""
    cutoff = (time.time() if now is None else now) - days * 24 * 3600
    with tracker_store.session_scope() as session:
        deleted = session.execute(_DELETE_ENDED_BEFORE, {"cutoff": cutoff}).rowcount
        session.commit()
    return deleted


async def delete_conversation(tracker_store: Any, lock_store: Any, sender_id: str) -> bool:
    """Delete one conversation now, everywhere; whether the store had it. Under the
    conversation's lock (Rasa's lock store, which every message of it holds while it is
    answered), so that a message in flight cannot save it back afterwards."""
    store = getattr(tracker_store, "_tracker_store", tracker_store)  # Rasa's awaitable wrapper
    async with lock_store.lock(sender_id):
        if isinstance(store, SQLTrackerStore):
            with store.session_scope() as session:
                found = session.execute(_DELETE_CONVERSATION, {"sender_id": sender_id}).rowcount > 0
                session.commit()
            _delete_console_records_of(store.engine, sender_id)
        else:  # Rasa's InMemoryTrackerStore, which keeps serialised trackers in a dict
            found = getattr(store, "store", {}).pop(sender_id, None) is not None
        forget = getattr(store, "forget_conversation", None)
        if forget is not None:
            forget(sender_id)
    return found


_DELETE_CONVERSATION = text("DELETE FROM events WHERE sender_id = :sender_id")


def _delete_console_records_of(engine: Any, sender_id: str) -> None:
    """The console's rows about one conversation, if the console keeps tables here."""
    from assistant.console import conversations as index
    from assistant.console.store import conversations

    with engine.begin() as connection:
        if not sa.inspect(connection).has_table(conversations.name):
            return
        delete_console_rows(connection, sa.select(conversations.c.id)
                             .where(conversations.c.sender_id == sender_id).scalar_subquery())
    index.after_retention(engine)  # SQLite hands the ids of deleted newest events out again


def delete_console_records_without_events(engine: Any) -> int:
    """The console's rows about conversations the tracker store no longer has (deleted by
    age, or by another tool): how many conversations."""
    from assistant.console.conversations import STILL_STORED
    from assistant.console.store import conversations

    with engine.begin() as connection:
        if not sa.inspect(connection).has_table("events"):
            return 0
        return delete_console_rows(connection, sa.select(conversations.c.id).where(~STILL_STORED).scalar_subquery())


def delete_console_rows(connection: Any, ids: Any) -> int:
    """Index rows, messages and corrections of the conversations `ids` selects. The database's
    own cascade is not relied on: SQLite enforces foreign keys only when asked."""
    from assistant.console.store import conversations, corrections, messages

    connection.execute(corrections.delete().where(corrections.c.conversation_id.in_(ids)))
    connection.execute(messages.delete().where(messages.c.conversation_id.in_(ids)))
    return connection.execute(conversations.delete().where(conversations.c.id.in_(ids))).rowcount


def main() -> None:
    from assistant.tracker_store import open_tracker_store

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", default=None, help="default: that of the profile ASSISTANT_PROFILE names")
    parser.add_argument("--days", type=int, default=RETENTION_DAYS)
    args = parser.parse_args()

    store = open_tracker_store(args.endpoints)
    if not isinstance(store, SQLTrackerStore):
        print("Conversations are not kept in an SQL tracker store; nothing to delete.")
        return
    deleted = delete_old_conversations(store, args.days)
    print(f"Deleted {deleted} events of conversations older than {args.days} days.")
    delete_old_console_records(store.engine)


def delete_old_console_records(engine) -> None:
    from assistant.console import accounts, audit, conversations
    from assistant.console.store import migrate

    migrate(engine)  # the console may not have started yet on this database
    days = audit.retention_days()
    entries = audit.delete_older_than(engine, days)
    sessions = accounts.delete_expired_sessions(engine, accounts.SessionLimits.from_environment())
    indexed = delete_console_records_without_events(engine)
    conversations.after_retention(engine)
    print(f"Deleted {entries} audit-log entries older than {days} days, {sessions} expired console sessions "
          f"and the console's copies of {indexed} deleted conversations.")


if __name__ == "__main__":
    main()
