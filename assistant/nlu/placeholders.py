"""An NLU component that reads a message without the placeholders of masked personal data.

The channel replaces personal identity numbers, email addresses and phone numbers with
[personnummer], [e-post] and [telefon] before Rasa sees a message (assistant/privacy.py).
They say nothing about what the user wants ("the form won't open, my email is [e-post]" is
about the form), and no training example has them, so the classifiers see the message
without them; the stored text keeps them, for review.
"""
import re
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from assistant.privacy import EMAIL, PERSONAL_NUMBER, PHONE

_PLACEHOLDERS = re.compile("|".join(re.escape(p) for p in (PERSONAL_NUMBER, EMAIL, PHONE)))


def without_placeholders(text: str) -> str:
    stripped = " ".join(_PLACEHOLDERS.sub(" ", text).split())
    return stripped or text  # a message of placeholders only is left for the fallback


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False
)
class PlaceholderRemover(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "PlaceholderRemover":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if text:
                message.set(TEXT, without_placeholders(text))
        return messages
