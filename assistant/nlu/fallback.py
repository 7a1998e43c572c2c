"""Rasa's FallbackClassifier, extended to the ResponseSelector's choice of answer.

Rasa's own classifier only looks at the intents. A question from the page is the single intent
`faq`, so "how do I change my phone number?" versus "what is two-step verification?" is decided
by the ResponseSelector, whose doubts the classifier never sees. This one also falls back when
the selected answer is unsure or nearly tied with the next, so the assistant asks (offering the
likely topics as buttons) instead of guessing.
"""
from typing import Any, Dict, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY
from rasa.shared.nlu.training_data.message import Message

RESPONSE_SELECTOR = "response_selector"
ANSWER_THRESHOLD = "answer_threshold"
ANSWER_AMBIGUITY_THRESHOLD = "answer_ambiguity_threshold"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class AnswerAwareFallbackClassifier(FallbackClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **FallbackClassifier.get_default_config(),
            ANSWER_THRESHOLD: 0.5,
            ANSWER_AMBIGUITY_THRESHOLD: 0.1,
        }

    def _should_fallback(self, message: Message) -> bool:
        return super()._should_fallback(message) or self._answer_unclear(message)

    def _answer_unclear(self, message: Message) -> bool:
        intent = message.data[INTENT].get(INTENT_NAME_KEY)
        selection = (message.get(RESPONSE_SELECTOR) or {}).get(intent)
        if not selection:
            return False
        ranking = selection.get("ranking") or []
        if not ranking:
            return False
        best = ranking[0].get(PREDICTED_CONFIDENCE_KEY, 0.0)
        runner_up = ranking[1].get(PREDICTED_CONFIDENCE_KEY, 0.0) if len(ranking) > 1 else 0.0
        return (
            best < self.component_config[ANSWER_THRESHOLD]
            or best - runner_up < self.component_config[ANSWER_AMBIGUITY_THRESHOLD]
        )
