"""Starting a conversation session."""
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant.language import page_language

# Rasa fills this slot with the metadata of the message that started the session.
SESSION_METADATA_SLOT = "session_started_metadata"


class ActionSessionStart(Action):
    """Rasa's session start, plus the language of the web page the chat was opened on.

    A web page can send {"language": "sv" | "en"} as message metadata so that even a first
    message like "ok" is answered in the page's language. Only the session start reads it:
    later, what the user writes decides the language, not the page.
    """

    def name(self) -> Text:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        # Carry the slots over, as Rasa's own session start does with carry_over_slots.
        slots = {
            name: value
            for name, value in tracker.slots.items()
            if value is not None and name != SESSION_METADATA_SLOT
        }
        page = page_language(tracker.get_slot(SESSION_METADATA_SLOT))
        if page:
            slots["language"] = page
        events: List[Dict[Text, Any]] = [SessionStarted()]
        events.extend(SlotSet(name, value) for name, value in slots.items())
        events.append(ActionExecuted("action_listen"))
        return events
