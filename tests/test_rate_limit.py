"""Per-conversation and per-address message limits (assistant/channels/rate_limit.py)."""
import asyncio
import time

from assistant.channels.rate_limit import RateLimiter


def waits(limiter, messages):
    async def run():
        return [await limiter.seconds_to_wait(sender, address) for sender, address in messages]
    return asyncio.run(run())


def fresh_window(seconds):
    time.sleep(seconds - time.time() % seconds + 0.01)


def test_a_conversation_over_its_limit_waits_others_from_the_address_do_not():
    fresh_window(5)
    limiter = RateLimiter(per_sender=2, per_address=100, window_seconds=5)
    result = waits(limiter, [("a", "1.2.3.4")] * 3 + [("b", "1.2.3.4")])
    assert result[:2] == [0, 0] and 0 < result[2] <= 5 and result[3] == 0


def test_an_address_over_its_limit_waits_whichever_conversation():
    fresh_window(5)
    limiter = RateLimiter(per_sender=100, per_address=3, window_seconds=5)
    result = waits(limiter, [(f"s{n}", "1.2.3.4") for n in range(4)] + [("s9", "5.6.7.8")])
    assert result[:3] == [0, 0, 0] and result[3] > 0 and result[4] == 0


def test_the_count_starts_again_in_the_next_window():
    fresh_window(1)
    limiter = RateLimiter(per_sender=1, per_address=0, window_seconds=1)
    assert waits(limiter, [("a", "x"), ("a", "x")])[1] > 0
    time.sleep(1.05)
    assert waits(limiter, [("a", "x")]) == [0]


def test_zero_switches_a_limit_off():
    limiter = RateLimiter(per_sender=0, per_address=0, window_seconds=60)
    assert set(waits(limiter, [("a", "x")] * 500)) == {0}
