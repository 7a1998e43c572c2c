"""Per-conversation and per-address message limits (assistant/channels/rate_limit.py): at most
N messages in any window of W seconds, in the server's memory and in Redis alike."""
import asyncio
import time
import uuid

import pytest

from assistant.channels.rate_limit import RateLimiter


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def waits(limiter, messages):
    async def run():
        return [await limiter.seconds_to_wait(sender, address) for sender, address in messages]
    return asyncio.run(run())


def test_no_burst_of_twice_the_limit_fits_across_the_edge_of_a_minute():
    clock = Clock(59.9)
    limiter = RateLimiter(per_sender=3, per_address=0, window_seconds=60, clock=clock)
    assert waits(limiter, [("a", "x")] * 3) == [0, 0, 0]
    clock.now = 60.1  # a fixed window would start counting again here
    [wait] = waits(limiter, [("a", "x")])
    assert wait == 60  # until the first of the three is a minute old (59.8 s, rounded up)
    clock.now = 59.9 + 60.01
    assert waits(limiter, [("a", "x")]) == [0]


def test_a_conversation_over_its_limit_waits_others_from_the_address_do_not():
    clock = Clock()
    limiter = RateLimiter(per_sender=2, per_address=100, window_seconds=5, clock=clock)
    result = waits(limiter, [("a", "1.2.3.4")] * 3 + [("b", "1.2.3.4")])
    assert result[:2] == [0, 0] and 0 < result[2] <= 5 and result[3] == 0


def test_an_address_over_its_limit_waits_whichever_conversation():
    limiter = RateLimiter(per_sender=100, per_address=3, window_seconds=5, clock=Clock())
    result = waits(limiter, [(f"s{n}", "1.2.3.4") for n in range(4)] + [("s9", "5.6.7.8")])
    assert result[:3] == [0, 0, 0] and result[3] > 0 and result[4] == 0


def test_messages_go_through_again_as_the_window_slides_and_refusals_do_not_count():
    clock = Clock()
    limiter = RateLimiter(per_sender=2, per_address=0, window_seconds=10, clock=clock)
    assert waits(limiter, [("a", "x")]) == [0]
    clock.now += 4
    assert waits(limiter, [("a", "x")]) == [0]
    clock.now += 1
    assert waits(limiter, [("a", "x")] * 20) == [5] * 20  # the first message leaves in 5 s
    clock.now += 5.01
    assert waits(limiter, [("a", "x"), ("a", "x")]) == [0, 4]


def test_refused_messages_leave_nothing_behind():
    limiter = RateLimiter(per_sender=5, per_address=1, window_seconds=60, clock=Clock())
    waits(limiter, [("first", "x")])
    assert set(waits(limiter, [(f"flood-{n}", "x") for n in range(1000)])) == {60}
    assert set(limiter._times) == {("sender", "first"), ("address", "x")}


def test_a_request_without_a_sender_counts_for_its_address():
    limiter = RateLimiter(per_sender=1, per_address=2, window_seconds=60, clock=Clock())
    assert waits(limiter, [(None, "x"), (None, "x"), (None, "x"), ("a", "y")]) == [0, 0, 60, 0]


def test_zero_switches_a_limit_off():
    limiter = RateLimiter(per_sender=0, per_address=0, window_seconds=60)
    assert set(waits(limiter, [("a", "x")] * 500)) == {0}


def test_memory_holds_only_the_recent_senders():
    clock = Clock()
    limiter = RateLimiter(per_sender=5, per_address=0, window_seconds=10, clock=clock)
    for second in range(100):
        clock.now += 1
        waits(limiter, [(f"sender-{second}-{n}", "x") for n in range(50)])
    # Those of the last one or two windows, not the 5000 seen.
    assert len(limiter._times) <= 2 * 10 * 50


@pytest.fixture
def redis_url():
    from tests.conftest import SERVICES
    from tests.helpers import require_services

    require_services(SERVICES)
    return f"redis://{SERVICES['redis'][0]}:{SERVICES['redis'][1]}/0"


def test_redis_counts_the_same_sliding_window_for_every_process(redis_url):
    import redis.asyncio

    prefix = f"test-{uuid.uuid4().hex[:8]}"

    async def run():
        # Two limiters are two Rasa processes sharing one Redis.
        first, second = (RateLimiter(per_sender=3, per_address=0, window_seconds=2, redis_url=redis_url,
                                     key_prefix=prefix) for _ in range(2))
        started = time.monotonic()  # before the first message: the window starts no earlier
        assert [await first.seconds_to_wait("a", "x"), await first.seconds_to_wait("a", "x"),
                await second.seconds_to_wait("a", "x")] == [0, 0, 0]
        assert 0 < await second.seconds_to_wait("a", "x") <= 2
        assert 0 < await first.seconds_to_wait("a", "x") <= 2
        assert await first.seconds_to_wait("b", "x") == 0
        # The three messages are stored at most then; a little later they have left the window.
        await asyncio.sleep(max(0.0, started + 2.5 - time.monotonic()))
        assert await second.seconds_to_wait("a", "x") == 0
        client = redis.asyncio.Redis.from_url(redis_url)
        keys = [key async for key in client.scan_iter(f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.close()
        return keys

    assert asyncio.run(run())  # the keys were there, under the prefix, and are gone now
