"""Handing the user over to Migrationsverket's technical support.

The phone number, menu choices and what to have at hand live in the response
`utter_handoff_to_support` in domain.yml; this module only decides how to introduce it.
"""
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

INTRO_REQUESTED = "utter_handoff_intro_requested"
INTRO_ADVICE_RAN_OUT = "utter_handoff_intro_advice_ran_out"
INTRO_NOT_UNDERSTOOD = "utter_handoff_intro_not_understood"


def hand_off(dispatcher: CollectingDispatcher, intro: Text) -> None:
    """Send the handoff: a sentence that fits the situation, then how to reach support."""
    dispatcher.utter_message(response=intro)
    dispatcher.utter_message(response="utter_handoff_to_support")


class ActionHandoffToSupport(Action):
    """Hand off when the user asks for a person or a troubleshooting path has run out."""

    def name(self) -> Text:
        return "action_handoff_to_support"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        if tracker.latest_action_name == "action_listen":
            # A "no" to "did that help?" is the only way a flow reaches this action directly
            # after the user; anything else (request_human, its button) asks for a person.
            intent = (tracker.latest_message.get("intent") or {}).get("name")
            intro = INTRO_ADVICE_RAN_OUT if intent == "deny" else INTRO_REQUESTED
            hand_off(dispatcher, intro)
        else:
            # The flow's last step ("if your operator allows MIGR, support must
            # troubleshoot") has just led into the handoff; another introduction would repeat it.
            dispatcher.utter_message(response="utter_handoff_to_support")
        return []
