"""Real rasa_sdk Trackers built from story-like steps, as the Rasa server would send them."""
from typing import Any, Dict, List, Optional, Tuple

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

Step = Tuple[str, str]  # ("intent", name), ("action", name) or ("event", type)


def _user_event(intent: str) -> Dict[str, Any]:
    parse_data = {
        "intent": {"name": intent, "confidence": 0.95},
        "entities": [],
        "text": f"<text for {intent}>",
    }
    return {"event": "user", "text": parse_data["text"], "parse_data": parse_data}


def build_tracker(steps: List[Step], slots: Optional[Dict[str, Any]] = None) -> Tracker:
    """A tracker whose events are the steps, each user turn followed by Rasa's own
    bookkeeping (action_listen before it), and whose latest message is the last intent."""
    events: List[Dict[str, Any]] = [
        {"event": "action", "name": "action_session_start"},
        {"event": "session_started"},
        {"event": "action", "name": "action_listen"},
    ]
    latest_message: Dict[str, Any] = {}
    for kind, name in steps:
        if kind == "intent":
            if events[-1] != {"event": "action", "name": "action_listen"}:
                events.append({"event": "action", "name": "action_listen"})
            user = _user_event(name)
            events.append(user)
            latest_message = user["parse_data"]
        elif kind == "action":
            events.append({"event": "action", "name": name})
        else:
            events.append({"event": name})
    return Tracker.from_dict(
        {
            "sender_id": "test-user",
            "slots": {"language": None, "session_started_metadata": None, **(slots or {})},
            "latest_message": latest_message,
            "events": events,
            "latest_action_name": [e["name"] for e in events if e["event"] == "action"][-1],
        }
    )


def sent_responses(dispatcher: CollectingDispatcher) -> List[str]:
    return [message["response"] for message in dispatcher.messages]


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()
