"""Delete conversations that ended longer ago than the retention period.

Conversations are kept (with personal data masked) so that support leads can review them;
after RETENTION_DAYS without a new message they are deleted whole. `make run` runs this at
every start; a server that runs for weeks should run it daily (cron, a systemd timer):

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


if __name__ == "__main__":
    main()
