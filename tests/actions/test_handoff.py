import asyncio
import re

import pytest

from actions.handoff import REFERENCE_ALPHABET, ActionHandoffToSupport, new_reference, normal_reference
from tests.actions.conftest import build_tracker, sent_responses


def run_handoff(tracker, dispatcher):
    return asyncio.run(ActionHandoffToSupport().run(dispatcher, tracker, domain={}))


def test_asked_for_a_person_gets_the_support_number_with_a_kind_introduction(dispatcher):
    tracker = build_tracker([("intent", "greet"), ("action", "utter_greet"), ("intent", "request_human")])

    events = run_handoff(tracker, dispatcher)

    assert sent_responses(dispatcher) == ["utter_handoff_intro_requested", "utter_handoff_to_support",
                                          "utter_handoff_reference"]
    reference = dispatcher.messages[-1]["handoff_reference"]
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", reference)
    assert events == [{"event": "slot", "timestamp": None, "name": "handoff_reference", "value": reference}]


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
        "utter_handoff_reference",
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

    assert sent_responses(dispatcher) == ["utter_handoff_to_support", "utter_handoff_reference"]


def test_a_second_handoff_repeats_the_conversations_reference(dispatcher):
    tracker = build_tracker([("intent", "request_human")], slots={"handoff_reference": "K7QF-4MXA"})

    events = run_handoff(tracker, dispatcher)

    assert dispatcher.messages[-1]["handoff_reference"] == "K7QF-4MXA"
    assert events[0]["value"] == "K7QF-4MXA"


def test_with_references_off_the_handoff_gives_the_number_only(dispatcher, monkeypatch):
    monkeypatch.setenv("HANDOFF_REFERENCES", "off")
    events = run_handoff(build_tracker([("intent", "request_human")]), dispatcher)

    assert sent_responses(dispatcher) == ["utter_handoff_intro_requested", "utter_handoff_to_support"]
    assert events == []


def test_references_differ_and_use_only_letters_that_are_not_confused_when_read_aloud():
    references = {new_reference() for _ in range(2000)}
    assert len(references) == 2000
    assert set("".join(references)) - {"-"} <= set(REFERENCE_ALPHABET)
    assert not set("".join(references)) & set("OIL1Z2S5B8GJ")


@pytest.mark.parametrize("typed", ["k7qf-4mxa", " K7QF 4MXA ", "k7qf4mxa", "K7QF–4MXA"])
def test_a_reference_is_found_however_it_is_typed(typed):
    assert normal_reference(typed) == "K7QF-4MXA"


@pytest.mark.parametrize("typed", ["", "K7QF-4MX", "K7QF-4MXAA", "B7QF-4MXA", "<script>", "K7QF-4MX\u0000"])
def test_what_cannot_be_a_reference_is_refused_before_any_look_up(typed):
    assert normal_reference(typed) is None
