"""The audit log: who did what to which account or conversation, and when. Never a message's
text, never a password. Admins read it in the console; the retention job deletes entries after
CONSOLE_AUDIT_RETENTION_DAYS (365 by default)."""
import os
import time
from dataclasses import dataclass
from typing import List, Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from assistant.console.store import audit_log

DEFAULT_RETENTION_DAYS = 365
PAGE_SIZE = 50

# What is logged (the texts for each are in texts.py).
SIGNED_IN, SIGN_IN_REFUSED, SIGNED_OUT = "signed_in", "sign_in_refused", "signed_out"
ACCOUNT_CREATED, ROLE_CHANGED = "account_created", "role_changed"
DEACTIVATED, REACTIVATED, PASSWORD_RESET, PASSWORD_CHANGED = (
    "deactivated", "reactivated", "password_reset", "password_changed")
AUDIT_LOG_READ = "audit_log_read"
CONVERSATION_VIEWED, CONVERSATION_REVIEWED, CORRECTION_QUEUED = (
    "conversation_viewed", "conversation_reviewed", "correction_queued")
CORRECTIONS_APPROVED, CORRECTIONS_DISCARDED = "corrections_approved", "corrections_discarded"
HANDOFF_LOOKED_UP, HANDOFF_NOT_FOUND = "handoff_looked_up", "handoff_not_found"
CONVERSATION_DELETED, CONVERSATION_DELETE_FAILED = "conversation_deleted", "conversation_delete_failed"
CONVERSATIONS_LISTED, CORRECTIONS_READ = "conversations_listed", "corrections_read"
TRAINING_REQUESTED, MODEL_ACTIVATED, MODEL_OVERRIDDEN, MODEL_ROLLED_BACK, PATCH_EXPORTED = (
    "training_requested", "model_activated", "model_overridden", "model_rolled_back", "patch_exported")
NOTICE_POSTED, NOTICE_ENDED = "notice_posted", "notice_ended"
ANSWER_EDITED = "answer_edited"


@dataclass(frozen=True)
class Entry:
    at: float
    actor: str
    action: str
    target: str


def record(engine: Engine, actor: str, action: str, target: str = "", now: Optional[float] = None) -> None:
    with engine.begin() as connection:
        connection.execute(audit_log.insert().values(
            at=time.time() if now is None else now, actor=actor[:64], action=action, target=target[:128]))


def entries(engine: Engine, page: int = 1, page_size: int = PAGE_SIZE) -> Tuple[List[Entry], bool]:
    """One page of the log, newest first, and whether there is an older page."""
    page = max(1, page)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(audit_log.c.at, audit_log.c.actor, audit_log.c.action, audit_log.c.target)
            .order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
            .limit(page_size + 1).offset((page - 1) * page_size)
        ).all()
    return [Entry(*row) for row in rows[:page_size]], len(rows) > page_size


def retention_days(environ=os.environ) -> int:
    """CONSOLE_AUDIT_RETENTION_DAYS, a whole number of days, at least 1 (0 would empty the log)."""
    value = environ.get("CONSOLE_AUDIT_RETENTION_DAYS", str(DEFAULT_RETENTION_DAYS)).strip()
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"CONSOLE_AUDIT_RETENTION_DAYS must be a whole number of days, at least 1, not {value!r}.")
    return int(value)


def delete_older_than(engine: Engine, days: int, now: Optional[float] = None) -> int:
    cutoff = (time.time() if now is None else now) - days * 24 * 3600
    with engine.begin() as connection:
        return connection.execute(audit_log.delete().where(audit_log.c.at < cutoff)).rowcount
