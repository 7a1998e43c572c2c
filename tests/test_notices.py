"""Which service notices go before which answer (assistant/notices.py), on real trackers, and
the console's database as the notices' source."""
import time

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from assistant import notices
from assistant.console.store import notices as notices_table
from assistant.console.store import open_database
from tests.helpers import sqlite_endpoints

EVERY = notices.Notice(1, {"sv": "E-tjänsterna är långsamma i dag.", "en": "The e-services are slow today."},
                       frozenset(), 0, 2e9)
SMS = notices.Notice(2, {"sv": "Sms-koder kommer fram sent just nu.", "en": "SMS codes are arriving late right now."},
                     frozenset({"no_sms_code"}), 0, 2e9)
PAGE = notices.Notice(3, {"sv": "Inloggningen är stängd i kväll.", "en": "Logging in is closed tonight."},
                      frozenset({"faq/forgot_password"}), 0, 2e9)


def said(intent: str, text: str = "x", answer: str = "") -> UserUttered:
    parse = {"intent": {"name": intent, "confidence": 0.9}, "text": text}
    if answer:
        parse["response_selector"] = {"faq": {"response": {"intent_response_key": answer}}}
    return UserUttered(text, parse_data=parse)


def tracker(*events, language="sv") -> DialogueStateTracker:
    return DialogueStateTracker.from_events("someone", [ActionExecuted("action_session_start"), SessionStarted(),
                                                        SlotSet("language", language), *events])


def answer(text: str = "svar") -> BotUttered:
    return BotUttered(text, metadata={"utter_action": "utter_x"})


def shown(events):
    return [(e.data["custom"]["notice"]["id"], e.data["custom"]["notice"]["text"])
            for e in events if isinstance(e, BotUttered) and "custom" in (e.data or {})]


def test_a_notice_for_every_topic_comes_before_the_first_answer_only():
    events = [answer("Hej!")]
    notices.insert(events, tracker(said("greet")), [EVERY, SMS])
    assert shown(events) == [(1, EVERY.text["sv"])] and events[-1].text == "Hej!"
    later = [answer()]
    notices.insert(later, tracker(said("greet"), *events, said("thank")), [EVERY, SMS])
    assert shown(later) == []


def test_a_topic_notice_comes_before_the_first_advice_on_that_topic_once_in_its_language():
    history = [said("greet"), BotUttered(None, {"custom": {"notice": {"id": 1}}}, {"notice": 1}), answer("Hej!")]
    advice = [SlotSet("x", 1), answer("Kolla operatören"), answer("Hjälpte det?")]
    notices.insert(advice, tracker(*history, said("no_sms_code"), language="en"), [EVERY, SMS])
    assert shown(advice) == [(2, SMS.text["en"])]
    assert [type(e).__name__ for e in advice] == ["SlotSet", "BotUttered", "BotUttered", "BotUttered"]
    # The next step of the same advice, and the same topic again: shown once is enough.
    again = [answer()]
    notices.insert(again, tracker(*history, said("no_sms_code"), *advice, said("deny")), [EVERY, SMS])
    notices.insert(again, tracker(*history, said("no_sms_code"), *advice, said("no_sms_code")), [EVERY, SMS])
    assert shown(again) == []


def test_a_question_from_the_page_is_the_topic_of_the_answer_picked_and_other_topics_see_nothing():
    page = [answer()]
    notices.insert(page, tracker(answer("Hej!"), said("faq", answer="faq/forgot_password")), [SMS, PAGE])
    assert shown(page) == [(3, PAGE.text["sv"])]
    other = [answer()]
    notices.insert(other, tracker(answer("Hej!"), said("no_email")), [SMS, PAGE])
    assert shown(other) == []


def test_actions_without_answers_and_a_second_answer_to_the_same_message_get_no_notice():
    quiet = [SlotSet("x", 1)]
    notices.insert(quiet, tracker(said("no_sms_code")), [EVERY, SMS])
    assert quiet == [SlotSet("x", 1)]
    second = [answer()]
    notices.insert(second, tracker(said("no_sms_code"), answer("first")), [SMS])
    assert shown(second) == []


def test_the_active_notices_come_from_the_consoles_table_and_an_unreadable_one_is_none(tmp_path):
    engine = open_database(sqlite_endpoints(tmp_path))
    now = time.time()
    with engine.begin() as connection:
        for starts, ends, text in ((now - 60, now + 3600, "on"), (now + 3600, now + 7200, "coming"),
                                   (now - 7200, now - 60, "over")):
            connection.execute(notices_table.insert().values(text_sv=text, text_en=text, topics="no_sms_code no_email",
                                                             starts_at=starts, ends_at=ends, created_by="lead",
                                                             created_at=now))
    active = notices.ActiveNotices()
    found = active.get(engine)
    assert [n.text["sv"] for n in found] == ["on"] and found[0].topics == {"no_sms_code", "no_email"}
    with engine.begin() as connection:
        connection.execute(notices_table.delete())
    assert active.get(engine) == found  # read again after CACHE_SECONDS only
    assert notices.ActiveNotices().get(engine) == []
    (tmp_path / "other").mkdir()
    empty = open_database(sqlite_endpoints(tmp_path / "other"))
    with empty.begin() as connection:
        connection.exec_driver_sql("DROP TABLE console_notices")
    assert notices.ActiveNotices().get(empty) == []


@pytest.mark.parametrize("value", ["2026-12-01 14:30", "2026-12-01T14:30"])
def test_a_swedish_time_is_read_as_typed_or_as_a_browser_sends_it(value):
    from assistant.console import local_time

    assert local_time.shown(local_time.moment(value)) == "2026-12-01 14:30"


@pytest.mark.parametrize("value", ["", "1 dec", "2026-13-01 10:00", "2027-03-28 02:30"])
def test_a_time_that_is_no_time_or_does_not_exist_in_sweden_is_refused(value):
    from assistant.console import local_time

    with pytest.raises(ValueError):
        local_time.moment(value)
