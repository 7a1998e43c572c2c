import pytest

from assistant.language import detect_language, language_after, page_language, reply_language
from tests.conftest import LANGUAGES, held_out_examples, training_examples


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Jag har inte fått något mejl", "sv"),
        ("jag har inte fatt nagot mejl fran er", "sv"),  # typed without å/ä/ö
        ("varför inte kod komma", "sv"),  # simple non-native Swedish
        ("hej", "sv"),
        ("nej", "sv"),
        ("tackk", "sv"),
        ("I did not get any email", "en"),
        ("why code not coming to my phone", "en"),
        ("hi", "en"),
        ("no", "en"),
        ("nooo", "en"),
        ("thanks!", "en"),
        ("my personnummer is wrong", "en"),
        ("mitt personnummer är fel", "sv"),
    ],
)
def test_recognises_swedish_and_english(text, expected):
    assert detect_language(text) == expected


@pytest.mark.parametrize(
    "text",
    ["ok", "1", "sms", "BankID", "👍", "???", "", "مرحبا، لم أتلق أي رسالة", "/affirm"],
)
def test_gives_no_answer_when_the_language_is_unclear(text):
    # No answer keeps the conversation in the language it already has.
    assert detect_language(text) is None


@pytest.mark.parametrize("language", LANGUAGES)
def test_never_mistakes_one_language_for_the_other_in_the_nlu_data(language):
    examples = training_examples(language) + held_out_examples(language)
    wrong = [text for text, _ in examples if detect_language(text) not in (language, None)]
    recognised = sum(detect_language(text) == language for text, _ in examples)

    assert wrong == []
    # Only very short messages ("ok", "hallo") may stay undecided.
    assert recognised / len(examples) >= 0.95


def test_the_rule_a_clear_message_then_the_conversation_then_the_page():
    assert reply_language("i never got the email", "sv", "sv") == "en"
    assert reply_language("ok", "en", "sv") == "en"
    assert reply_language("ok", None, "en") == "en"
    assert reply_language("ok", None, None) is None  # the channels then answer in both


def test_a_page_language_the_assistant_does_not_speak_is_ignored():
    assert page_language({"language": "en"}) == "en"
    assert page_language({"language": "de"}) is None
    assert page_language("en") is None and page_language(None) is None


def test_a_stored_conversation_keeps_its_language_until_a_message_is_clearly_in_another():
    english = [{"entity": "language", "value": "en"}]
    assert language_after(english, "sv") == "en"
    assert language_after([], "en") == "en"
    assert language_after([{"entity": "language", "value": "de"}], "en") == "en"
    assert language_after([], None) == "sv"  # Swedish, the agency's language, by default
