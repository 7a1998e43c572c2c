"""Typed text is a command only when the bot offered it as a button (assistant/command_guard.py)."""
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from assistant.command_guard import allowed_text


def tracker_after(*events):
    return DialogueStateTracker.from_events("someone", list(events))


ADVICE = BotUttered("Hjälpte det?", {"buttons": [{"title": "Ja", "payload": "/affirm"},
                                                 {"title": "Nej", "payload": "/deny"}]})


def test_a_payload_of_the_bots_latest_buttons_stays_a_command():
    tracker = tracker_after(UserUttered("jag får ingen sms-kod"), ADVICE)
    assert allowed_text("/affirm", tracker) == "/affirm"
    assert allowed_text("/deny", tracker) == "/deny"


def test_a_command_the_bot_did_not_offer_becomes_plain_text():
    tracker = tracker_after(UserUttered("jag får ingen sms-kod"), ADVICE)
    assert allowed_text("/restart", tracker) == "restart"
    assert allowed_text("/affirm@0.99", tracker) == "affirm@0.99"
    assert allowed_text('/affirm{"language": "en"}', tracker) == 'affirm{"language": "en"}'
    assert allowed_text("/", tracker) == "?"


def test_buttons_of_an_earlier_turn_are_no_longer_offered():
    tracker = tracker_after(UserUttered("jag får ingen sms-kod"), ADVICE, UserUttered("/affirm"),
                            ActionExecuted("utter_glad_it_helped"), BotUttered("Vad bra!"))
    assert allowed_text("/affirm", tracker) == "affirm"


def test_the_widgets_greeting_with_a_supported_language_is_always_allowed():
    assert allowed_text("/greet", None) == "/greet"
    assert allowed_text('/greet{"language": "en"}', None) == '/greet{"language": "en"}'
    assert allowed_text('/greet{"language": "de"}', None) == 'greet{"language": "de"}'
    assert allowed_text('/greet{"name": "x"}', None) == 'greet{"name": "x"}'


def test_ordinary_text_is_left_alone():
    assert allowed_text("hej / hallå", None) == "hej / hallå"
    assert allowed_text("", None) == ""
