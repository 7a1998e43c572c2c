import asyncio

from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet

from actions.session import ActionSessionStart
from tests.actions.conftest import build_tracker


def start_session(dispatcher, slots):
    tracker = build_tracker([], slots=slots)
    return asyncio.run(ActionSessionStart().run(dispatcher, tracker, domain={}))


def test_language_of_the_web_page_sets_the_language_of_the_first_answer(dispatcher):
    events = start_session(dispatcher, {"session_started_metadata": {"language": "en"}})

    assert events == [SessionStarted(), SlotSet("language", "en"), ActionExecuted("action_listen")]
    assert dispatcher.messages == []


def test_unknown_page_language_is_ignored(dispatcher):
    events = start_session(dispatcher, {"session_started_metadata": {"language": "de"}})

    assert events == [SessionStarted(), ActionExecuted("action_listen")]


def test_language_of_the_previous_session_is_carried_over(dispatcher):
    events = start_session(dispatcher, {"language": "en"})

    assert events == [SessionStarted(), SlotSet("language", "en"), ActionExecuted("action_listen")]


def test_page_language_wins_over_the_previous_session(dispatcher):
    events = start_session(
        dispatcher, {"language": "sv", "session_started_metadata": {"language": "en"}}
    )

    assert events == [SessionStarted(), SlotSet("language", "en"), ActionExecuted("action_listen")]
