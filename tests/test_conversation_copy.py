"""The applicant's copy of a conversation (assistant/channels/own_conversation.py): what they
saw, in order, with times, and nothing they did not see."""
import datetime as dt

from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

from assistant.channels.own_conversation import copy_text
from assistant.console.local_time import ZONE

AT = dt.datetime(2026, 12, 6, 14, 30, tzinfo=ZONE).timestamp()
BUTTONS = [{"title": "Ja, det hjälpte", "payload": "/affirm"}, {"title": "Nej", "payload": "/deny"}]


def test_a_button_shows_as_the_user_chose_it_and_an_unseen_greeting_not_at_all():
    events = [
        UserUttered('/greet{"language": "sv"}', timestamp=AT),  # the widget asks for it unseen
        BotUttered("Hej! Vad har du för problem?", timestamp=AT + 1),
        UserUttered("Jag får inget mejl", timestamp=AT + 60),
        ActionExecuted("utter_no_email_check_spam", timestamp=AT + 61),
        BotUttered("Titta i skräpposten.\nHittar du det inte där?", timestamp=AT + 61),
        BotUttered("Hjälpte det?", {"buttons": BUTTONS}, timestamp=AT + 62),
        UserUttered("/deny", timestamp=AT + 120),
        BotUttered("", {"custom": {"notice": {"text": "Störning i e-tjänsten.", "language": "sv"}}}, timestamp=AT + 121),
    ]
    text, name = copy_text(events, "sv", None, now=AT + 200)
    assert text.splitlines()[4:] == [
        "2026-12-06 14:30  Assistenten: Hej! Vad har du för problem?",
        "2026-12-06 14:31  Du: Jag får inget mejl",
        "2026-12-06 14:31  Assistenten: Titta i skräpposten.",
        "    Hittar du det inte där?",
        "2026-12-06 14:31  Assistenten: Hjälpte det?",
        "    (Val: Ja, det hjälpte | Nej)",
        "2026-12-06 14:32  Du: Nej",
        "2026-12-06 14:32  Driftinformation: Störning i e-tjänsten.",
    ]
    assert text.splitlines()[1] == "Sparat 2026-12-06 14:33 (svensk tid)."
    assert name == "samtal-2026-12-06.txt"
    assert "Referens" not in text  # no handoff, no reference line


def test_an_english_copy_names_the_reference():
    text, name = copy_text([UserUttered("I want a person", timestamp=AT)], "en", "K7QF-4MXA", now=AT)
    assert text.splitlines()[:3] == [
        "Conversation with Migrationsverket's technical support chat assistant",
        "Saved 2026-12-06 14:30 (Swedish time).",
        "Reference for technical support: K7QF-4MXA",
    ]
    assert text.splitlines()[-1] == "2026-12-06 14:30  You: I want a person"
    assert name == "conversation-2026-12-06.txt"
