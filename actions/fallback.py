"""What to do when the assistant does not understand the user."""
from typing import Any, Dict, Iterable, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import INTRO_NOT_UNDERSTOOD, hand_off
from actions.topics import DEFAULT_TOPICS, HANDOFF_TOPIC, button, likely_topics
from assistant.language import LANGUAGE_ENTITY

ACTION_NAME = "action_ask_rephrase_or_handoff"
# Actions Rasa runs after every user message before the chosen one; they say nothing.
_BOOKKEEPING_ACTIONS = {"action_listen", "action_extract_slots", "action_session_start"}


def consecutive_misunderstood_turns(events: Iterable[Dict[Text, Any]]) -> int:
    """How many user messages in a row, the latest included, went unanswered for lack of
    understanding. Derived from the tracker, so there is no counter to keep in step."""
    first_reply_per_turn: List[Any] = []
    for event in events:
        if event.get("event") == "user":
            first_reply_per_turn.append(None)
        elif (
            event.get("event") == "action"
            and first_reply_per_turn
            and first_reply_per_turn[-1] is None
            and event.get("name") not in _BOOKKEEPING_ACTIONS
        ):
            first_reply_per_turn[-1] = event.get("name")

    # The latest turn is the one being answered now, by this action.
    count = 1
    for reply in reversed(first_reply_per_turn[:-1]):
        if reply != ACTION_NAME:
            break
        count += 1
    return count


class ActionAskRephraseOrHandoff(Action):
    """First misunderstanding: offer the topics the message most likely meant as buttons, or,
    with no likely topic, ask to rephrase and offer the five problems. Second in a row: hand
    off to technical support rather than keep the user guessing."""

    def name(self) -> Text:
        return ACTION_NAME

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        handed_off: List[Dict[Text, Any]] = []
        if consecutive_misunderstood_turns(tracker.events) % 2 == 0:
            handed_off = hand_off(dispatcher, INTRO_NOT_UNDERSTOOD, tracker)
        else:
            language = tracker.get_slot(LANGUAGE_ENTITY)
            topics = likely_topics(tracker.latest_message)
            question = "utter_ask_which_topic" if topics else "utter_ask_rephrase"
            buttons = [button(t, language) for t in (topics or DEFAULT_TOPICS) + [HANDOFF_TOPIC]]
            dispatcher.utter_message(response=question, buttons=buttons)
        # Like Rasa's own default fallback: the dialogue carries on as if the message that
        # was not understood never came, so a flow in progress is not lost and the next
        # prediction is to listen. The events stay in the tracker, which the count reads.
        return [UserUtteranceReverted()] + handed_off
