"""Outage alerts on both databases: a synthetic burst of SMS-code conversations whose advice
suddenly does not help raises an alert for that topic, and only for it; a topic that is always
that bad, or a burst too small to tell from chance, raises none."""
import re
import time

import pytest

from assistant.console import alerts, conversations as index
from tests import stored_events as ev
from tests.helpers import store_conversations

HOUR, DAY = 3600, 24 * 3600


def advice_and_answer(topic, helped, at, language="sv", handoff=False):
    """A conversation about `topic` whose advice did (not) help, at `at`."""
    events = [ev.user(f"problem med {topic}", topic, 0.95, language, at=at),
              ev.bot("Råd.", f"utter_{topic}"), ev.action("utter_ask_did_it_help"),
              ev.user("/affirm" if helped else "/deny", "affirm" if helped else "deny", 1.0, language, at=at + 30)]
    return events + (ev.handoff() if handoff else [])


def history(now, topic, count, unhelpful_every, start=2 * DAY):
    """`count` conversations over the 30 days before, one in `unhelpful_every` not helped."""
    span = 28 * DAY
    return {f"{topic}-past-{n}": advice_and_answer(topic, n % unhelpful_every != 0, now - start - span * n / count)
            for n in range(count)}


def test_a_burst_of_unhelpful_sms_code_advice_raises_an_alert_for_that_topic_only(database):
    endpoints, engine = database
    now = time.time()
    stored = {**history(now, "no_sms_code", 120, 5), **history(now, "no_email", 120, 5)}
    # The last hour: the SMS code's advice helps almost no one; the email's as usual.
    stored.update({f"sms-now-{n}": advice_and_answer("no_sms_code", n == 0, now - HOUR + 120 + 60 * n, handoff=n % 2 == 1)
                   for n in range(12)})
    stored.update({f"email-now-{n}": advice_and_answer("no_email", n % 5 != 0, now - HOUR + 120 + 60 * n) for n in range(12)})
    store_conversations(endpoints, stored)
    index.catch_up(engine)

    raised = alerts.alerts(engine, now=now)

    assert {(a.topic, a.measure) for a in raised} == {("no_sms_code", alerts.UNHELPFUL), ("no_sms_code", alerts.HANDOFF)}
    unhelpful = next(a for a in raised if a.measure == alerts.UNHELPFUL)
    assert (unhelpful.window, unhelpful.count, unhelpful.total) == ("hour", 11, 12)
    assert (unhelpful.usual_count, unhelpful.usual_total) == (24, 120)
    assert unhelpful.chance < 1e-5


def test_no_alert_for_a_topic_always_that_bad_or_a_burst_too_small_to_tell(database):
    endpoints, engine = database
    now = time.time()
    stored = {**history(now, "pdf_form_wont_open", 60, 1), **history(now, "no_email", 120, 5),
              **history(now, "card_payment_failed", 3, 1000)}  # three answers before, all yes
    # Five "no" of five: clear for a topic with a long history, not for one with three answers.
    stored.update({f"card-now-{n}": advice_and_answer("card_payment_failed", False, now - HOUR + 120 + 60 * n)
                   for n in range(5)})
    stored.update({f"pdf-now-{n}": advice_and_answer("pdf_form_wont_open", False, now - HOUR + 120 + 60 * n) for n in range(10)})
    stored.update({f"email-now-{n}": advice_and_answer("no_email", False, now - HOUR + 120 + 60 * n) for n in range(3)})
    store_conversations(endpoints, stored)
    index.catch_up(engine)

    assert alerts.alerts(engine, now=now) == []


def test_the_chance_allows_for_how_little_is_known_of_the_share_before():
    # With no history the share is anything from 0 to 1: all of 3 "no" has a chance of 1 in 4.
    assert alerts.tail_chance(3, 3, 0, 0) == pytest.approx(0.25)
    assert alerts.tail_chance(0, 5, 1, 10) == pytest.approx(1.0)
    # The same burst after 0 of 3 is far likelier than after 0 of 300.
    assert alerts.tail_chance(5, 5, 0, 3) > 100 * alerts.tail_chance(5, 5, 0, 300)


def test_a_lead_sees_the_alert_on_the_home_and_figures_pages_in_words(tmp_path):
    from assistant.console import accounts
    from assistant.console.store import open_database
    from tests.helpers import CONSOLE_PASSWORDS, Console, serving_console, sqlite_endpoints

    endpoints = sqlite_endpoints(tmp_path)
    engine = open_database(endpoints)
    for username, role in (("lead", accounts.LEAD), ("agent", accounts.AGENT)):
        accounts.create_account(engine, username, username.title(), role, CONSOLE_PASSWORDS[username])
    now = time.time()
    stored = history(now, "no_sms_code", 120, 5)
    stored.update({f"sms-now-{n}": advice_and_answer("no_sms_code", n == 0, now - HOUR + 120 + 60 * n) for n in range(12)})
    store_conversations(endpoints, stored)
    with serving_console(tmp_path, endpoints, {"CONSOLE_INDEX_SECONDS": "0.2"}) as url:
        console = Console(url, endpoints)
        lead = console.signed_in("lead", CONSOLE_PASSWORDS["lead"])
        deadline = time.time() + 15
        while "Larm: möjlig störning" not in (home := lead.get(url + "/").text) and time.time() < deadline:
            time.sleep(0.3)
        assert re.search("Jag får ingen sms-kod: den senaste timmen svarade 11 av 12 nej på ”Hjälpte det[?]” "
                         r"\(92 %\); tidigare \(upp till 30 dagar\) 24 av 120 \(20 %\)\. Så många vore mycket "
                         r"ovanligt om inget hade ändrats \(ungefär 1 på \d{3} \d{3}\)\.", home)
        assert "Larm: möjlig störning" in lead.get(url + "/figures").text
        assert "Larm" not in console.signed_in("agent", CONSOLE_PASSWORDS["agent"]).get(url + "/").text
