"""A very long message is read by its beginning (assistant/nlu/token_limit.py)."""
from assistant.channels.edge import MAX_MESSAGE_LENGTH


def test_what_comes_after_the_first_hundred_words_does_not_change_the_answer(parse):
    # Over 100 tokens of a real question, then a flood of symbols up to the length cap.
    question = "Jag har inte fått någon sms-kod när jag loggar in. " * 10
    flooded = (question + "!" * MAX_MESSAGE_LENGTH)[:MAX_MESSAGE_LENGTH]
    plain, with_flood = parse([question, flooded])
    assert plain["intent"]["name"] == with_flood["intent"]["name"] == "no_sms_code"
    assert with_flood["text"] == flooded  # the message itself stays whole


def test_the_classifiers_read_at_most_the_configured_number_of_tokens():
    from rasa.nlu.constants import TOKENS_NAMES
    from rasa.shared.nlu.constants import TEXT
    from rasa.shared.nlu.training_data.message import Message

    from assistant.nlu.token_limit import TokenLimit

    limit = TokenLimit(100)
    message = Message({TEXT: "a " * 500})
    message.set(TOKENS_NAMES[TEXT], list(range(500)))
    limit.process([message])
    assert message.get(TOKENS_NAMES[TEXT]) == list(range(100))
    short = Message({TEXT: "hej"})
    short.set(TOKENS_NAMES[TEXT], [1, 2])
    limit.process([short])
    assert short.get(TOKENS_NAMES[TEXT]) == [1, 2]
