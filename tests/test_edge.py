import pytest

from assistant.channels.edge import (
    MAX_MESSAGE_LENGTH,
    TOO_LONG_REPLY,
    BadRequest,
    clean_text,
    parse_request,
)


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "hej",
        {"message": "hej"},
        {"sender": "", "message": "hej"},
        {"sender": 42, "message": "hej"},
        {"sender": "x" * 129, "message": "hej"},
        {"sender": "a"},
        {"sender": "a", "message": None},
        {"sender": "a", "message": 12},
        {"sender": "a", "message": ""},
        {"sender": "a", "message": "   \n\t "},
        {"sender": "a", "message": "\x00\x07\x1b"},
        {"sender": "a", "message": "hej", "metadata": "sv"},
    ],
)
def test_malformed_requests_are_refused_with_a_reason(body):
    with pytest.raises(BadRequest) as error:
        parse_request(body)
    assert str(error.value)


def test_control_characters_and_odd_spacing_are_removed():
    assert clean_text("\x00hej\u200b\x1b[31m  där\r\n") == "hej [31m där"


def test_only_the_page_language_is_kept_from_metadata():
    message = parse_request(
        {"sender": "a", "message": "hej", "metadata": {"language": "en", "cookie": "x"}}
    )
    assert message.metadata == {"language": "en"}
    assert parse_request({"sender": "a", "message": "hej", "metadata": {"language": "de"}}).metadata == {}


def test_message_within_the_cap_passes():
    message = parse_request({"sender": "a", "message": "x" * MAX_MESSAGE_LENGTH})
    assert message.refusal is None


def test_the_cap_counts_the_text_as_typed_not_as_masked():
    # Each number becomes "[personnummer]", one character longer than typed.
    text = ("19900101-1234 " * (MAX_MESSAGE_LENGTH // 14))[:MAX_MESSAGE_LENGTH]
    message = parse_request({"sender": "a", "message": text})
    assert len(message.text) > MAX_MESSAGE_LENGTH
    assert message.refusal is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("jag har inte fått något mejl " * 200, TOO_LONG_REPLY["sv"]),
        ("i did not get the email " * 200, TOO_LONG_REPLY["en"]),
    ],
)
def test_too_long_message_gets_a_reply_in_its_language(text, expected):
    assert parse_request({"sender": "a", "message": text}).refusal == expected


def test_too_long_message_in_no_known_language_gets_both():
    reply = parse_request({"sender": "a", "message": "x" * 20_000}).refusal
    assert TOO_LONG_REPLY["sv"] in reply and TOO_LONG_REPLY["en"] in reply
