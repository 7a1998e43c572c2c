"""An asyncio client that holds conversations against the REST channel and times each reply."""
import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Union

import aiohttp

from bench.conversations import Script, messages_in


def percentile(values: Sequence[float], share: float) -> Optional[float]:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))  # ceil(n * share)
    return ordered[int(rank) - 1]


@dataclass
class LoadResult:
    label: str
    users: int
    seconds: float = 0.0
    latencies_ms: List[float] = field(default_factory=list)
    errors: Dict[str, int] = field(default_factory=dict)

    @property
    def messages(self) -> int:
        return len(self.latencies_ms) + sum(self.errors.values())

    @property
    def per_second(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def p(self, share: float) -> Optional[float]:
        return percentile(self.latencies_ms, share)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


async def say(session: aiohttp.ClientSession, webhook: str, sender: str, text: str,
               language: str, result: LoadResult) -> Optional[float]:
    """Send one message; record its latency, or the error (an empty reply is one)."""
    started = time.perf_counter()
    try:
        async with session.post(webhook, json={"sender": sender, "message": text,
                                               "metadata": {"language": language}}) as response:
            body = await response.json(content_type=None)
            status = response.status
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
        result.error(type(error).__name__)
        return None
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200:
        result.error(f"HTTP {status}")
    elif not isinstance(body, list) or not body:
        result.error("empty reply")
    else:
        result.latencies_ms.append(elapsed)
        return elapsed
    return None


def _session(fresh_connections: bool = False) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=fresh_connections),
                                 timeout=aiohttp.ClientTimeout(total=60))


async def conversations(webhook: Union[str, Sequence[str]], scripts: List[Script], users: int, seconds: float,
                        pause_seconds: float = 0.0, label: str = "", fresh_connections: bool = False) -> LoadResult:
    """`users` visitors, each holding one test-story conversation after another until the time
    is up. With a pause, each visitor waits a random 0.5x-1.5x that long before each message
    (reading and typing); without, the next message goes as soon as the reply is in.
    Given several webhooks (instances), each message goes to the next one, round robin per
    conversation, as a load balancer without sticky sessions would send them. With
    `fresh_connections`, every message opens a connection of its own."""
    webhooks = [webhook] if isinstance(webhook, str) else list(webhook)
    result = LoadResult(label or f"{users} users", users)
    deadline = time.monotonic() + seconds
    randomness = random.Random(users)

    async def visitor(number: int) -> None:
        turn = number  # visitors start at different stories, so the mix is the same for all
        if pause_seconds:  # spread the first messages over one pause, not all at once
            await asyncio.sleep(randomness.uniform(0, pause_seconds))
        while time.monotonic() < deadline:
            script = scripts[turn % len(scripts)]
            turn += 1
            sender = f"bench-{uuid.uuid4()}"
            for index, text in enumerate(script.messages):
                if time.monotonic() >= deadline:
                    return
                await say(session, webhooks[(number + index) % len(webhooks)], sender, text,
                          script.language, result)
                if pause_seconds:
                    await asyncio.sleep(pause_seconds * randomness.uniform(0.5, 1.5))

    async with _session(fresh_connections) as session:
        started = time.monotonic()
        await asyncio.gather(*(visitor(number) for number in range(users)))
        result.seconds = time.monotonic() - started
    return result


# "Turn 1" and "turn 200" of a long conversation are its first and its last ten turns.
TURN_WINDOW = 10


def long_conversation_messages(messages: List[str], turns: int) -> List[str]:
    """The story messages in a cycle, the last TURN_WINDOW turns sending the first
    TURN_WINDOW messages again: the two windows compare the same messages early and late, so
    what they measure is the conversation's length. (With the cycle alone, turn 200 sent other
    messages than turn 1: a handoff there costs an action server call that a greeting does not,
    and that difference was read as growth.)"""
    sent = [messages[turn % len(messages)] for turn in range(turns)]
    if turns >= 2 * TURN_WINDOW:
        sent[-TURN_WINDOW:] = sent[:TURN_WINDOW]
    return sent


async def long_conversation(webhook: str, scripts: List[Script], turns: int, repeats: int) -> List[List[float]]:
    """`repeats` conversations of `turns` messages each, one user, the story messages of one
    language (long_conversation_messages); returns each conversation's latencies by turn."""
    runs = []
    async with _session() as session:
        for repeat in range(repeats):
            language = "sv" if repeat % 2 == 0 else "en"
            messages = long_conversation_messages(messages_in(scripts, language), turns)
            sender = f"bench-long-{uuid.uuid4()}"
            result = LoadResult("long", 1)
            latencies = []
            for text in messages:
                latencies.append(await say(session, webhook, sender, text, language, result))
            runs.append(latencies)
    return runs
