"""Conversations as the tracker store keeps them, and what the review tools read in them."""
import asyncio
import warnings
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent.parent
FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTION = "action_ask_rephrase_or_handoff"
HANDOFF_ACTION = "action_handoff_to_support"
ASK_DID_IT_HELP = "utter_ask_did_it_help"


def stored_conversations(endpoints: Path) -> Iterator[Tuple[str, List[Dict]]]:
    """Every conversation in the tracker store that endpoints.yml configures."""
    from rasa.core.tracker_store import TrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.utils.endpoints import read_endpoint_config

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Rasa 3.6 uses SQLAlchemy APIs it deprecated since
        store = TrackerStore.create(read_endpoint_config(str(endpoints), "tracker_store"), Domain.empty())

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
    for entity in parse_data.get("entities") or []:
        if entity.get("entity") == "language" and entity.get("value") in ("sv", "en"):
            return entity["value"]
    return current or "sv"
