"""Checks and clean-up applied to every user message before Rasa sees it."""
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Dict, Optional

from assistant.language import ENGLISH, SUPPORTED_LANGUAGES, detect_language
from assistant.privacy import mask_personal_data

# Long enough for any real question; short enough that no message costs noticeable CPU.
MAX_MESSAGE_LENGTH = 1000
MAX_SENDER_LENGTH = 128

# Control and format characters (C0/C1 controls, zero-width and direction marks) carry no
# meaning for the NLU; line breaks and tabs become plain spaces.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_SPACES = re.compile(r"\s+")

TOO_LONG_REPLY = {
    "sv": (
        f"Ditt meddelande är för långt för mig. Beskriv gärna problemet kortare, "
        f"med högst {MAX_MESSAGE_LENGTH} tecken."
    ),
    "en": (
        f"Your message is too long for me. Please describe the problem more briefly, "
        f"in at most {MAX_MESSAGE_LENGTH} characters."
    ),
}


class BadRequest(ValueError):
    """A request the channel refuses with HTTP 400; the message says what to send instead."""


@dataclass(frozen=True)
class IncomingMessage:
    sender: str
    text: str
    metadata: Dict[str, Any]
    # Given instead of an answer, without the NLU seeing the text: the message is too long.
    refusal: Optional[str] = None


def clean_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def parse_request(body: Any) -> IncomingMessage:
    """Validate a REST request body and return the message with its text cleaned and its
    personal data masked, so that neither the tracker store nor any log ever holds it."""
    if not isinstance(body, dict):
        raise BadRequest('Send a JSON object like {"sender": "...", "message": "..."}.')
    sender = body.get("sender")
    if not isinstance(sender, str) or not sender.strip():
        raise BadRequest('"sender" must be a non-empty string that identifies the conversation.')
    if len(sender) > MAX_SENDER_LENGTH:
        raise BadRequest(f'"sender" may be at most {MAX_SENDER_LENGTH} characters.')
    message = body.get("message")
    if not isinstance(message, str):
        raise BadRequest('"message" must be a string.')
    typed = clean_text(message)
    if not typed:
        raise BadRequest('"message" is empty; write a question or choose a button.')
    metadata = page_metadata(body.get("metadata"))
    return IncomingMessage(sender=sender, text=mask_personal_data(typed), metadata=metadata,
                           refusal=too_long_reply(typed, metadata.get("language")))


def page_metadata(metadata: Any) -> Dict[str, Any]:
    """Keep only the metadata the assistant uses, so nothing else a client sends is stored."""
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise BadRequest('"metadata" must be a JSON object, for example {"language": "en"}.')
    language = metadata.get("language")
    return {"language": language} if language in SUPPORTED_LANGUAGES else {}


def too_long_reply(typed: str, page_language: Optional[str]) -> Optional[str]:
    """The reply to a message over the length cap, in its language; None if within the cap.
    The cap applies to the cleaned text as typed: masking may lengthen it."""
    if len(typed) <= MAX_MESSAGE_LENGTH:
        return None
    language = detect_language(typed[: 4 * MAX_MESSAGE_LENGTH]) or page_language
    if language in TOO_LONG_REPLY:
        return TOO_LONG_REPLY[language]
    return f"{TOO_LONG_REPLY['sv']}\n\n{TOO_LONG_REPLY[ENGLISH]}"
