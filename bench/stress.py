"""Messages built to be expensive, and the CPU each costs the servers: within the length cap
(they reach the NLU), and over it, up to the largest request body the channel reads (they must
be refused before any costly check sees more than the cap)."""
import json
import random
import string
import time
import uuid
from dataclasses import dataclass
from typing import Dict, List

import requests

from assistant.channels.edge import MAX_BODY_BYTES, MAX_MESSAGE_LENGTH
from assistant.deployment import Servers

CAP = MAX_MESSAGE_LENGTH
_random = random.Random(7)


def _fill(unit: str, length: int = CAP) -> str:
    return (unit * (length // len(unit) + 1))[:length].strip() or unit


def _body_bytes(text: str) -> int:
    # As requests sends `json=`: non-ASCII characters as \u escapes.
    return len(json.dumps({"sender": f"bench-stress-{uuid.uuid4()}", "message": text}).encode())


def _fill_body(unit: str) -> str:
    """`unit` repeated as often as a request body within the channel's limit allows."""
    low, high = 1, MAX_BODY_BYTES
    while low < high:  # the longest text whose body still fits
        middle = (low + high + 1) // 2
        if _body_bytes(_fill(unit, middle)) <= MAX_BODY_BYTES:
            low = middle
        else:
            high = middle - 1
    return _fill(unit, low)


# name -> message; every one is at most the cap after the channel's clean-up.
MESSAGES: Dict[str, str] = {
    "a real question repeated": _fill("Jag har inte fått någon sms-kod när jag loggar in. "),
    "one long word": "a" * CAP,
    "one long random word": "".join(_random.choice(string.ascii_lowercase + "åäö") for _ in range(CAP)),
    "punctuation run": "!" * CAP,
    "mixed punctuation": _fill("?!.,;:-_()[]{}\"'"),
    "many one-letter tokens": _fill("a "),
    "many digits tokens": _fill("7 "),
    "many short words": _fill("ok ja nej hej "),
    "digit run": _fill("1234567890"),
    "personnummer-like digits": _fill("19900101-1234 "),
    "email-like": _fill("a.b@c."),
    "at signs": "@" * CAP,
    "placeholders": _fill("[e-post] "),
    "emoji": "😀" * CAP,
    "mixed scripts": _fill("кириллица 中文 العربية "),
}

# name -> message as long as the largest body the REST channel reads (64 KiB): over the cap,
# but for the last, a short question within a body of spaces.
OVERSIZED: Dict[str, str] = {
    "64 KiB body: one long word": _fill_body("a"),
    "64 KiB body: word and dot": _fill_body("a."),
    "64 KiB body: digit run": _fill_body("1234567890"),
    "64 KiB body: digits and separators": _fill_body("1-2 3.4–"),
    "64 KiB body: at signs": _fill_body("@"),
    "64 KiB body: email-like": _fill_body("a.b@c."),
    "64 KiB body: personnummer-like": _fill_body("19850312–4432 "),
    "64 KiB body: a real question repeated": _fill_body("Jag har inte fått någon sms-kod. "),
    "64 KiB body: emoji": _fill_body("😀"),
    "64 KiB body: spaces around a question": " " * (MAX_BODY_BYTES - 200) + "jag får ingen sms-kod",
}


@dataclass
class StressResult:
    name: str
    length: int
    cpu_ms: float  # CPU of both servers per message, the mean of the tries
    latency_ms: float  # the slowest try
    answered: bool


def measure(servers: Servers, tries: int = 5) -> List[StressResult]:
    """Each message `tries` times in new conversations, one after another. The kernel counts
    CPU time in 10 ms ticks, so the mean over the tries is the precise figure."""
    results = []
    for name, text in {**MESSAGES, **OVERSIZED}.items():
        latencies = []
        answered = True
        before = servers.rasa.cpu_seconds() + servers.actions.cpu_seconds()
        for _ in range(tries):
            started = time.perf_counter()
            reply = requests.post(servers.webhook, timeout=60,
                                  json={"sender": f"bench-stress-{uuid.uuid4()}", "message": text})
            latencies.append((time.perf_counter() - started) * 1000)
            answered &= reply.status_code == 200 and bool(reply.json())
        cpu = (servers.rasa.cpu_seconds() + servers.actions.cpu_seconds() - before) * 1000 / tries
        results.append(StressResult(name, len(text), cpu, max(latencies), answered))
    return results
