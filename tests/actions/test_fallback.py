import asyncio

import pytest

from rasa_sdk.events import UserUtteranceReverted

from actions.fallback import ActionAskRephraseOrHandoff, consecutive_misunderstood_turns
from tests.actions.conftest import build_tracker, sent_responses

REPHRASE = ["utter_ask_rephrase"]
HANDOFF = ["utter_handoff_intro_not_understood", "utter_handoff_to_support", "utter_handoff_reference"]
NOT_UNDERSTOOD = [("intent", "nlu_fallback")]
ANSWERED_BY_FALLBACK = [("action", "action_ask_rephrase_or_handoff"), ("event", "rewind")]


def responses_for(steps, dispatcher):
    tracker = build_tracker(steps)
    events = asyncio.run(ActionAskRephraseOrHandoff().run(dispatcher, tracker, domain={}))
    # The misunderstood message is taken back, so a flow in progress resumes after it; a
    # handoff keeps its reference in the conversation.
    assert events[0] == UserUtteranceReverted()
    assert [e["name"] for e in events[1:]] == (["handoff_reference"] if "utter_handoff_reference" in sent_responses(dispatcher) else [])
    return sent_responses(dispatcher)


def test_first_misunderstanding_asks_to_rephrase_with_the_problems_as_buttons(dispatcher):
    steps = [("intent", "greet"), ("action", "utter_greet")] + NOT_UNDERSTOOD
    assert responses_for(steps, dispatcher) == REPHRASE


def test_second_misunderstanding_in_a_row_hands_off(dispatcher):
    steps = NOT_UNDERSTOOD + ANSWERED_BY_FALLBACK + NOT_UNDERSTOOD
    assert responses_for(steps, dispatcher) == HANDOFF


def test_after_a_handoff_the_next_misunderstanding_asks_to_rephrase_again(dispatcher):
    steps = (NOT_UNDERSTOOD + ANSWERED_BY_FALLBACK) * 2 + NOT_UNDERSTOOD
    assert responses_for(steps, dispatcher) == REPHRASE


def test_an_understood_message_in_between_starts_the_count_again(dispatcher):
    steps = (
        NOT_UNDERSTOOD
        + ANSWERED_BY_FALLBACK
        + [("intent", "no_email"), ("action", "utter_no_email_check_spam"), ("action", "utter_ask_did_it_help")]
        + NOT_UNDERSTOOD
    )
    assert responses_for(steps, dispatcher) == REPHRASE


@pytest.mark.parametrize(
    "steps, expected",
    [
        (NOT_UNDERSTOOD, 1),
        (NOT_UNDERSTOOD + ANSWERED_BY_FALLBACK + NOT_UNDERSTOOD, 2),
        ((NOT_UNDERSTOOD + ANSWERED_BY_FALLBACK) * 2 + NOT_UNDERSTOOD, 3),
        ([("intent", "greet"), ("action", "utter_greet")] + NOT_UNDERSTOOD, 1),
    ],
)
def test_counts_consecutive_misunderstood_turns_from_the_events(steps, expected):
    assert consecutive_misunderstood_turns(build_tracker(steps).events) == expected


def test_first_misunderstanding_without_a_likely_topic_offers_the_five_problems(dispatcher):
    tracker = build_tracker(NOT_UNDERSTOOD, slots={"language": "en"})
    asyncio.run(ActionAskRephraseOrHandoff().run(dispatcher, tracker, domain={}))

    (message,) = dispatcher.messages
    assert message["response"] == "utter_ask_rephrase"
    assert [b["payload"] for b in message["buttons"]] == [
        "/no_email", "/no_sms_code", "/card_payment_failed", "/pdf_form_wont_open",
        "/personal_number_incorrect", "/request_human",
    ]
    assert message["buttons"][0]["title"] == "I don't get any email"


def test_ambiguous_question_offers_the_likely_topics_in_the_users_language(dispatcher):
    tracker = build_tracker(NOT_UNDERSTOOD, slots={"language": "sv"})
    tracker.latest_message.update(
        {
            "intent_ranking": [
                {"name": "nlu_fallback", "confidence": 0.7},
                {"name": "faq", "confidence": 0.9},
                {"name": "no_sms_code", "confidence": 0.08},
            ],
            "response_selector": {
                "faq": {
                    "ranking": [
                        {"intent_response_key": "faq/change_phone_number", "confidence": 0.48},
                        {"intent_response_key": "faq/two_step_verification", "confidence": 0.44},
                        {"intent_response_key": "faq/siths", "confidence": 0.02},
                    ]
                }
            },
        }
    )
    asyncio.run(ActionAskRephraseOrHandoff().run(dispatcher, tracker, domain={}))

    (message,) = dispatcher.messages
    assert message["response"] == "utter_ask_which_topic"
    assert message["buttons"] == [
        {
            "title": "Hur byter jag telefonnummer på mitt konto?",
            "payload": "Hur byter jag telefonnummer på mitt konto?",
        },
        {"title": "Vad är tvåstegsverifiering?", "payload": "Vad är tvåstegsverifiering?"},
        {"title": "Prata med teknisk support", "payload": "/request_human"},
    ]
