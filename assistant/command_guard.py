"""User text that looks like a Rasa command is only a command when the bot offered it.

Rasa reads any message starting with "/" as an intent the user chose, with entities and a
confidence of its own: typing `/restart` wipes the conversation, `/request_human{"language":
"en"}` sets slots, `/affirm@0.99` overrules the NLU. Buttons need that (their payloads are such
commands), users typing it do not. Here a command is kept only if it is
- the payload of a button in the bot's messages since the user's previous message, or
- the greeting the chat widget sends when it opens (`/greet`, optionally with the page
  language, sv or en).
Anything else starting with "/" is read as ordinary text, without the slash, so the NLU
answers it like any other message (usually "I didn't understand", with the topics as buttons).

Applied in the Rasa server only, by a patch to MessageProcessor.parse_message
(assistant/rasa_patches.py), where messages arrive from the channels; `rasa test` and the
tools parse the test stories' commands as usual.
"""
import re
from typing import Optional, Set, Text

from rasa.shared.constants import INTENT_MESSAGE_PREFIX
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from assistant.language import SUPPORTED_LANGUAGES

WIDGET_GREETING = re.compile(r'/greet(\{\s*"language"\s*:\s*"(' + "|".join(SUPPORTED_LANGUAGES) + r')"\s*\})?')


def offered_payloads(tracker: Optional[DialogueStateTracker]) -> Set[Text]:
    """The button payloads of the bot's messages since the user last wrote."""
    payloads: Set[Text] = set()
    if tracker is None:
        return payloads
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            for button in (event.data or {}).get("buttons") or []:
                if isinstance(button, dict) and isinstance(button.get("payload"), str):
                    payloads.add(button["payload"])
    return payloads


def allowed_text(text: Optional[Text], tracker: Optional[DialogueStateTracker]) -> Optional[Text]:
    """The text to parse: the message itself, or, for a command the bot did not offer, the
    same text as plain words."""
    if not text or not text.startswith(INTENT_MESSAGE_PREFIX):
        return text
    if WIDGET_GREETING.fullmatch(text) or text in offered_payloads(tracker):
        return text
    return text.lstrip(INTENT_MESSAGE_PREFIX + " ") or text.replace(INTENT_MESSAGE_PREFIX, "?")
