import asyncio

from actions.handoff import ActionHandoffToSupport
from tests.actions.conftest import build_tracker, sent_responses


def run_handoff(tracker, dispatcher):
    return asyncio.run(ActionHandoffToSupport().run(dispatcher, tracker, domain={}))


def test_asked_for_a_person_gets_the_support_number_with_a_kind_introduction(dispatcher):
    tracker = build_tracker([("intent", "greet"), ("action", "utter_greet"), ("intent", "request_human")])

    events = run_handoff(tracker, dispatcher)

    assert sent_responses(dispatcher) == ["utter_handoff_intro_requested", "utter_handoff_to_support"]
    assert events == []


def test_flow_that_ran_out_of_advice_says_sorry_before_the_support_number(dispatcher):
    tracker = build_tracker(
        [
            ("intent", "card_payment_failed"),
            ("action", "utter_card_payment_contact_bank"),
            ("action", "utter_ask_did_it_help"),
            ("intent", "deny"),
        ]
    )

    run_handoff(tracker, dispatcher)

    assert sent_responses(dispatcher) == [
        "utter_handoff_intro_advice_ran_out",
        "utter_handoff_to_support",
    ]


def test_flow_step_that_already_leads_into_the_handoff_is_not_introduced_again(dispatcher):
    tracker = build_tracker(
        [
            ("intent", "no_sms_code"),
            ("action", "utter_no_sms_code_check_operator"),
            ("action", "utter_ask_did_it_help"),
            ("intent", "deny"),
            ("action", "utter_no_sms_code_operator_allows_it"),
        ]
    )

    run_handoff(tracker, dispatcher)

    assert sent_responses(dispatcher) == ["utter_handoff_to_support"]
