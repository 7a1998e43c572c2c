"""The NLU's LanguageDetector on messages as the classifiers leave them: which language entity it
notes, and when a message is taken for one in another language (intent other_language)."""
import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from assistant.nlu.language_detector import LanguageDetector


def classified(text, *ranking):
    """A message as DIET leaves it: (intent, confidence) pairs, the best first."""
    intents = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    return Message(data={"text": text, "intent": intents[0], "intent_ranking": intents})


@pytest.fixture
def detector(tmp_path):
    storage = LocalModelStorage(tmp_path)
    component = LanguageDetector.create(LanguageDetector.get_default_config(), storage, Resource("language"), None)
    component.train(TrainingData([
        Message(data={"text": "jag får ingen kod", "intent": "no_sms_code"}),
        Message(data={"text": "I never got the email", "intent": "no_email"}),
        Message(data={"text": "kiitos paljon", "intent": "other_language"}),
    ]))
    return LanguageDetector.load(LanguageDetector.get_default_config(), storage, Resource("language"), None)


def entities(message):
    return {entity["entity"]: entity["value"] for entity in message.get("entities", [])}


def test_swedish_and_english_are_noted_and_the_classifiers_choice_stands(detector):
    (swedish,) = detector.process([classified("jag får ingen kod alls", ("no_sms_code", 0.98), ("no_email", 0.01))])
    (english,) = detector.process([classified("the email never came", ("no_email", 0.97))])
    assert entities(swedish) == {"language": "sv"} and swedish.get("intent")["name"] == "no_sms_code"
    assert entities(english) == {"language": "en"} and english.get("intent")["name"] == "no_email"


def test_a_message_in_another_language_is_taken_for_other_language_whatever_the_classifiers_guessed(detector):
    (german,) = detector.process([classified("Ich habe keine E-Mail mit dem Code bekommen",
                                              ("no_email", 0.99), ("other_language", 0.01))])
    assert entities(german) == {"written_in": "de"}
    assert german.get("intent") == {"name": "other_language", "confidence": 1.0}
    assert [i["name"] for i in german.get("intent_ranking")] == ["other_language", "no_email"]


def test_the_classifiers_other_language_gives_way_when_the_identifier_finds_swedish(detector):
    (message,) = detector.process([classified("jag får ingen kod", ("other_language", 0.95), ("no_sms_code", 0.04))])
    assert entities(message) == {"language": "sv"}
    assert message.get("intent")["name"] == "no_sms_code"
    assert "other_language" not in [i["name"] for i in message.get("intent_ranking")]


def test_a_single_foreign_word_counts_only_when_the_classifiers_are_sure_of_it(detector):
    (sure,) = detector.process([classified("merhaba", ("other_language", 0.97), ("greet", 0.02))])
    (unsure,) = detector.process([classified("merhaba", ("other_language", 0.6), ("greet", 0.3))])
    assert sure.get("intent")["name"] == "other_language" and entities(sure) == {"written_in": "und"}
    assert unsure.get("intent")["name"] == "greet" and entities(unsure) == {}


def test_a_sure_classifier_decides_several_words_the_identifiers_do_not_give_to_swedish_or_english(detector):
    # Somali with English loanwords: the compact identifier spreads its weight and names no
    # language, the classifier (trained on such messages) is sure.
    (somali,) = detector.process([classified("Koodka SMS-ka ma iman", ("other_language", 0.96), ("no_sms_code", 0.03))])
    # Unsure too, but the identifier gives these words to Swedish and English: the classifier's
    # other_language gives way.
    (mixed,) = detector.process([classified("sidan står still sedan tio minuter",
                                             ("other_language", 0.96), ("faq/reload_page", 0.03))])
    assert somali.get("intent")["name"] == "other_language" and entities(somali) == {"written_in": "und"}
    assert mixed.get("intent")["name"] == "faq/reload_page" and "written_in" not in entities(mixed)


def test_training_keeps_the_words_of_swedish_and_english_examples_only(detector):
    assert "kod" in detector._known_words and "email" in detector._known_words
    assert "kiitos" not in detector._known_words


def test_a_model_trained_without_other_language_keeps_its_own_intents(tmp_path):
    # As after a rollback to a model from before other_language existed: its domain has no such
    # intent and no reply for it, so the message keeps the classifiers' choice.
    older = LanguageDetector.create(LanguageDetector.get_default_config(), LocalModelStorage(tmp_path),
                                    Resource("language"), None)
    (german,) = older.process([classified("Ich habe keine E-Mail mit dem Code bekommen", ("no_email", 0.99))])
    (swedish,) = older.process([classified("jag får ingen kod alls", ("no_sms_code", 0.98))])
    assert german.get("intent")["name"] == "no_email" and entities(german) == {}
    assert entities(swedish) == {"language": "sv"}
