"""Tracker events as the tracker store keeps them (dicts), for the review tools' tests."""
import time


def user(text, intent, confidence, language="sv", faq_key=None, at=None):
    parse_data = {
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": intent, "confidence": confidence}],
        "entities": [{"entity": "language", "value": language}],
    }
    if faq_key:
        parse_data["response_selector"] = {"faq": {
            "response": {"intent_response_key": faq_key},
            "ranking": [{"intent_response_key": faq_key, "confidence": 0.6}],
        }}
    return {"event": "user", "text": text, "parse_data": parse_data,
            "timestamp": time.time() if at is None else at}


def action(name):
    return {"event": "action", "name": name}


def slot(name, value):
    return {"event": "slot", "name": name, "value": value}


def rewind():
    """UserUtteranceReverted, as the fallback action returns it."""
    return {"event": "rewind"}


def handoff():
    """What action_handoff_to_support (or the fallback, the second time) leaves behind."""
    return [{"event": "action", "name": "action_handoff_to_support"},
            {"event": "bot", "text": "Ring ...", "metadata": {"utter_action": "utter_handoff_to_support"}}]


def bot(text, utter_action, buttons=()):
    """A reply; each button a (title, payload) pair."""
    return {"event": "bot", "text": text, "metadata": {"utter_action": utter_action},
            "data": {"buttons": [{"title": title, "payload": payload} for title, payload in buttons]}}


def handed_off_with_reference(reference, language="sv", at=None):
    """A user who gets no email, tries the advice, answers no and is handed off with a
    reference; she wrote her email address, which the edge masked (and so does the console)."""
    return [
        user("jag får inget mejl till anna.andersson@example.com", "no_email", 0.93, language, at=at),
        bot("Titta i skräpposten.", "utter_no_email_check_spam"),
        action("utter_ask_did_it_help"),
        bot("Hjälpte det?", "utter_ask_did_it_help", buttons=(("Ja", "/affirm"), ("Nej", "/deny"))),
        user("/deny", "deny", 1.0, language, at=at),
    ] + handoff() + [slot("handoff_reference", reference)]
