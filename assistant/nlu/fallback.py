"""Rasa's FallbackClassifier, made stricter in two ways the assistant needs.

1. The answer to a question from the page. Such questions are the single intent `faq`, so
   "how do I change my phone number?" versus "what is two-step verification?" is decided by
   the ResponseSelector, whose doubts Rasa's classifier never sees. This one also falls back
   when the selected answer is unsure or nearly tied with the next.
2. Messages without a single word the assistant was trained on ("qwxz plomf", emoji only).
   The classifier can be very confident about such a message, because nothing in it counts
   against its guess; this one asks the user to rephrase. (A message clearly in a language
   the assistant does not speak is the LanguageDetector's intent other_language: never a
   fallback.)

Either way the assistant asks (with the likely topics as buttons) instead of guessing.
"""
import json
import re
import unicodedata
from typing import Any, Dict, FrozenSet, List, Optional, Text, Type

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.nlu.constants import RESPONSE_SELECTOR_PROPERTY_NAME, TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from assistant.language import OTHER_LANGUAGE_INTENT, is_common_word

ANSWER_THRESHOLD = "answer_threshold"
ANSWER_AMBIGUITY_THRESHOLD = "answer_ambiguity_threshold"
VOCABULARY_FILE = "vocabulary.json"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class StricterFallbackClassifier(FallbackClassifier):
    @classmethod
    def required_components(cls) -> List[Type]:
        # Its training only reads the tokens. It still has to come after the classifiers in
        # the pipeline, whose predictions it checks.
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **FallbackClassifier.get_default_config(),
            ANSWER_THRESHOLD: 0.5,
            ANSWER_AMBIGUITY_THRESHOLD: 0.1,
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: Optional[ModelStorage] = None,
        resource: Optional[Resource] = None,
        vocabulary: FrozenSet[Text] = frozenset(),
    ) -> None:
        super().__init__(config)
        self._model_storage = model_storage
        self._resource = resource
        self._vocabulary = vocabulary
        self._plain_vocabulary = frozenset(_plain(word) for word in vocabulary)
        self._pieces = _pieces(self._plain_vocabulary)

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "StricterFallbackClassifier":
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "StricterFallbackClassifier":
        with model_storage.read_from(resource) as directory:
            words = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
        return cls(config, model_storage, resource, frozenset(words))

    def train(self, training_data: TrainingData) -> Resource:
        words = {
            word
            for example in training_data.training_examples
            for word in _words(example)
        }
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(json.dumps(sorted(words)), encoding="utf-8")
        self._vocabulary = frozenset(words)
        self._plain_vocabulary = frozenset(_plain(word) for word in words)
        self._pieces = _pieces(self._plain_vocabulary)
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        messages = super().process(messages)
        for message in messages:
            if self._no_known_word(message):
                # With nothing it knows in the message, the classifiers' ranking is noise: keep
                # only the fallback, so no topic is offered on the strength of it.
                message.data[INTENT_RANKING_KEY] = message.data[INTENT_RANKING_KEY][:1]
        return messages

    def _should_fallback(self, message: Message) -> bool:
        if message.data[INTENT].get(INTENT_NAME_KEY) == OTHER_LANGUAGE_INTENT:
            # Decided by the language identifier (LanguageDetector), not a classifier's guess.
            return False
        return (
            super()._should_fallback(message)
            or self._no_known_word(message)
            or self._answer_unclear(message)
        )

    def _no_known_word(self, message: Message) -> bool:
        return not any(self._known(word) for word in _words(message))

    def _known(self, word: Text) -> bool:
        """A word of the training data, also typed without å/ä/ö or drawn out ("hejda",
        "hellooo"), a common chat word the language vote knows ("jajamensan"), or a word with
        a four-letter piece of one ("godmorron", "tacksåmkt"): the classifiers read character
        n-grams up to four letters, so such a word gives them something to go on, where
        keyboard mashing ("qwxz plomf") gives nothing."""
        if word in self._vocabulary or is_common_word(word):
            return True
        plain = _plain(word)
        return plain in self._plain_vocabulary or any(piece in self._pieces for piece in _word_pieces(plain))

    def _answer_unclear(self, message: Message) -> bool:
        intent = message.data[INTENT].get(INTENT_NAME_KEY)
        selection = (message.get(RESPONSE_SELECTOR_PROPERTY_NAME) or {}).get(intent)
        ranking = (selection or {}).get("ranking") or []
        if not ranking:
            return False
        best = ranking[0].get(PREDICTED_CONFIDENCE_KEY, 0.0)
        runner_up = ranking[1].get(PREDICTED_CONFIDENCE_KEY, 0.0) if len(ranking) > 1 else 0.0
        return (
            best < self.component_config[ANSWER_THRESHOLD]
            or best - runner_up < self.component_config[ANSWER_AMBIGUITY_THRESHOLD]
        )


_DRAWN_OUT = re.compile(r"(.)\1{2,}")


def _plain(word: Text) -> Text:
    """Without accents and with letters drawn out to three or more taken once."""
    plain = "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))
    return _DRAWN_OUT.sub(r"\1", plain)


PIECE = 4


def _word_pieces(word: Text) -> List[Text]:
    return [word[i:i + PIECE] for i in range(len(word) - PIECE + 1)]


def _pieces(words: FrozenSet[Text]) -> FrozenSet[Text]:
    return frozenset(piece for word in words for piece in _word_pieces(word))


def _words(message: Message) -> FrozenSet[Text]:
    return frozenset(token.text.lower() for token in message.get(TOKENS_NAMES[TEXT]) or [])
