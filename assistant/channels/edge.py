"""The edge: what every user message passes, whichever channel brings it, before Rasa sees it.

Each step takes time linear in the input, the cheap ones come first, and no regex, mask or
model ever reads more of a message than the length cap:

1. `incoming` (and `parse_request` for a REST body): the request's shape. A sender id that
   is not a short printable string is refused (HTTP 400); one that looks like personal data
   (an email address, a phone or personal identity number) is replaced by a keyed hash, so
   it is never stored while its conversation stays its own. The message is measured first:
   over MAX_MESSAGE_LENGTH characters (leading and trailing space aside) it is only marked
   too long; within the cap it is cleaned (control and format characters, lone surrogates,
   runs of space).
2. `Edge.admit`: the rate limits count the message, whatever comes of it. A message over a
   limit or over the cap is refused with a reply in the language the assistant would answer
   in; any other leaves with its personal data masked, for Rasa.
3. `Edge.handle`: admits the message and hands it to Rasa; a failure on the way (the
   conversation store or Redis out of reach, anything else) becomes a refusal too.

So the edge decides, in one place: answered, or refused with a reason and a reply in the
conversation's language (REPLIES, both languages). Each channel only turns a refusal into
what it can say: the REST channel an HTTP status, socket.io a chat message.
"""
import hashlib
import hmac
import logging
import os
import re
import secrets
import time
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Awaitable, Callable, Dict, Optional, Tuple, Union

from assistant.channels.rate_limit import RateLimiter
from assistant.language import (
    LANGUAGE_ENTITY, SUPPORTED_LANGUAGES, detect_language, page_language, reply_language, supported)
from assistant.privacy import looks_like_personal_data, mask_personal_data
from assistant.reliability import is_outage, kind_and_place

logger = logging.getLogger(__name__)

# Long enough for any real question; short enough that no message costs noticeable CPU.
MAX_MESSAGE_LENGTH = 1000
# The most of a request (REST body, socket.io packet) a channel reads; larger gets HTTP 413.
MAX_BODY_BYTES = 64 * 1024
MAX_SENDER_LENGTH = 128
# A sender id that looked like personal data is stored as this prefix and a keyed hash.
HASHED_SENDER_PREFIX = "hashed-"

# Unicode's control (Cc) and format (Cf) characters and lone UTF-16 surrogates (Cs): line
# breaks, zero-width and direction marks (also the isolates of "Trojan Source"), soft
# hyphens, tags. They carry no meaning for the NLU, can hide or reorder text on a screen,
# and a lone surrogate (valid JSON, but no text) cannot be stored or logged. Each becomes a
# plain space. The ranges are those of Python 3.10's Unicode 13 (tests/test_edge.py checks).
_UNPRINTABLE = (
    "\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u08e2\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb\U000110bd"
    "\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f"
)
_CONTROL = re.compile(f"[{_UNPRINTABLE}]")
_SPACES = re.compile(r"\s+")
# Random ids in a sender id (a UUID, or 32 or more hex digits with a letter, as the chat
# widget makes) are no one's personal data, though their digits may look like a date and four
# more: about one UUID in 140 would otherwise be hashed for nothing. Anything shorter is
# checked as it is (a personnummer with a few letters after it is still one), and so is an id
# that touches "@" or ".", which may be part of an email address.
_RANDOM_ID = re.compile(
    r"(?<![0-9a-zA-Z@.])"
    r"(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|(?=[0-9]*[a-fA-F])[0-9a-fA-F]{32,})"
    r"(?![0-9a-zA-Z@.])"
)
# Refusals' languages read from the store, per sender, for a flood of refusals to cost one read.
_REMEMBERED_LANGUAGES = 10_000
_REMEMBER_SECONDS = 60.0

# Why the edge refuses a message.
TOO_LONG, TOO_FAST, TOO_LARGE, UNAVAILABLE, FAILED = "too long", "too fast", "too large", "unavailable", "failed"
# When to send again after an outage of the stores.
RETRY_AFTER_SECONDS = 10

