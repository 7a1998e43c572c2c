"""Handing the user over to Migrationsverket's technical support.

The phone number, menu choices and what to have at hand live in the response
`utter_handoff_to_support` in domain.yml; this module decides how to introduce it, and gives
the conversation a handoff reference: a short code the user reads out on the phone, with which
the support agent finds the conversation in the staff console. HANDOFF_REFERENCES=off turns the
references off (the console's look-up then says so).
"""
import os
import secrets
from typing import Any, Dict, List, Mapping, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

# The slot that keeps the conversation's reference (domain.yml); the console finds it there.
HANDOFF_REFERENCE_SLOT = "handoff_reference"

INTRO_REQUESTED = "utter_handoff_intro_requested"
INTRO_ADVICE_RAN_OUT = "utter_handoff_intro_advice_ran_out"
INTRO_NOT_UNDERSTOOD = "utter_handoff_intro_not_understood"


# Letters and digits that are not mistaken for one another when read aloud or written down
# (no O beside 0, no 1/I/L, 2/Z, 5/S, 8/B, G/J). 24 symbols, 8 of them: 24**8 = 1.1e11
# references, so that guessing one of the conversations kept, at the console's rate limit
# (docs/support-leads.md), is hopeless.
REFERENCE_ALPHABET = "ACDEFHKMNPQRTUVWXY346790"
REFERENCE_LENGTH = 8


def references_enabled(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get("HANDOFF_REFERENCES", "on").strip().lower() not in ("off", "false", "0", "no")


def new_reference() -> Text:
    """Like "K7QF-4MXA": two groups of four, easy to read out."""
    code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
    return f"{code[:4]}-{code[4:]}"


def _code(typed: Text) -> Text:
    """The letters and digits of what was typed, upper case, O read as 0."""
    return "".join(ch for ch in typed[:40].upper().replace("O", "0") if ch.isalnum())


def reference_problem(typed: Text) -> Optional[Tuple[Text, Text]]:
    """Why `typed` cannot be a reference: ("length", how many characters) or ("character",
    the first that is never in one); None if it can be."""
    code = _code(typed)
    wrong = next((ch for ch in code if ch not in REFERENCE_ALPHABET), None)
    if wrong is not None:
        return "character", wrong
    if len(code) != REFERENCE_LENGTH:
        return "length", str(len(code))
    return None


def normal_reference(typed: Text) -> Optional[Text]:
    """A reference as someone may type or hear it (lower case, spaces, no dash), written as it
    was given; None when it cannot be one."""
    if reference_problem(typed) is not None:
        return None
    code = _code(typed)
    return f"{code[:4]}-{code[4:]}"


def hand_off(dispatcher: CollectingDispatcher, intro: Optional[Text], tracker: Tracker) -> List[Dict[Text, Any]]:
    """Send the handoff: a sentence that fits the situation (unless the flow has just said
    one), how to reach support and the conversation's reference; the events that keep it."""
    if intro:
        dispatcher.utter_message(response=intro)
    dispatcher.utter_message(response="utter_handoff_to_support")
    if not references_enabled():
        return []
    # One reference per conversation: a second handoff repeats the first one's.
    reference = tracker.get_slot(HANDOFF_REFERENCE_SLOT) or new_reference()
    dispatcher.utter_message(response="utter_handoff_reference", handoff_reference=reference)
    return [SlotSet(HANDOFF_REFERENCE_SLOT, reference)]


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
            return hand_off(dispatcher, INTRO_ADVICE_RAN_OUT if intent == "deny" else INTRO_REQUESTED, tracker)
        # The flow's last step ("if your operator allows MIGR, support must troubleshoot")
        # has just led into the handoff; another introduction would repeat it.
        return hand_off(dispatcher, None, tracker)
