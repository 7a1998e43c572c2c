import pytest

from assistant.language import detect_language, language_after, leans_to_another_language, page_language, reply_language
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


# ----- messages in languages the assistant does not speak ---------------------------------

def _known_words():
    from assistant.language import words

    return frozenset(word for language in LANGUAGES for text, _ in training_examples(language)
                     for word in words(text))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("لم يصلني البريد الإلكتروني مع الرمز", "ar"),
        ("Я не получил письмо с кодом", "ru"),
        ("我没有收到验证码", "zh"),
        ("ไม่ได้รับอีเมลค่ะ", "th"),
        ("ኢመይል ምስ ኮድ ኣይበጽሐንን", "ti"),  # Tigrinya's own letters (ኣ)
        ("ኮዱ ያለበትን ኢሜይል አልደረሰኝም", "am"),
        ("Ich habe keine E-Mail mit dem Code bekommen", "de"),
        ("je n'ai pas reçu le code par SMS", "fr"),
        ("En ole saanut sähköpostia koodista", "fi"),
        ("Lacag bixinta kaarka way fashilantay", "so"),
    ],
)
def test_identifies_messages_in_other_languages(text, expected):
    from assistant.language import identify

    assert identify(text, _known_words()) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("jeg har ikke fått noen kode på SMS", "sv"),  # Norwegian: answered in Swedish
        ("jeg har ikke modtaget nogen e-mail fra jer", "sv"),  # Danish
        ("the verifieringskod never came to my inbox", "en"),  # the structure decides
        ("jag får ingen verification code", "sv"),
        ("i didnt recieve teh emial", "en"),
        ("varfor kommer inte smset", "sv"),
        ("ok", None),
        ("BankID", None),
        ("👍", None),
        ("1234", None),
        ("zzzkk vrrt", None),  # keyboard mashing is not understood, in the conversation's language
        ("qwxz plomf", None),
    ],
)
def test_swedish_english_and_their_neighbours_are_never_another_language(text, expected):
    from assistant.language import identify

    assert identify(text, _known_words()) == expected


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_swedish_or_english_sentence_of_the_nlu_data_is_taken_for_another_language(language):
    from assistant.language import identify
    from assistant.review.evaluation import held_out

    known = _known_words()
    sentences = [text for text, _ in training_examples(language)] + [text for text, _, _ in held_out(language)]
    other = [(text, identify(text, known)) for text in sentences if identify(text, known) not in (None, "sv", "en")]
    assert other == []


def test_the_identifier_reads_its_model_from_the_package_without_the_network(monkeypatch):
    import socket

    import assistant.language as language

    def no_network(*args, **kwargs):
        raise AssertionError("the language identifier tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    language._identifier.cache_clear()
    language._cld3.cache_clear()
    assert language.identify("Ich habe keine E-Mail mit dem Code bekommen") == "de"


def test_a_long_message_is_identified_from_its_beginning():
    from assistant.language import IDENTIFIER_TEXT_LIMIT, identify

    # A message of the longest kind the edge lets through reads no further than the limit.
    assert identify("Ich habe keine E-Mail bekommen. " * 200) == "de"
    assert identify("x" * IDENTIFIER_TEXT_LIMIT + " Ich habe keine E-Mail bekommen") is None


@pytest.mark.parametrize("text", ["Ｊａｇ　ｆåｒ　ｉｎｇｅｎ　ｋｏｄ", "jag får \ud800 ingen kod", "jag får\x00 ingen kod"])
def test_odd_characters_do_not_change_or_break_the_verdict(text):
    from assistant.language import identify

    # Full-width letters are letters; a lone surrogate or NUL (which fastText refuses) is dropped.
    assert identify(text, _known_words()) == "sv"


@pytest.mark.parametrize("text, leans", [
    # Somali and Kurmanji with English loanwords: fastText spreads its weight thinly.
    ("Koodka SMS-ka ma iman", True),
    ("gelek spas", True),
    ("merhaba", True),
    # Words the identifiers give to Swedish or English, and keyboard mashing.
    ("mejlet kom inte", False),
    ("BankID funkar inte", False),
    ("the form wont open", False),
    ("qwxz plomf", False),
    ("hej", False),
])
def test_which_unsure_messages_lean_to_another_language(text, leans):
    assert leans_to_another_language(text) is leans
