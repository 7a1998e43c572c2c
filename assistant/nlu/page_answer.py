"""Rasa's ResponseSelector, asked only when one of the page's answers can reach the user.

The selector picks the answer among the page's questions (faq/<topic>), and costs as much time
per message as DIET itself. Most messages are not page questions: for them its pick is never
used, so it is not made. It is made when the message is taken for a page question (after the
language detector, which may set DIET's first choice aside), and when DIET gives page questions
at least the confidence a topic needs to be offered as a button after a fallback
(actions/topics.py, `MIN_TOPIC_CONFIDENCE`: an answer's chance there is faq's confidence times
the selector's, so below it no answer can be offered; read from there, not set in config.yml,
so the two cannot drift apart). Messages it skips carry no `response_selector`, as in a model
without page questions.
"""
import warnings
from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import (INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY,
                                       PREDICTED_CONFIDENCE_KEY)
from rasa.shared.nlu.training_data.message import Message

from actions.topics import MIN_TOPIC_CONFIDENCE

# Rasa's recipe validator looks for its ResponseSelector class itself, not a subclass, and
# would tell every training that the page questions' answers are not used.
warnings.filterwarnings(
    "ignore", message="You have defined training data with examples for training a response selector"
)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class PageAnswerSelector(ResponseSelector):
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
        return any(
            ranked.get(INTENT_NAME_KEY) == retrieval_intent
            and float(ranked.get(PREDICTED_CONFIDENCE_KEY) or 0.0) >= MIN_TOPIC_CONFIDENCE
            for ranked in message.get(INTENT_RANKING_KEY) or []
        )
