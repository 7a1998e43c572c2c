"""The NLU on held-out sentences (tests/nlu/<language>/), never seen in training."""
import re
from collections import Counter

import pytest

from tests.conftest import FIGURES, LANGUAGES, held_out_examples, training_examples

MIN_ACCURACY = 0.90
MIN_SENTENCES_PER_INTENT = 10


def normalised(text: str) -> str:
    return re.sub(r"[^\w ]", "", text.lower()).strip()


@pytest.mark.parametrize("language", LANGUAGES)
def test_held_out_sentences_never_appear_in_training_data(language):
    training = {normalised(text) for lang in LANGUAGES for text, _ in training_examples(lang)}
    leaked = [text for text, _ in held_out_examples(language) if normalised(text) in training]
    assert leaked == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_intent_has_enough_held_out_sentences(language):
    trained_intents = {intent for _, intent in training_examples(language)}
    counts = Counter(intent for _, intent in held_out_examples(language))
    too_few = {i: counts[i] for i in trained_intents if counts[i] < MIN_SENTENCES_PER_INTENT}
    assert too_few == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_intent_accuracy_on_held_out_sentences(language, parse):
    examples = held_out_examples(language)
    results = parse([text for text, _ in examples])
    mistakes = [
        (text, expected, result["intent"]["name"])
        for (text, expected), result in zip(examples, results)
        if result["intent"]["name"] != expected
    ]
    accuracy = 1 - len(mistakes) / len(examples)

    FIGURES.append(
        f"NLU intent accuracy ({language}): {accuracy:.1%} "
        f"({len(examples) - len(mistakes)}/{len(examples)} held-out sentences)"
    )
    FIGURES.extend(f"    {language} '{t}': expected {e}, got {g}" for t, e, g in mistakes)
    assert accuracy >= MIN_ACCURACY, mistakes


@pytest.mark.parametrize(
    "text, language",
    [("jag har inte fått någon sms kod", "sv"), ("i never got the sms code", "en")],
)
def test_parse_notes_the_language_of_the_message(parse, text, language):
    (result,) = parse([text])
    languages = [e["value"] for e in result["entities"] if e["entity"] == "language"]
    assert languages == [language]
