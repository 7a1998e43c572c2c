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
from typing import Any, Dict, FrozenSet, List, Optional, Set, Text, Type

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
        piece_words: Optional[FrozenSet[Text]] = None,
    ) -> None:
        super().__init__(config)
        self._model_storage = model_storage
        self._resource = resource
        self._use_vocabulary(vocabulary, vocabulary if piece_words is None else piece_words)

    def _use_vocabulary(self, vocabulary: FrozenSet[Text], piece_words: FrozenSet[Text]) -> None:
        self._vocabulary = vocabulary
        self._plain_vocabulary = frozenset(form for word in vocabulary for form in _plain_forms(word))
        self._pieces = frozenset(piece for word in piece_words for form in _plain_forms(word)
                                 for piece in _word_pieces(form))

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
            stored = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
        if isinstance(stored, list):  # a model from before the pieces were kept apart
            return cls(config, model_storage, resource, frozenset(stored))
        return cls(config, model_storage, resource, frozenset(stored["words"]), frozenset(stored["piece_words"]))

    def train(self, training_data: TrainingData) -> Resource:
        # Pieces only of Swedish and English words seen in two examples or more: the character
        # n-gram featurizer keeps only n-grams seen twice (min_df), and the other-language
        # examples' words say nothing of ours.
        words: Set[Text] = set()
        seen: Dict[Text, int] = {}
        for example in training_data.training_examples:
            found = _words(example)
            words |= found
            if example.get(INTENT) != OTHER_LANGUAGE_INTENT:
                for word in found:
                    seen[word] = seen.get(word, 0) + 1
        piece_words = {word for word, examples in seen.items() if examples >= 2}
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(
                json.dumps({"words": sorted(words), "piece_words": sorted(piece_words)}), encoding="utf-8")
        self._use_vocabulary(frozenset(words), frozenset(piece_words))
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
        a four-letter piece of a Swedish or English word seen in two examples or more
        ("godmorron", "tacksåmkt"): the classifiers read such character n-grams, so the word
        gives them something to go on, where keyboard mashing ("qwxz plomf") gives nothing.
        Punctuation, digits and one letter over and over ("zzzzz") are no word."""
        letters = [c for c in word[:MAX_WORD] if c.isalpha()]
        if len(set(letters)) < 2:  # punctuation, digits, "zzzzz", a lone "a"
            return False
        if word in self._vocabulary or is_common_word(word):
            return True
        forms = _plain_forms(word)
        return (any(form in self._plain_vocabulary for form in forms)
                or any(piece in self._pieces for form in forms for piece in _word_pieces(form)))

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
# A longer "word" is no word; reading only its beginning bounds the work on hostile input.
MAX_WORD = 64


def _plain_forms(word: Text) -> FrozenSet[Text]:
    """Without accents, and letters drawn out to three or more taken once or twice ("goood" may
    be "god" or "good")."""
    plain = "".join(c for c in unicodedata.normalize("NFD", word[:MAX_WORD]) if not unicodedata.combining(c))
    return frozenset({plain, _DRAWN_OUT.sub(r"\1", plain), _DRAWN_OUT.sub(r"\1\1", plain)})


PIECE = 4


def _word_pieces(word: Text) -> List[Text]:
    return [word[i:i + PIECE] for i in range(len(word) - PIECE + 1)]


def _words(message: Message) -> FrozenSet[Text]:
    return frozenset(token.text.lower() for token in message.get(TOKENS_NAMES[TEXT]) or [])
