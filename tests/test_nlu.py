"""The NLU on held-out sentences (tests/nlu/), never seen in training.

Three figures per language:
- intent: the intent the assistant acts on (a question from the page counts as `faq`; a
  fallback counts as wrong);
- answer: for questions from the page, whether the ResponseSelector picks the right answer;
- topic: both together, as the user experiences it;
the topic also per class of held-out sentences (clean: tests/nlu/<language>/*.yml; story/,
mixed/, misspelt/, nordic/: its subfolders), and for messages in other languages
(tests/nlu/other/) the share that gets the reply in both languages instead of advice.
Each floor is at most two sentences' worth below what the current model measures, so a real
drop fails while a retrain's noise does not.
"""
import re
import unicodedata
from collections import Counter, defaultdict

import pytest

from assistant.review.evaluation import (OTHER_LANGUAGE_INTENT, base_intent, held_out, other_language_sentences,
                                         selected_answer, topic_of)
from tests.conftest import FIGURES, LANGUAGES, held_out_examples, training_examples

# Measured on 2026-12-05 with the model of config.yml and data/ then, on every held-out sentence
# of a language (sv / en): intent 97.6 / 96.9 %, answer 96.3 / 98.4 %; floors 1.5 points below.
# The answer is the one the user can get: a page question DIET takes for something else, with
# little confidence in page questions, gets none (assistant/nlu/page_answer.py).
FLOORS = {
    "intent": {"sv": 0.961, "en": 0.954},
    "answer": {"sv": 0.948, "en": 0.969},
}
# Topic right, as the user gets it, per class and language (sv / en): clean 96.0 / 96.2 %
# (430/448, 455/473), stories 95.2 / 96.8 % (60/63, 61/63), mixed languages 100 / 95.3 %
# (41/41, 41/43), misspelt 97.7 / 100 % (42/43, 42/42), Norwegian and Danish 100 % (18/18).
# Every class is at issue 17's 92 % or above; each floor is two sentences below what was
# measured, since one training differs from the next by about that much, so for en mixed and
# Norwegian and Danish the floor itself is below 92 %.
TOPIC_FLOORS = {
    # en: 452/473 (95.6 %) with DIET's seed 2 on an Intel Xeon (2026-12-06), two sentences below.
    "clean": {"sv": 0.955, "en": 0.951},
    "story": {"sv": 0.920, "en": 0.936},
    "mixed": {"sv": 0.951, "en": 0.906},
    "misspelt": {"sv": 0.930, "en": 0.952},
    "nordic": {"sv": 0.888},
}
# Messages in other languages that get the reply in both languages: 97.4 % measured (185/190);
# two sentences below.
OTHER_LANGUAGE_FLOOR = 0.963
MIN_SENTENCES_PER_INTENT = 10
# The bar for the classes it names; Norwegian and Danish, answered in Swedish, are fewer.
MIN_SENTENCES_PER_CLASS = 30
MIN_NORDIC_SENTENCES = 15


def normalised(text: str) -> str:
    """Lower case, no punctuation, no accents: "hej då" and "hej da" are the same sentence."""
    plain = "".join(c for c in unicodedata.normalize("NFD", text.lower()) if not unicodedata.combining(c))
    return re.sub(r"[^\w ]", "", plain).strip()


@pytest.fixture(scope="module")
def predictions(parse):
    """language -> list of (text, expected topic, parse result)."""
    found = {}
    for language in LANGUAGES:
        examples = held_out(language)
        results = parse([text for text, _, _ in examples])
        found[language] = [(t, e, r, c) for (t, e, c), r in zip(examples, results)]
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_held_out_sentences_never_appear_in_training_data(language):
    """Not as they are, not with their words in another order ("nu avslutar jag chatten" / "jag
    avslutar chatten nu"), and not inside a longer training example when they have four words
    or more ("hab mein passwort vergessen was tun")."""
    examples = [normalised(text) for lang in (*LANGUAGES, "other") for text, _ in training_examples(lang)]
    training = set(examples)
    word_sets = {tuple(sorted(text.split())) for text in examples}
    padded = [f" {' '.join(text.split())} " for text in examples]

    def leaked(text: str) -> bool:
        words = normalised(text).split()
        inside = len(words) >= 4 and any(f" {' '.join(words)} " in example for example in padded)
        return normalised(text) in training or tuple(sorted(words)) in word_sets or inside

    found = [text for text, _, _ in held_out(language) if leaked(text)]
    found += [text for text, _ in other_language_sentences() if leaked(text)]
    assert found == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_class_has_enough_held_out_sentences(language):
    counts = Counter(held_out_class for _, _, held_out_class in held_out(language))
    expected = {name for name, floors in TOPIC_FLOORS.items() if language in floors}
    assert set(counts) == expected
    assert {name: n for name, n in counts.items()
            if n < (MIN_NORDIC_SENTENCES if name == "nordic" else MIN_SENTENCES_PER_CLASS)} == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_intent_and_topic_has_enough_held_out_sentences(language):
    trained = {intent for _, intent in training_examples(language)}
    counts = Counter(intent for _, intent in held_out_examples(language))
    too_few = {i: counts[i] for i in trained if counts[i] < MIN_SENTENCES_PER_INTENT}
    assert too_few == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_intent_accuracy(language, predictions):
    rows = predictions[language]
    wrong = [(t, base_intent(e), r["intent"]["name"]) for t, e, r, _ in rows
             if r["intent"]["name"] != base_intent(e)]
    accuracy = 1 - len(wrong) / len(rows)
    FIGURES.append(f"NLU intent accuracy ({language}): {accuracy:.1%} ({len(rows) - len(wrong)}/{len(rows)})")
    assert accuracy >= FLOORS["intent"][language], wrong


