"""Rasa's ResponseSelector, asked only when one of the page's answers can reach the user.

The selector picks the answer among the page's questions (faq/<topic>), and costs as much time
per message as DIET itself. Most messages are not page questions: for them its pick is never
used, so it is not made. It is made when the message is taken for a page question (after the
language detector, which may set DIET's first choice aside), and when DIET gives page questions
at least `min_confidence`, where an answer can still be offered as a button after a fallback
(actions/topics.py, `likely_topics`: an answer's chance there is faq's confidence times the
selector's, so below that confidence no answer can be offered). Messages it skips carry no
`response_selector`, as in a model without page questions.
"""
import warnings
from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import (INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY,
                                       PREDICTED_CONFIDENCE_KEY)
from rasa.shared.nlu.training_data.message import Message

from actions.topics import MIN_TOPIC_CONFIDENCE

MIN_CONFIDENCE = "min_confidence"

# Rasa's recipe validator looks for its ResponseSelector class itself, not a subclass, and
# would tell every training that the page questions' answers are not used.
warnings.filterwarnings(
    "ignore", message="You have defined training data with examples for training a response selector"
)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class PageAnswerSelector(ResponseSelector):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**ResponseSelector.get_default_config(), MIN_CONFIDENCE: MIN_TOPIC_CONFIDENCE}

    def process(self, messages: List[Message]) -> List[Message]:
        asked = [message for message in messages if self.answer_can_matter(message)]
        if asked:
            super().process(asked)
        return messages

    def answer_can_matter(self, message: Message) -> bool:
        retrieval_intent = self.retrieval_intent
        if retrieval_intent is None:  # one selector for every retrieval intent: always asked
            return True
        if (message.get(INTENT) or {}).get(INTENT_NAME_KEY) == retrieval_intent:
            return True
        floor = float(self.component_config[MIN_CONFIDENCE])
        return any(
            ranked.get(INTENT_NAME_KEY) == retrieval_intent
            and float(ranked.get(PREDICTED_CONFIDENCE_KEY) or 0.0) >= floor
            for ranked in message.get(INTENT_RANKING_KEY) or []
        )
