"""Many conversations at once, each message of each going to the other Rasa instance than
the one before: every message is answered once, in order, exactly as the embedded profile
(`make run`) answers the same conversation, and PostgreSQL holds each message once, in order."""
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Tuple

import pytest

from bench.conversations import Script, scripts
from tests.conftest import ROOT
from tests.helpers import HANDOFF_REFERENCE

pytestmark = pytest.mark.e2e

SCRIPTS = scripts(ROOT / "tests" / "stories")


def answer(replies: List[Dict]) -> List[Tuple[str, Tuple[str, ...]]]:
    """What the user sees of a reply: each message's text and its buttons; a handoff
    reference, drawn at random in each conversation, as a placeholder."""
    return [(HANDOFF_REFERENCE.sub("<reference>", r.get("text", "")), tuple(b["payload"] for b in r.get("buttons") or []))
            for r in replies]


def talk(say, script: Script) -> List[list]:
    return [answer(say(turn, text)) for turn, text in enumerate(script.messages)]


def test_two_instances_answer_alternating_messages_as_one_server_does(cluster, bot):
    first, second = cluster.instances[:2]
    expected = {
        script.name: talk(lambda _, text, s=f"embedded-{n}": bot.say(s, text, {"language": script.language}), script)
        for n, script in enumerate(SCRIPTS)
    }
    assert len(SCRIPTS) >= 40 and any(len(script.messages) > 1 for script in SCRIPTS)
    # Rasa runs the second instance's two workers (with the in-memory lock store it would
    # silently run one): each has loaded the model and says so.
    assert second.process.log.read_text(errors="replace").count("Rasa server is up and running.") == 2

    def conversation(number: int) -> Tuple[str, List[list]]:
        script = SCRIPTS[number]
        sender = f"scaled-{number}-{cluster.database}"

        def say(turn: int, text: str) -> List[Dict]:
            instance = (first, second)[(number + turn) % 2]
            return instance.say(sender, text, script.language)

        return sender, talk(say, script)

    with ThreadPoolExecutor(max_workers=len(SCRIPTS)) as pool:
        results = list(pool.map(conversation, range(len(SCRIPTS))))

    for script, (sender, answers) in zip(SCRIPTS, results):
        # The follow-ups ("no, that didn't help") are only right with the previous turn known.
        assert answers == expected[script.name], script.name
        stored = cluster.stored(sender)
        assert [data["text"] for kind, data in stored if kind == "user"] == list(script.messages), script.name
        assert sum(kind == "bot" for kind, _ in stored) == sum(len(turn) for turn in answers), script.name
        assert [kind for kind, _ in stored].count("session_started") == 1, script.name
