"""An NLU component that notes the language of every message.

- Swedish or English: the entity `language`, which the domain maps to the `language` slot, so
  every response comes in that language's variation.
- Clearly neither: the entity `written_in` (the language found, for the figures) and the intent
  `other_language`, whatever the classifiers guessed, so the message gets the reply in both
  languages instead of advice in a language the user did not write.
- Unclear ("ok", "1", an emoji): nothing, so the slot, and the conversation's language, stay.
The classifiers also learn `other_language` from examples. The identifier's verdict wins:
Swedish or English, and the classifiers' next choice is taken; unsure, and the classifiers'
other_language stands only when they are sure of it (one word, "hola", "merhaba", is too
little for the identifier), as a language it cannot name.

Training keeps the words of the training data (other_language's examples left out): a
message mostly made of them is Swedish or English, whatever the identifier says.
"""
import json
from typing import Any, Dict, FrozenSet, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from assistant.language import (LANGUAGE_ENTITY, OTHER_LANGUAGE_INTENT, UNDETERMINED, WRITTEN_IN_ENTITY, identify,
                                leans_to_another_language, supported, words)

VOCABULARY_FILE = "words.json"
# The classifiers' own other_language, when the identifier is unsure: measured on the held-out
# sentences, no Swedish or English one reaches it.
SURE = "other_language_confidence"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True
)
class LanguageDetector(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {SURE: 0.8}

    def __init__(self, config: Dict[Text, Any], model_storage: Optional[ModelStorage] = None,
                 resource: Optional[Resource] = None, known_words: FrozenSet[str] = frozenset(),
                 answers_other_languages: bool = False) -> None:
        self._sure = float(config.get(SURE, 0.8))
        self._model_storage = model_storage
        self._resource = resource
        self._known_words = known_words
        # Only a model trained with other_language (and its reply) may take a message for it: an
        # older one, loaded after a rollback, notes the language and nothing more.
        self._answers_other_languages = answers_other_languages

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LanguageDetector":
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "LanguageDetector":
        try:
            with model_storage.read_from(resource) as directory:
                saved = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
        except (ValueError, OSError):
            saved = {}
        identify("warm up")  # loads the identifiers' models with the assistant's, not at the first message
        return cls(config, model_storage, resource, frozenset(saved.get("words") or []),
                   bool(saved.get("answers_other_languages")))

    def train(self, training_data: TrainingData) -> Resource:
        examples = training_data.intent_examples
        known = sorted({word for example in examples if example.get(INTENT) != OTHER_LANGUAGE_INTENT
                        for word in words(example.get(TEXT) or "")})
        answers = any(example.get(INTENT) == OTHER_LANGUAGE_INTENT for example in examples)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(
                json.dumps({"words": known, "answers_other_languages": answers}, ensure_ascii=False), encoding="utf-8")
        self._known_words, self._answers_other_languages = frozenset(known), answers
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            language = identify(text, self._known_words)
            if not self._answers_other_languages:
                if supported(language):
                    _add_entity(message, LANGUAGE_ENTITY, language, len(text))
            elif language is None:
                intent = message.get(INTENT) or {}
                if (intent.get(INTENT_NAME_KEY) == OTHER_LANGUAGE_INTENT
                        and float(intent.get(PREDICTED_CONFIDENCE_KEY) or 0) >= self._sure
                        and leans_to_another_language(text)):
                    _add_entity(message, WRITTEN_IN_ENTITY, UNDETERMINED, len(text))
                    _take_for_other_language(message)
                else:
                    _unless_confirmed(message)
            elif supported(language):
                _add_entity(message, LANGUAGE_ENTITY, language, len(text))
                _unless_confirmed(message)
            else:
                _add_entity(message, WRITTEN_IN_ENTITY, language, len(text))
                _take_for_other_language(message)
        return messages


def _add_entity(message: Message, entity: str, value: str, length: int) -> None:
    found = {
        ENTITY_ATTRIBUTE_TYPE: entity,
        ENTITY_ATTRIBUTE_VALUE: value,
        # The whole message is the evidence for its language.
        ENTITY_ATTRIBUTE_START: 0,
        ENTITY_ATTRIBUTE_END: length,
        ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
        EXTRACTOR: LanguageDetector.__name__,
    }
    message.set(ENTITIES, message.get(ENTITIES, []) + [found], add_to_output=True)


def _take_for_other_language(message: Message) -> None:
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != OTHER_LANGUAGE_INTENT]
    chosen = {INTENT_NAME_KEY: OTHER_LANGUAGE_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}
    message.set(INTENT, chosen, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [chosen] + ranking, add_to_output=True)


def _unless_confirmed(message: Message) -> None:
    """A classifier's other_language the identifier does not confirm gives way to the next intent."""
    intent = message.get(INTENT) or {}
    if intent.get(INTENT_NAME_KEY) != OTHER_LANGUAGE_INTENT:
        return
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != OTHER_LANGUAGE_INTENT]
    if ranking:
        message.set(INTENT, dict(ranking[0]), add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
