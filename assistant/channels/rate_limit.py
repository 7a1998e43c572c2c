"""How many messages one conversation and one network address may send.

A person types a message every few seconds at most; a script sending hundreds would take the
model's time from everyone else. Two limits, each "at most N messages in any W seconds":
- per conversation (sender id): CHAT_RATE_LIMIT_PER_SENDER, 30 by default;
- per network address: CHAT_RATE_LIMIT_PER_ADDRESS, 600 by default, because many applicants
  may share one address (an office, a school, a mobile network's NAT).
W is CHAT_RATE_LIMIT_WINDOW_SECONDS (60). 0 switches a limit off.

The window slides: each key keeps the times of the messages it let through in the last W
seconds, so no burst of twice the limit fits across the edge of a fixed minute. A refused
message is not kept (a key never holds more than N times), and the wait it is told is the
time until the oldest kept message leaves the window.

The times live in the server's memory, or, when CHAT_RATE_LIMIT_REDIS_URL is set (the scaled
profile), in Redis sorted sets, checked and updated by one script so that every worker and
instance counts together, on Redis's clock.
"""
import math
import os
import time
import uuid
from collections import deque
from typing import Callable, Deque, Dict, List, Optional, Text, Tuple

DEFAULT_PER_SENDER = 30
DEFAULT_PER_ADDRESS = 600
DEFAULT_WINDOW_SECONDS = 60

# KEYS: one sorted set per limit; ARGV: window (ms), a unique member, then the limits.
# Returns 0 (let through, and kept in every set) or the milliseconds to wait.
_SLIDING_WINDOW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local window = tonumber(ARGV[1])
local wait = 0
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= tonumber(ARGV[2 + i]) then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + window - now)
  end
end
if wait > 0 then
  return wait
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[2])
  redis.call('PEXPIRE', key, window)
end
return 0
"""


class RateLimiter:
    def __init__(self, per_sender: int, per_address: int, window_seconds: float,
                 redis_url: Optional[Text] = None, key_prefix: Text = "assistant",
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = {"sender": int(per_sender), "address": int(per_address)}
        self.window = max(1.0, float(window_seconds))
        self.key_prefix = key_prefix
        self._clock = clock
        self._script = None
        if redis_url:
            import redis.asyncio
            from redis.exceptions import ConnectionError as RedisConnectionError

            # Once more on a new connection if Redis closed a pooled one (assistant/lock_store.py).
            client = redis.asyncio.Redis.from_url(redis_url, socket_timeout=5,
                                                  retry_on_error=[RedisConnectionError])
            self._script = client.register_script(_SLIDING_WINDOW)
        self._times: Dict[Tuple[Text, Text], Deque[float]] = {}
        self._next_sweep = 0.0

    @classmethod
    def from_environment(cls) -> "RateLimiter":
        return cls(
            os.environ.get("CHAT_RATE_LIMIT_PER_SENDER", DEFAULT_PER_SENDER),
            os.environ.get("CHAT_RATE_LIMIT_PER_ADDRESS", DEFAULT_PER_ADDRESS),
            os.environ.get("CHAT_RATE_LIMIT_WINDOW_SECONDS", DEFAULT_WINDOW_SECONDS),
            os.environ.get("CHAT_RATE_LIMIT_REDIS_URL") or None,
            os.environ.get("REDIS_KEY_PREFIX") or "assistant",
        )

    async def seconds_to_wait(self, sender: Optional[Text], address: Text) -> int:
        """0 if this message may go through (and it is counted), otherwise how many whole
        seconds until it would. A request whose sender is not known (None) counts for its
        address only."""
        limited = [(kind, key, self.limits[kind])
                   for kind, key in (("sender", sender), ("address", address))
                   if key is not None and self.limits[kind] > 0]
        if not limited:
            return 0
        if self._script is not None:
            keys = [f"{self.key_prefix}:rate:{kind}:{key}" for kind, key, _ in limited]
            wait_ms = int(await self._script(keys=keys, args=[
                int(self.window * 1000), uuid.uuid4().hex, *(limit for _, _, limit in limited)]))
            return math.ceil(wait_ms / 1000)
        return self._in_memory(limited)

    def _in_memory(self, limited: List[Tuple[Text, Text, int]]) -> int:
        now = self._clock()
        self._sweep(now)
        wait = 0.0
        for kind, key, limit in limited:
            times = self._times.get((kind, key))
            while times and times[0] <= now - self.window:
                times.popleft()
            if times and len(times) >= limit:
                wait = max(wait, times[0] + self.window - now)
        if wait > 0:
            return max(1, math.ceil(wait))
        # Only a message let through is kept: refused ones leave no key behind.
        for kind, key, _ in limited:
            self._times.setdefault((kind, key), deque()).append(now)
        return 0

    def _sweep(self, now: float) -> None:
        """Forget the keys with nothing in the window, once a window: memory stays bounded by
        the messages of the last two windows, however many senders come and go."""
        if now < self._next_sweep:
            return
        self._next_sweep = now + self.window
        for slot in [slot for slot, times in self._times.items() if not times or times[-1] <= now - self.window]:
            del self._times[slot]