REPLIES: Dict[str, Dict[str, str]] = {
    TOO_LONG: {
        "sv": f"Ditt meddelande är för långt för mig. Beskriv gärna problemet kortare, "
              f"med högst {MAX_MESSAGE_LENGTH} tecken.",
        "en": f"Your message is too long for me. Please describe the problem more briefly, "
              f"in at most {MAX_MESSAGE_LENGTH} characters.",
    },
    TOO_FAST: {
        "sv": "Du skickar meddelanden snabbare än jag hinner svara. Vänta en liten stund och skicka sedan igen.",
        "en": "You are sending messages faster than I can answer. Please wait a moment, then send it again.",
    },
    TOO_LARGE: {
        "sv": "Förfrågan är för stor.",
        "en": "The request is too large.",
    },
    UNAVAILABLE: {
        "sv": "Assistenten är tillfälligt otillgänglig och ditt meddelande har inte kommit fram. Skicka det gärna igen om en stund.",
        "en": "The assistant is temporarily unavailable and your message did not get through. Please send it again in a moment.",
    },
    FAILED: {
        "sv": "Assistenten kunde inte svara just nu och ditt meddelande har inte kommit fram. Försök gärna igen.",
        "en": "The assistant could not answer just now and your message did not get through. Please try again.",
    },
}


def reply(kind: str, language: Optional[str]) -> str:
    """One of REPLIES in the language, or in both when the language is not known."""
    texts = REPLIES[kind]
    if language in texts:
        return texts[language]
    return "\n\n".join(texts[known] for known in SUPPORTED_LANGUAGES)


class BadRequest(ValueError):
    """A request the channel refuses with HTTP 400; the message says what to send instead."""


@dataclass(frozen=True)
class IncomingMessage:
    sender: str
    # Cleaned; if the message is too long, only its first MAX_MESSAGE_LENGTH characters as
    # sent, to tell its language by.
    text: str
    metadata: Dict[str, Any]
    too_long: bool = False

    @property
    def page_language(self) -> Optional[str]:
        return self.metadata.get("language")


@dataclass(frozen=True)
class Refusal:
    reason: str  # TOO_LONG, TOO_FAST, TOO_LARGE, UNAVAILABLE or FAILED
    text: str  # what the user is told
    retry_after: int = 0  # seconds, for TOO_FAST and UNAVAILABLE


def clean_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def parse_request(body: Any) -> IncomingMessage:
    """A REST request body, checked (BadRequest says what is wrong)."""
    if not isinstance(body, dict):
        raise BadRequest('Send a JSON object like {"sender": "...", "message": "..."}.')
    return incoming(conversation_id(body.get("sender")), body.get("message"),
                    page_metadata(body.get("metadata")))


def incoming(sender: str, message: Any, metadata: Dict[str, Any]) -> IncomingMessage:
    if not isinstance(message, str):
        raise BadRequest('"message" must be a string.')
    typed = message.strip()  # no regex yet: strip reads only the space at either end
    if len(typed) > MAX_MESSAGE_LENGTH:
        return IncomingMessage(sender, typed[:MAX_MESSAGE_LENGTH], metadata, too_long=True)
    text = clean_text(typed)
    if not text:
        raise BadRequest('"message" is empty; write a question or choose a button.')
    return IncomingMessage(sender, text, metadata)


def conversation_id(sender: Any) -> str:
    """The tracker's sender id for a client's `sender`."""
    if not isinstance(sender, str) or not sender.strip():
        raise BadRequest('"sender" must be a non-empty string that identifies the conversation.')
    if len(sender) > MAX_SENDER_LENGTH:
        raise BadRequest(f'"sender" may be at most {MAX_SENDER_LENGTH} characters.')
    if _CONTROL.search(sender):
        raise BadRequest('"sender" may not hold control characters; use a random id such as a UUID.')
    # Hashed ids are hashed again, so no client can name someone else's hashed conversation.
    if sender.startswith(HASHED_SENDER_PREFIX) or looks_like_personal_data(_RANDOM_ID.sub(" ", sender)):
        digest = hmac.new(_sender_key(), sender.encode("utf-8"), hashlib.sha256).hexdigest()
        return HASHED_SENDER_PREFIX + digest[:32]
    return sender


def unprintable(text: str) -> bool:
    """Whether `text` holds a control or format character or a lone surrogate."""
    return _CONTROL.search(text) is not None


def page_metadata(metadata: Any) -> Dict[str, Any]:
    """Keep only the metadata the assistant uses, so nothing else a client sends is stored."""
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise BadRequest('"metadata" must be a JSON object, for example {"language": "en"}.')
    language = page_language(metadata)
    return {"language": language} if language else {}


