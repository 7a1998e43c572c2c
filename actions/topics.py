"""The topics the assistant can offer as buttons, read from content/coverage-map.yml."""
from typing import Any, Dict, List, Optional, Text

import yaml

from assistant import paths
from assistant.language import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES

COVERAGE_MAP = paths.COVERAGE_MAP
TOPICS: Dict[Text, Dict[Text, Text]] = yaml.safe_load(
    COVERAGE_MAP.read_text(encoding="utf-8")
)["topics"]

HANDOFF_TOPIC = "request_human"
# Offered when the assistant has no better guess: the five problems it troubleshoots.
DEFAULT_TOPICS = [
    "no_email",
    "no_sms_code",
    "card_payment_failed",
    "pdf_form_wont_open",
    "personal_number_incorrect",
]
# A topic less likely than this is not offered as a button. The NLU leaves the page answers
# out below it (assistant/nlu/page_answer.py).
MIN_TOPIC_CONFIDENCE = 0.2


def button(topic: Text, language: Optional[Text]) -> Dict[Text, Text]:
    """A button for the topic in the conversation's language (Swedish by default).
    A question from the page sends its own title, which the NLU knows as that question."""
    entry = TOPICS[topic]
    title = entry[language if language in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE]
    return {"title": title, "payload": entry.get("payload", title)}


def likely_topics(
    parsed: Dict[Text, Any], limit: int = 3, min_confidence: float = MIN_TOPIC_CONFIDENCE
) -> List[Text]:
    """The topics a message most probably meant, best first, from the NLU's rankings.

    A retrieval intent (faq) stands for its answers: each answer's chance is the intent's
    confidence times the ResponseSelector's confidence in that answer."""
    selections = parsed.get("response_selector") or {}
    scores: Dict[Text, float] = {}
    for intent in parsed.get("intent_ranking") or []:
        name, confidence = intent.get("name"), intent.get("confidence", 0.0)
        if name in selections:
            for answer in selections[name].get("ranking") or []:
                key = answer.get("intent_response_key")
                scores[key] = max(scores.get(key, 0.0), confidence * answer.get("confidence", 0.0))
        else:
            scores[name] = max(scores.get(name, 0.0), confidence)
    candidates = [
        topic
        for topic, score in scores.items()
        if topic in TOPICS and topic != HANDOFF_TOPIC and score >= min_confidence
    ]
    return sorted(candidates, key=lambda topic: -scores[topic])[:limit]
