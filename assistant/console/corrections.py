"""Corrections: a support lead says what a user message meant; another look approves it into
the training data, through the same `add_examples` as `make inbox-import`, or discards it."""
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from assistant.console.store import corrections
from assistant.model_store.snapshot import PROJECT_LOCK
from assistant.review.inbox import add_examples
from assistant.review.training_data import examples_by_intent

QUEUED, ADDED, SKIPPED, DISCARDED = "queued", "added", "skipped", "discarded"
DECIDED = (ADDED, SKIPPED, DISCARDED)


@dataclass
class Correction:
    id: int
    conversation_id: int
    event_id: int
    language: str
    text: str
    intent: str
    status: str
    created_by: str
    created_at: float
    decided_by: Optional[str]
    decided_at: Optional[float]
    outcome: str


def intents(data_dir: Path) -> Dict[str, List[str]]:
    """language -> the intents (faq/<topic> for the page's questions) its training data has."""
    return {folder.name: sorted(examples_by_intent(folder)) for folder in sorted(data_dir.iterdir())
            if folder.is_dir()}


def queue(engine: Engine, conversation_id: int, event_id: int, language: str, text: str, intent: str,
          by: str) -> bool:
    """Queue the correction of one message, or change a queued or discarded one; False when
    it was already added to the training data or skipped (that decision stands)."""
    now = time.time()
    with engine.begin() as connection:
        existing = connection.execute(sa.select(corrections.c.id, corrections.c.status)
                                      .where(corrections.c.event_id == event_id)).first()
        if existing is None:
            connection.execute(corrections.insert().values(
                conversation_id=conversation_id, event_id=event_id, language=language, text=text, intent=intent,
                status=QUEUED, created_by=by, created_at=now))
            return True
        if existing.status not in (QUEUED, DISCARDED):
            return False
        connection.execute(corrections.update().where(corrections.c.id == existing.id).values(
            intent=intent, status=QUEUED, created_by=by, created_at=now, decided_by=None, decided_at=None,
            outcome=""))
        return True


def all_with(engine: Engine, status: Union[str, Tuple[str, ...]], limit: int = 500) -> List[Correction]:
    """The corrections of a status (or of any of several), the latest first."""
    statuses = (status,) if isinstance(status, str) else status
    query = (sa.select(corrections).where(corrections.c.status.in_(statuses))
             .order_by(sa.func.coalesce(corrections.c.decided_at, corrections.c.created_at).desc(),
                       corrections.c.id.desc()).limit(limit))
    with engine.connect() as connection:
        return [Correction(**row) for row in connection.execute(query).mappings()]


def decided_since(engine: Engine, since: float) -> int:
    """How many corrections were added to the training data after `since` (the model's time)."""
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(corrections).where(
            corrections.c.status == ADDED, corrections.c.decided_at > since)).scalar()


def discard(engine: Engine, ids: List[int], by: str) -> int:
    with engine.begin() as connection:
        return connection.execute(corrections.update().where(
            corrections.c.id.in_(ids), corrections.c.status == QUEUED).values(
            status=DISCARDED, decided_by=by, decided_at=time.time())).rowcount


def approve(engine: Engine, ids: List[int], by: str, data_dir: Path, held_out_dir: Path,
            validate: bool = True) -> List[Correction]:
    """Write the queued corrections among `ids` into the training data, all or none (raises
    ImportRefused, leaving them queued); each is marked added or skipped (and why)."""
    with engine.connect() as connection:
        chosen = [Correction(**row) for row in connection.execute(
            sa.select(corrections).where(corrections.c.id.in_(ids), corrections.c.status == QUEUED)
            .order_by(corrections.c.id)).mappings()]
    if not chosen:
        return []
    rows = [{"language": c.language, "text": c.text, "correct_intent": c.intent} for c in chosen]
    with PROJECT_LOCK:  # not while a rollback restores the data or a training packs it
        result = add_examples(rows, data_dir, held_out_dir, validate)
    now = time.time()
    with engine.begin() as connection:
        for number, correction in enumerate(chosen):
            skipped = result.skipped_rows.get(number)
            correction.status, correction.outcome = (SKIPPED, skipped) if skipped else (ADDED, "")
            # Re-queued with another intent while this one was written: it stays queued.
            connection.execute(corrections.update().where(
                corrections.c.id == correction.id, corrections.c.status == QUEUED,
                corrections.c.intent == correction.intent).values(
                status=correction.status, outcome=correction.outcome, decided_by=by, decided_at=now))
    return chosen


