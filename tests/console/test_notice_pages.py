"""Service notices in the console over HTTP: a lead posts one in both languages for every topic
or some, a wrong form is said beside its field with what was typed kept, a notice is ended early,
and every step is audited. (The chat widget showing them: tests/e2e/browser/test_models.py.)"""
import datetime as dt

import pytest
import sqlalchemy as sa

from assistant.console import local_time
from assistant.console.store import notices, open_database
from tests.helpers import CONSOLE_PASSWORDS, csrf_token


def in_hours(hours: float) -> str:
    return (dt.datetime.now(local_time.ZONE) + dt.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


def form(**changes):
    values = {"text_sv": "Sms-koder kommer fram sent just nu.", "text_en": "SMS codes are arriving late right now.",
              "scope": "topics", "topics": ["no_sms_code"], "starts": in_hours(-0.1), "ends": in_hours(2)}
    values.update(changes)
    return values


def stored(console):
    engine = open_database(console.endpoints)
    with engine.connect() as connection:
        return connection.execute(sa.select(notices).order_by(notices.c.id)).fetchall()


def post(browser, url, values):
    token = csrf_token(browser.get(url + "/notices").text)
    return browser.post(url + "/notices", data={**values, "csrf_token": token}, allow_redirects=False)


def test_a_lead_posts_a_notice_for_a_topic_and_ends_it_early(console):
    lead = console.signed_in("lead", CONSOLE_PASSWORDS["lead"])
    before = len(stored(console))
    assert post(lead, console.url, form()).status_code == 302
    notice = stored(console)[-1]
    assert (notice.text_sv, notice.text_en, notice.topics, notice.created_by) == (
        "Sms-koder kommer fram sent just nu.", "SMS codes are arriving late right now.", "no_sms_code", "lead")
    assert len(stored(console)) == before + 1
    page = lead.get(console.url + "/notices?done=posted").text
    assert "Driftinformationen är upplagd" in page and "Visas nu:" in page and "Jag får ingen sms-kod" in page
    ended = lead.post(f"{console.url}/notices/{notice.id}/end", data={"csrf_token": csrf_token(page)},
                      allow_redirects=False)
    assert ended.status_code == 302 and stored(console)[-1].ended_by == "lead"
    assert "Avslutad driftinformation" in lead.get(console.url + "/notices").text
    again = lead.post(f"{console.url}/notices/{notice.id}/end", data={"csrf_token": csrf_token(page)})
    assert again.status_code == 404
    admin = console.signed_in("admin", CONSOLE_PASSWORDS["admin"])
    log = admin.get(console.url + "/audit").text
    assert "lade upp driftinformation" in log and "avslutade driftinformation" in log


def test_a_notice_for_every_topic_needs_no_topic_chosen(console):
    lead = console.signed_in("lead", CONSOLE_PASSWORDS["lead"])
    assert post(lead, console.url, form(scope="all", topics=[])).status_code == 302
    assert stored(console)[-1].topics == ""


@pytest.mark.parametrize("changes, field, message", [
    ({"text_en": "  "}, "text_en", "Skriv texten på engelska."),
    ({"text_sv": "x" * 601}, "text_sv", "Högst 600 tecken."),
    ({"topics": []}, "topics", "Välj minst ett ämne, eller Alla ämnen."),
    ({"topics": ["no_such_topic"]}, "topics", "Välj minst ett ämne, eller Alla ämnen."),
    ({"ends": "i morgon"}, "ends", "Skriv datum och tid som 2026-12-01 14:30."),
    ({"ends": in_hours(-1)}, "ends", "Slutet måste komma efter början."),
    ({"starts": in_hours(-3), "ends": in_hours(-1)}, "ends", "Slutet har redan varit."),
])
def test_a_wrong_notice_is_said_beside_its_field_and_what_was_typed_stays(console, changes, field, message):
    lead = console.signed_in("lead", CONSOLE_PASSWORDS["lead"])
    before = len(stored(console))
    refused = post(lead, console.url, form(**changes))
    assert refused.status_code == 400 and message in refused.text
    assert f'id="{field}-error"' in refused.text and len(stored(console)) == before
    if field != "text_sv":
        assert "Sms-koder kommer fram sent just nu." in refused.text


def test_only_leads_post_notices_and_never_without_the_forms_token(console):
    agent = console.signed_in("agent", CONSOLE_PASSWORDS["agent"])
    assert agent.get(console.url + "/notices").status_code == 403
    lead = console.signed_in("lead", CONSOLE_PASSWORDS["lead"])
    before = len(stored(console))
    assert lead.post(console.url + "/notices", data=form()).status_code == 403
    assert len(stored(console)) == before
