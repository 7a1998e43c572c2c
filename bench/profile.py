"""Where the Rasa server's time goes: py-spy samples the running server while the benchmark's
client talks to it, and the functions that most of the samples pass through are listed.

`make bench` writes bench/PROFILE.md; on its own, on the trained model:

    python -m bench.profile [--model models/assistant.tar.gz] [--out bench/PROFILE.md]

Two situations: 20 users back to back (where the throughput is decided), and the last 50
messages of a 200-message conversation.
"""
import argparse
import asyncio
import signal
import subprocess
import sys
import uuid
import tempfile
from collections import Counter
from pathlib import Path
from typing import List, Optional, Tuple

import aiohttp

from bench.conversations import Script, messages_in, scripts
from bench.load import LoadResult, conversations, say
from assistant.deployment import Servers, start_servers
from assistant.paths import MODEL, ROOT, TEST_STORIES

PY_SPY = str(Path(sys.executable).with_name("py-spy"))
STORIES = TEST_STORIES
SHOWN = 30
EVERYTHING = 0.9
PROFILED_TURNS = 50
# Plumbing every sample passes through: the server, the event loop, Rasa's graph runner.
_PLUMBING = ("asyncio", "sanic", "uvloop", "dask", "runners.py", "<module>", "threading.py",
             "_bootstrap", "traceback_utils.py", "__main__.py")


def _frame(entry: str) -> str:
    """'function (path/to/file.py:12)' -> 'function (package/file.py)'."""
    name, _, place = entry.partition(" (")
    path = place.rsplit(":", 1)[0]
    parts = Path(path).parts
    short = "/".join(parts[-2:]) if parts else path
    return f"{name} ({short})"


def summarise(raw: Path, shown: int = SHOWN) -> Tuple[int, List[Tuple[float, str]]]:
    """Samples in all, and the functions most samples pass through (share of samples)."""
    through: Counter = Counter()
    total = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        for frame in {_frame(entry) for entry in stack.split(";")}:
            if not any(word in frame for word in _PLUMBING):
                through[frame] += int(count)
    if not total:
        return 0, []
    # What (nearly) every sample passes through, the request handling itself, says nothing.
    telling = [(n / total, frame) for frame, n in through.most_common() if n / total < EVERYTHING]
    return total, telling[:shown]


def _record(servers: Servers, seconds: float, raw: Path) -> subprocess.Popen:
    return subprocess.Popen([PY_SPY, "record", "--pid", str(servers.rasa.popen.pid), "--duration",
                             str(int(seconds)), "--rate", "200", "--format", "raw", "--output", str(raw)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _finish(spy: subprocess.Popen, raw: Path) -> Optional[str]:
    _, error = spy.communicate()
    if spy.returncode != 0 or not raw.exists():
        lines = error.decode(errors="replace").strip().splitlines()
        return lines[-1] if lines else f"py-spy stopped with {spy.returncode}"
    return None


async def _long_conversation_profiled(servers: Servers, story_scripts: List[Script], turns: int,
                                      raw: Path) -> Optional[str]:
    """One conversation of `turns` Swedish messages; the last PROFILED_TURNS are profiled."""
    messages = messages_in(story_scripts, "sv")
    sender = f"bench-profile-{uuid.uuid4()}"
    result = LoadResult("long", 1)
    spy = None
    async with aiohttp.ClientSession() as session:
        for turn in range(turns):
            if turn == max(0, turns - PROFILED_TURNS):
                spy = _record(servers, 3600, raw)
                await asyncio.sleep(1)  # py-spy attaches
            await say(session, servers.webhook, sender, messages[turn % len(messages)], "sv", result)
    spy.send_signal(signal.SIGINT)  # py-spy writes what it has and stops
    return _finish(spy, raw)


def profile(servers: Servers, workdir: Path, seconds: float = 20, long_turns: int = 200) -> str:
    """PROFILE.md's text, from profiling running servers."""
    story_scripts = scripts(STORIES)
    raw = workdir / "throughput.txt"
    spy = _record(servers, seconds, raw)
    asyncio.run(conversations(servers.webhook, story_scripts, 20, seconds + 1))
    sections = [("20 users back to back", raw, _finish(spy, raw))]
    raw = workdir / "long.txt"
    error = asyncio.run(_long_conversation_profiled(servers, story_scripts, long_turns, raw))
    sections.append((f"Messages {long_turns - PROFILED_TURNS + 1}–{long_turns} of one conversation",
                     raw, error))
    lines = ["# Where the Rasa server's time goes", "",
             "Written by `make bench` (bench/profile.py: py-spy, 200 samples/s, on the running"
             " server). Each line is the share of samples that pass through the function, so"
             " nested functions add up to more than 100 %. Plumbing (event loop, Sanic, Rasa's"
             " graph runner) and what over 90 % of the samples pass through (the request"
             " handling itself) are left out.", ""]
    for title, raw, error in sections:
        lines += [f"## {title}", ""]
        if error:
            lines += [f"Not profiled: {error}", ""]
            continue
        total, top = summarise(raw)
        lines += [f"{total} samples.", "", "| share | function |", "|---|---|"]
        lines += [f"| {share:.0%} | `{frame}` |" for share, frame in top]
        lines.append("")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "PROFILE.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as workdir:
        servers = start_servers(args.model, Path(workdir) / "servers")
        try:
            args.out.write_text(profile(servers, Path(workdir)), encoding="utf-8")
        finally:
            servers.stop()
    print(f"Written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
