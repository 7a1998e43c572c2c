"""Outage alerts: a topic whose "didn't help" or handoff rate over the last hour or day is far
above its own level before. When the SMS provider has a disruption, the SMS-code advice suddenly
stops helping, long before anyone files a report.

The test, in words a support lead can check: before the window (the conversations kept, up to
30 days), the topic's answers to "Did that help?" were "no" x times out of y. If the share of
"no" were as before, how likely would this many "no" in the window be, or more? The share
before is itself only an estimate, the more uncertain the fewer answers there were, so the
chance is the beta-binomial tail with Beta(x + 1, y - x + 1): a topic with little history
needs a far clearer burst. An alert needs that chance under 1 in 1,000 (MAX_CHANCE), at least
MIN_EVENTS "no" in the window and at least twice the share before. The same for the share of
the topic's conversations that ended in a handoff. About 30 topics are checked, two measures
and two windows each, every minute: an alert by chance alone is rare, not impossible, so each
says the counts and the chance for the lead to judge.
"""
import threading
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from assistant.console.conversations import SMALL_TALK
from assistant.console.store import conversations, messages

WINDOWS: Tuple[Tuple[str, int], ...] = (("hour", 3600), ("day", 24 * 3600))
BASELINE_DAYS = 30
MAX_CHANCE = 0.001
MIN_EVENTS = 5
MIN_RATIO = 2.0
UNHELPFUL, HANDOFF = "unhelpful", "handoff"
# The alerts are read from 30 days of messages (0.3 s over 100,000 conversations, bench/CONSOLE.md)
# and change slowly: computed in the background, at most this old.
CACHE_SECONDS = 60
CHANGED_SECONDS = 10
_cache: Dict[str, Tuple[float, List["Alert"]]] = {}
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class Alert:
    topic: str
    measure: str  # UNHELPFUL or HANDOFF
    window: str  # "hour" or "day"
    count: int  # "no" answers (or handoffs) in the window
    total: int  # answers (or conversations) in the window
    usual_count: int  # the same before the window (up to BASELINE_DAYS)
    usual_total: int
    chance: float  # of `count` or more, were the share as before

    @property
    def usual_rate(self) -> float:
        return self.usual_count / self.usual_total if self.usual_total else 0.0

    @property
    def rate(self) -> float:
        return self.count / self.total


def tail_chance(count: int, total: int, usual_count: int, usual_total: int) -> float:
    """P(X >= count) of `total` when the share is as uncertain as `usual_count` of
    `usual_total` makes it: X ~ BetaBinomial(total, usual_count + 1, usual_total - usual_count + 1)."""
    from scipy.stats import betabinom

    return float(betabinom.sf(count - 1, total, usual_count + 1, usual_total - usual_count + 1))


def _judged(topic: str, measure: str, window: str, counts: Tuple[int, int, int, int]) -> Optional[Alert]:
    count, total, usual_count, usual_total = (int(value or 0) for value in counts)
    if topic in SMALL_TALK or count < MIN_EVENTS or total == 0:
        return None
    if count / total < MIN_RATIO * (usual_count + 1) / (usual_total + 2):
        return None
    chance = tail_chance(count, total, usual_count, usual_total)
    return Alert(topic, measure, window, count, total, usual_count, usual_total, chance) if chance < MAX_CHANCE else None


def alerts(engine: Engine, now: Optional[float] = None) -> List[Alert]:
    """The topics far above their own level now, the least likely by chance first."""
    now = time.time() if now is None else now
    m, c = messages.c, conversations.c
    found: List[Alert] = []
    for window, seconds in WINDOWS:
        start = now - seconds
        since = start - BASELINE_DAYS * 24 * 3600
        recent, usual = m.at >= start, m.at < start
        with engine.connect() as connection:
            answers = connection.execute(
                sa.select(m.topic,
                          sa.func.sum(sa.case((sa.and_(recent, m.feedback == "no"), 1), else_=0)),
                          sa.func.sum(sa.case((recent, 1), else_=0)),
                          sa.func.sum(sa.case((sa.and_(usual, m.feedback == "no"), 1), else_=0)),
                          sa.func.sum(sa.case((usual, 1), else_=0)))
                .where(m.at >= since, m.at < now, m.feedback.is_not(None)).group_by(m.topic)).all()
            # A conversation counts for each topic it asked about, at the time it started.
            about = (sa.select(m.conversation_id, m.topic).where(m.at >= since, m.at < now)
                     .distinct().subquery())
            began_recently = c.started_at >= start
            handoffs = connection.execute(
                sa.select(about.c.topic,
                          sa.func.sum(sa.case((sa.and_(began_recently, c.handoff), 1), else_=0)),
                          sa.func.sum(sa.case((began_recently, 1), else_=0)),
                          sa.func.sum(sa.case((sa.and_(~began_recently, c.handoff), 1), else_=0)),
                          sa.func.sum(sa.case((~began_recently, 1), else_=0)))
                .select_from(about.join(conversations, c.id == about.c.conversation_id))
                .where(c.started_at >= since).group_by(about.c.topic)).all()
        for measure, rows in ((UNHELPFUL, answers), (HANDOFF, handoffs)):
            found += [a for a in (_judged(row[0], measure, window, row[1:]) for row in rows) if a]
    # An hour's alert and the day's of the same topic and measure: the clearer one.
    best = {}
    for alert in sorted(found, key=lambda a: a.chance):
        best.setdefault((alert.topic, alert.measure), alert)
    return sorted(best.values(), key=lambda a: a.chance)


def latest(engine: Engine) -> List[Alert]:
    """The alerts last computed for a database (none before the first computation): a page
    never waits for them."""
    with _cache_lock:
        cached = _cache.get(str(engine.url))
    return cached[1] if cached else []


def refresh(engine: Engine, index_changed: bool) -> None:
    """Compute the alerts again if none are known, if they are older than CACHE_SECONDS, or if
    new conversations came in more than CHANGED_SECONDS after they were computed. The console's
    background task calls this after each round of indexing."""
    key, now = str(engine.url), time.monotonic()
    with _cache_lock:
        cached = _cache.get(key)
    age = now - cached[0] if cached else None
    if age is None or age > CACHE_SECONDS or (index_changed and age > CHANGED_SECONDS):
        found = alerts(engine)
        with _cache_lock:
            _cache[key] = (now, found)
