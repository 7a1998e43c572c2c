"""How many messages one conversation and one network address may send per minute.

A person types a message every few seconds at most; a script sending hundreds would take the
model's time from everyone else. Two limits, both counted over a fixed window:
- per conversation (sender id): CHAT_RATE_LIMIT_PER_SENDER, 30 by default;
- per network address: CHAT_RATE_LIMIT_PER_ADDRESS, 600 by default, because many applicants
  may share one address (an office, a school, a mobile network's NAT).
The window is CHAT_RATE_LIMIT_WINDOW_SECONDS (60). 0 switches a limit off.

The counts live in the server's memory, or, when CHAT_RATE_LIMIT_REDIS_URL is set (the scaled
profile), in Redis, so that every worker and instance counts together.
"""
import math
import os
import time
from typing import Dict, Optional, Text, Tuple

DEFAULT_PER_SENDER = 30
DEFAULT_PER_ADDRESS = 600
DEFAULT_WINDOW_SECONDS = 60

REPLY = {
    "sv": "Du skickar meddelanden snabbare än jag hinner svara. Vänta en liten stund och skicka sedan igen.",
    "en": "You are sending messages faster than I can answer. Please wait a moment, then send it again.",
}


class RateLimiter:
    def __init__(self, per_sender: int, per_address: int, window_seconds: int,
                 redis_url: Optional[Text] = None, key_prefix: Text = "assistant") -> None:
        self.limits = {"sender": int(per_sender), "address": int(per_address)}
        self.window = max(1, int(window_seconds))
        self._redis = None
        self.key_prefix = key_prefix
        if redis_url:
            import redis.asyncio
            from redis.exceptions import ConnectionError as RedisConnectionError

            # Once more on a new connection if Redis closed a pooled one (assistant/lock_store.py).
            self._redis = redis.asyncio.Redis.from_url(redis_url, socket_timeout=5,
                                                       retry_on_error=[RedisConnectionError])
        self._counts: Dict[Tuple[Text, Text], int] = {}
        self._counts_window = -1

    @classmethod
    def from_environment(cls) -> "RateLimiter":
        return cls(
            os.environ.get("CHAT_RATE_LIMIT_PER_SENDER", DEFAULT_PER_SENDER),
            os.environ.get("CHAT_RATE_LIMIT_PER_ADDRESS", DEFAULT_PER_ADDRESS),
            os.environ.get("CHAT_RATE_LIMIT_WINDOW_SECONDS", DEFAULT_WINDOW_SECONDS),
            os.environ.get("CHAT_RATE_LIMIT_REDIS_URL") or None,
            os.environ.get("REDIS_KEY_PREFIX") or "assistant",
        )

    async def seconds_to_wait(self, sender: Text, address: Text) -> int:
        """0 if this message may go through (and it is counted), otherwise how many seconds
        until the current window ends."""
        now = time.time()
        window = int(now // self.window)
        over = False
        for kind, key in (("sender", sender), ("address", address)):
            limit = self.limits[kind]
            if limit > 0 and await self._count(kind, key, window) > limit:
                over = True
        return math.ceil((window + 1) * self.window - now) if over else 0

    async def _count(self, kind: Text, key: Text, window: int) -> int:
        if self._redis is not None:
            name = f"{self.key_prefix}:rate:{kind}:{window}:{key}"
            # Single commands, not a pipeline: redis-py retries those on a new connection.
            count = int(await self._redis.incr(name))
            if count == 1:
                await self._redis.expire(name, self.window * 2)
            return count
        if window != self._counts_window:  # only the current window counts
            self._counts, self._counts_window = {}, window
        slot = (kind, key)
        self._counts[slot] = self._counts.get(slot, 0) + 1
        return self._counts[slot]
