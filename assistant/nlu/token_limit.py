"""An NLU component that keeps the first tokens of a very long message and drops the rest.

The classifiers' cost grows with the number of tokens: 1000 exclamation marks or emoji,
within the channel's length cap, are 1000 tokens and cost a quarter of a second of CPU. A
real question says what it is about long before its 100th token, so the classifiers read at
most that many; the stored text stays whole.
"""
from typing import Any, Dict, List, Text, Type

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.nlu.constants import TOKENS_NAMES

MAX_TOKENS = "max_tokens"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False
)
class TokenLimit(GraphComponent):
    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {MAX_TOKENS: 100}

    def __init__(self, max_tokens: int) -> None:
        self._max_tokens = max_tokens

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "TokenLimit":
        return cls(int(config[MAX_TOKENS]))

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            tokens = message.get(TOKENS_NAMES[TEXT])
            if tokens and len(tokens) > self._max_tokens:
                message.set(TOKENS_NAMES[TEXT], tokens[: self._max_tokens])
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data
