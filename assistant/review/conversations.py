"""Conversations as the tracker store keeps them, and what the review tools read in them."""
import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

from actions.handoff import HANDOFF_REFERENCE_SLOT
from assistant.language import WRITTEN_IN_ENTITY, language_after
from assistant.tracker_store import open_tracker_store

FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTION = "action_ask_rephrase_or_handoff"
# Every handoff sends this response: asked for, advice run out, or the second
# misunderstanding in a row (which action_ask_rephrase_or_handoff hands off itself).
HANDOFF_RESPONSE = "utter_handoff_to_support"
ASK_DID_IT_HELP = "utter_ask_did_it_help"
# Under this intent confidence a message the assistant answered is worth a look.
LOW_CONFIDENCE = 0.8


def stored_conversations(endpoints: Path) -> Iterator[Tuple[str, List[Dict]]]:
    """Every conversation in the tracker store that endpoints.yml configures."""
    store = open_tracker_store(endpoints)

    async def load() -> List[Tuple[str, List[Dict]]]:
        conversations = []
        for sender in await store.keys():
            tracker = await store.retrieve_full_tracker(sender)
            if tracker is not None:
                conversations.append((sender, [event.as_dict() for event in tracker.events]))
        return conversations

    return iter(asyncio.run(load()))


def prediction(parse_data: Dict) -> Tuple[str, float]:
    """The intent the assistant took the message for (a page question as faq/<topic>), with
    its confidence; for a fallback, its best guess behind the fallback."""
    ranking = [i for i in parse_data.get("intent_ranking") or [] if i.get("name") != FALLBACK_INTENT]
    intent = parse_data.get("intent") or {}
    if intent.get("name") == FALLBACK_INTENT:
        intent = ranking[0] if ranking else {"name": FALLBACK_INTENT, "confidence": 0.0}
    name, confidence = intent.get("name") or "", float(intent.get("confidence") or 0.0)
    if name == "faq":
        selected = (parse_data.get("response_selector") or {}).get("faq") or {}
        key = (selected.get("response") or {}).get("intent_response_key")
        top = (selected.get("ranking") or [{}])[0]
        if key:
            name = key
            confidence = min(confidence, float(top.get("confidence") or confidence))
    return name, confidence


def message_language(parse_data: Dict, current: Optional[str]) -> str:
    return language_after(parse_data.get("entities") or [], current)


def written_in(parse_data: Dict) -> Optional[str]:
    for entity in parse_data.get("entities") or []:
        if isinstance(entity, dict) and entity.get("entity") == WRITTEN_IN_ENTITY and entity.get("value"):
            return str(entity["value"])[:8]
    return None


@dataclass
class Message:
    """One user message, as the review tools see it."""
    text: str
    timestamp: float
    language: str
    intent: str  # as the NLU gave it, nlu_fallback included
    predicted: str  # what it was taken for (faq/<topic>); behind a fallback, the best guess
    confidence: float
    not_understood: bool = False  # an NLU fallback, or the fallback action answered it
    position: int = -1  # the index of its event in the conversation's events
    # Written in neither Swedish nor English: the language the NLU found (ISO 639-1, "und" when
    # it could not tell which); `language` stays the conversation's.
    written_in: Optional[str] = None

    @property
    def is_button(self) -> bool:
        return self.text.startswith("/")

    @property
    def topic(self) -> str:
        return FALLBACK_INTENT if self.intent == FALLBACK_INTENT else self.predicted


@dataclass
class Conversation:
    sender: str
    language: Optional[str]  # the language slot at the end
    messages: List[Message] = field(default_factory=list)
    handoff: bool = False
    # (the message whose answer "Did that help?" asked about, whether the user said yes)
    feedback: List[Tuple[Message, bool]] = field(default_factory=list)
    handoff_reference: Optional[str] = None  # given with the handoff (actions/handoff.py)


_ANSWERS = ("affirm", "deny")


def read_conversation(sender: str, events: List[Dict]) -> Conversation:
    """Walk a conversation's stored events (dicts) once: its messages, whether it ended in
    a handoff, and every answer to "Did that help?" with the message it was about."""
    conversation = Conversation(sender, None)
    last_action: Optional[str] = None
    asked_about: Optional[Message] = None
    latest_question: Optional[Message] = None  # the latest message that was not a yes or no
    before_message = (None, None)

    for position, event in enumerate(events):
        kind = event.get("event")
        if kind == "rewind":
            # The fallback took the message back: the dialogue goes on as before it.
            last_action, latest_question = before_message
        elif kind == "slot" and event.get("name") == "language":
            conversation.language = event.get("value") or conversation.language
        elif kind == "slot" and event.get("name") == HANDOFF_REFERENCE_SLOT and event.get("value"):
            conversation.handoff_reference = str(event["value"])
        elif kind == "bot" and (event.get("metadata") or {}).get("utter_action") == HANDOFF_RESPONSE:
            conversation.handoff = True
        elif kind == "action":
            name = event.get("name")
            if name == ASK_DID_IT_HELP:
                asked_about = latest_question
            elif name == FALLBACK_ACTION and conversation.messages:
                conversation.messages[-1].not_understood = True
            if name != "action_listen":
                last_action = name
        elif kind == "user":
            parse_data = event.get("parse_data") or {}
            intent = (parse_data.get("intent") or {}).get("name") or ""
            predicted, confidence = prediction(parse_data)
            message = Message(
                text=event.get("text") or "",
                timestamp=event.get("timestamp") or 0.0,
                language=message_language(parse_data, conversation.language),
                intent=intent, predicted=predicted, confidence=confidence,
                not_understood=intent == FALLBACK_INTENT, position=position,
                written_in=written_in(parse_data),
            )
            conversation.messages.append(message)
            if last_action == ASK_DID_IT_HELP and asked_about is not None and intent in _ANSWERS:
                conversation.feedback.append((asked_about, intent == "affirm"))
            before_message = (last_action, latest_question)
            if intent not in _ANSWERS:
                latest_question = message
            last_action = None
    return conversation