class Edge:
    """The checks that need the server: the rate limits and the conversation's language."""

    def __init__(self, rate_limiter: RateLimiter) -> None:
        self.rate_limiter = rate_limiter
        self._languages: "OrderedDict[str, Tuple[float, Optional[str]]]" = OrderedDict()

    @classmethod
    def from_environment(cls) -> "Edge":
        return cls(RateLimiter.from_environment())

    async def admit(self, message: IncomingMessage, address: str, agent: Any) -> Union[Refusal, str]:
        """The text to hand to Rasa, masked, or why not. Errors of the rate limits' store
        (Redis) are raised: `handle` refuses them as an outage."""
        wait = await self.rate_limiter.seconds_to_wait(message.sender, address)
        if wait:
            language = await self.reply_language(message, agent)
            return Refusal(TOO_FAST, reply(TOO_FAST, language), wait)
        if message.too_long:
            return Refusal(TOO_LONG, reply(TOO_LONG, await self.reply_language(message, agent)))
        return mask_personal_data(message.text)

    async def handle(self, message: IncomingMessage, address: str, agent: Any,
                     deliver: Callable[[str], Awaitable[Any]]) -> Optional[Refusal]:
        """Admit the message and `deliver` its masked text to Rasa: None once Rasa has
        answered, else why not."""
        try:
            admitted = await self.admit(message, address, agent)
            if isinstance(admitted, Refusal):
                return admitted
            await deliver(admitted)
            return None
        except Exception as error:
            return failure(error, message)

    async def too_large(self, address: str) -> Refusal:
        """A body too large to read counts against its address's limit too. Not read, so its
        language is unknown: the reply comes in both."""
        try:
            wait = await self.rate_limiter.seconds_to_wait(None, address)
        except Exception as error:
            return failure(error, None)
        if wait:
            return Refusal(TOO_FAST, reply(TOO_FAST, None), wait)
        return Refusal(TOO_LARGE, reply(TOO_LARGE, None))

    async def reply_language(self, message: IncomingMessage, agent: Any) -> Optional[str]:
        own = detect_language(message.text)
        if own is not None:  # the rule's first choice: no need to read the store
            return own
        return reply_language(message.text, await self._conversation_language(agent, message.sender),
                              message.page_language)

    async def _conversation_language(self, agent: Any, sender: str) -> Optional[str]:
        now = time.monotonic()
        remembered = self._languages.pop(sender, None)
        if remembered is None or remembered[0] < now:
            remembered = (now + _REMEMBER_SECONDS, await conversation_language(agent, sender))
        self._languages[sender] = remembered
        while len(self._languages) > _REMEMBERED_LANGUAGES:
            self._languages.popitem(last=False)
        return remembered[1]


def failure(error: Exception, message: Optional[IncomingMessage]) -> Refusal:
    """A message that could not be answered: an outage of a store (retry later) or a fault.
    Logged without the message, which may hold personal data."""
    # Not the store's language: the store may be what failed.
    language = reply_language(message.text, None, message.page_language) if message else None
    if is_outage(error):
        logger.error(f"A service the assistant needs is out of reach: {kind_and_place(error)}")
        return Refusal(UNAVAILABLE, reply(UNAVAILABLE, language), RETRY_AFTER_SECONDS)
    logger.error(f"Answering a message failed: {kind_and_place(error)}")
    return Refusal(FAILED, reply(FAILED, language))


async def conversation_language(agent: Any, sender: str) -> Optional[str]:
    """The `language` slot of the stored conversation, if the store can say."""
    store = getattr(agent, "tracker_store", None)
    if store is None:
        return None
    try:
        tracker = await store.retrieve(sender)
    except Exception as error:  # an outage must not turn a refusal into an error
        logger.warning(f"The conversation's language could not be read: {type(error).__name__}")
        return None
    return supported(tracker.get_slot(LANGUAGE_ENTITY)) if tracker is not None else None


def chat_secret() -> bytes:
    """CHAT_SESSION_SECRET: signs socket.io session ids and keys the hash of sender ids that
    look like personal data; the same on every instance."""
    configured = os.environ.get("CHAT_SESSION_SECRET", "").strip()
    return configured.encode("utf-8") if configured else _random_secret()


@lru_cache(maxsize=None)
def _random_secret() -> bytes:
    logger.warning(
        "CHAT_SESSION_SECRET is not set: socket.io chat sessions, and conversations whose "
        "sender id looked like personal data, will not survive a restart of the Rasa server, "
        "nor be shared between several instances."
    )
    return secrets.token_bytes(32)


def _sender_key() -> bytes:
    return hmac.new(chat_secret(), b"sender ids", hashlib.sha256).digest()