@pytest.mark.parametrize("language", LANGUAGES)
def test_response_selector_accuracy(language, predictions):
    rows = [(t, e, r) for t, e, r, _ in predictions[language] if e.startswith("faq/")]
    wrong = [(t, e, selected_answer(r)) for t, e, r in rows if selected_answer(r) != e]
    accuracy = 1 - len(wrong) / len(rows)
    FIGURES.append(
        f"ResponseSelector accuracy ({language}): {accuracy:.1%} ({len(rows) - len(wrong)}/{len(rows)})"
    )
    assert accuracy >= FLOORS["answer"][language], wrong


@pytest.mark.parametrize("held_out_class, language",
                         [(name, language) for name, floors in TOPIC_FLOORS.items() for language in floors])
def test_topic_accuracy_as_the_user_sees_it(held_out_class, language, predictions):
    rows = [(t, e, r) for t, e, r, c in predictions[language] if c == held_out_class]
    wrong = [(t, e, topic_of(r)) for t, e, r in rows if topic_of(r) != e]
    accuracy = 1 - len(wrong) / len(rows)
    confused = Counter(tuple(sorted((e, g))) for _, e, g in wrong if g != "nlu_fallback")
    FIGURES.append(f"Topic accuracy ({language}, {held_out_class}): {accuracy:.1%} ({len(rows) - len(wrong)}/{len(rows)})")
    FIGURES.append(
        f"    most confused ({language}, {held_out_class}): "
        + "; ".join(f"{a} ~ {b} ({n})" for (a, b), n in confused.most_common(3))
    )
    FIGURES.extend(f"    {language} {held_out_class} miss: '{t}': expected {e}, got {g}" for t, e, g in wrong)
    assert accuracy >= TOPIC_FLOORS[held_out_class][language], wrong


def test_messages_in_other_languages_get_the_reply_in_both_languages(parse):
    sentences = other_language_sentences()
    results = parse([text for text, _ in sentences])
    by_language = defaultdict(list)
    for (text, code), result in zip(sentences, results):
        by_language[code].append((text, result["intent"]["name"]))
    missed = [(code, text, got) for code, rows in by_language.items() for text, got in rows
              if got != OTHER_LANGUAGE_INTENT]
    recognised = 1 - len(missed) / len(sentences)
    FIGURES.append(f"Other languages answered in both: {recognised:.1%} ({len(sentences) - len(missed)}/{len(sentences)})")
    FIGURES.extend(f"    other-language miss ({code}): '{text}' taken for {got}" for code, text, got in missed)
    assert len(by_language) >= 15
    assert recognised >= OTHER_LANGUAGE_FLOOR, missed


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_swedish_or_english_sentence_gets_the_reply_for_other_languages(language, predictions):
    # Whatever the class (misspelt, mixed, Norwegian): advice in the user's language, never
    # "I only understand Swedish and English".
    taken = [t for t, _, r, _ in predictions[language] if r["intent"]["name"] == OTHER_LANGUAGE_INTENT]
    assert taken == []


@pytest.mark.parametrize(
    "text, language",
    [("jag har inte fått någon sms kod", "sv"), ("i never got the sms code", "en")],
)
def test_parse_notes_the_language_of_the_message(parse, text, language):
    (result,) = parse([text])
    languages = [e["value"] for e in result["entities"] if e["entity"] == "language"]
    assert languages == [language]
