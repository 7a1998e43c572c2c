"""Delete conversations that ended longer ago than the retention period.

Conversations are kept (with personal data masked) so that support leads can review them;
after RETENTION_DAYS without a new message they are deleted whole. The staff console's own
records go by the same job: audit-log entries after CONSOLE_AUDIT_RETENTION_DAYS (365), expired
sign-in sessions at once, the console's index rows and queued corrections of deleted
conversations with them. `make run` runs this at every start; a server that runs for weeks
should run it daily (cron, a systemd timer):

    python -m assistant.retention [--endpoints endpoints.yml] [--days 30]
"""
import argparse
import time

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


def main() -> None:
    from rasa.core.tracker_store import SQLTrackerStore

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
    indexed = conversations.delete_without_events(engine)
    conversations.after_retention(engine)
    print(f"Deleted {entries} audit-log entries older than {days} days, {sessions} expired console sessions "
          f"and the console's copies of {indexed} deleted conversations.")


if __name__ == "__main__":
    main()
