import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message

from assistant.nlu.fallback import StricterFallbackClassifier

CLASSIFIER = StricterFallbackClassifier(
    {
        **StricterFallbackClassifier.get_default_config(),
        "threshold": 0.7,
        "ambiguity_threshold": 0.1,
        "answer_threshold": 0.3,
        "answer_ambiguity_threshold": 0.1,
    },
    vocabulary=frozenset({"jag", "får", "ingen", "kod", "hur", "byter", "nummer"}),
)


def parsed(words, ranking, answers=None):
    message = Message(data={"text": " ".join(words)})
    message.set(TOKENS_NAMES["text"], [Token(word, 0) for word in words])
    message.set("intent", {"name": ranking[0][0], "confidence": ranking[0][1]})
    message.set("intent_ranking", [{"name": n, "confidence": c} for n, c in ranking])
    if answers:
        message.set(
            "response_selector",
            {"faq": {"ranking": [{"intent_response_key": k, "confidence": c} for k, c in answers]}},
        )
    (message,) = CLASSIFIER.process([message])
    return message


def test_a_confident_prediction_on_known_words_stands():
    message = parsed(["jag", "får", "ingen", "kod"], [("no_sms_code", 0.96), ("no_email", 0.03)])
    assert message.get("intent")["name"] == "no_sms_code"


def test_a_message_without_a_known_word_falls_back_however_confident():
    message = parsed(["qwxz", "plomf"], [("affirm", 0.99), ("greet", 0.01)])
    assert message.get("intent")["name"] == "nlu_fallback"
    # No topic is offered on the strength of a guess about nothing it knows.
    assert [i["name"] for i in message.get("intent_ranking")] == ["nlu_fallback"]


def test_two_answers_nearly_tied_fall_back_with_both_still_ranked():
    message = parsed(
        ["hur", "byter", "nummer"],
        [("faq", 0.98), ("no_sms_code", 0.01)],
        [("faq/change_phone_number", 0.48), ("faq/two_step_verification", 0.44)],
    )
    assert message.get("intent")["name"] == "nlu_fallback"
    assert [i["name"] for i in message.get("intent_ranking")] == ["nlu_fallback", "faq", "no_sms_code"]


def test_a_clear_answer_stands():
    message = parsed(
        ["hur", "byter", "nummer"],
        [("faq", 0.98), ("no_sms_code", 0.01)],
        [("faq/change_phone_number", 0.9), ("faq/two_step_verification", 0.05)],
    )
    assert message.get("intent")["name"] == "faq"


def test_a_known_word_without_its_accents_drawn_out_or_with_another_ending_is_still_known():
    # "får" without its ring, "byter" drawn out, a common greeting that is not in the training
    # data, and "ingenting", which shares "inge" with "ingen".
    for words in (["far"], ["byyyter"], ["hellooo"], ["ingenting"]):
        message = parsed(words, [("no_sms_code", 0.95), ("no_email", 0.04)])
        assert message.get("intent")["name"] == "no_sms_code", words


@pytest.mark.parametrize("words", [["qwwwxz", "pllomf"], ["qwxz", "plomf", "?"], ["zzzzz"], ["aaaa"], ["...."], ["112"]])
def test_keyboard_mashing_punctuation_and_one_letter_over_and_over_are_no_known_word(words):
    assert parsed(words, [("affirm", 0.99)]).get("intent")["name"] == "nlu_fallback"


def test_pieces_come_from_swedish_and_english_words_seen_twice(tmp_path):
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.training_data import TrainingData
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer

    examples = [Message(data={"text": text, "intent": intent}) for text, intent in
                [("ingen kod", "no_sms_code"), ("ingen mejl", "no_email"), ("telefonen", "faq"),
                 ("kiitos paljon", "other_language"), ("paljon kiitos", "other_language")]]
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process_training_data(TrainingData(examples))
    storage = LocalModelStorage(tmp_path)
    config = StricterFallbackClassifier.get_default_config()
    StricterFallbackClassifier.create(config, storage, Resource("fallback"), None).train(TrainingData(examples))
    loaded = StricterFallbackClassifier.load(config, storage, Resource("fallback"), None)
    assert loaded._known("ingenting")  # "inge" of "ingen", in two examples
    assert loaded._known("telefonen") and not loaded._known("telefonkort")  # "telefonen" once
    assert loaded._known("kiitos") and not loaded._known("kiitoksia")  # other-language words
