"""Editing the assistant's answers in the console over HTTP: both languages side by side, a
preview as the chat shows it, nothing kept that lost a phone number, link or placeholder or
left a language empty, the change written into domain.yml (its formatting kept) with its
history, and audited. (In the chat after training and activation: tests/e2e/browser/test_models.py.)"""
import urllib.parse

import pytest
import yaml

from assistant.console import answers
from tests.helpers import CONSOLE_PASSWORDS, csrf_token


def edit(browser, console, name, sv, en, action="save"):
    page = browser.get(f"{console.url}/answers/{name}").text
    return browser.post(f"{console.url}/answers/{name}", allow_redirects=False,
                        data={"csrf_token": csrf_token(page), "text_sv": sv, "text_en": en, "action": action})


def texts(console, name):
    return answers.find(console.domain, name).text


def test_only_leads_edit_answers(console):
    agent = console.signed_in("agent", CONSOLE_PASSWORDS["agent"])
    assert agent.get(console.url + "/answers").status_code == 403
    lead = console.signed_in("lead", CONSOLE_PASSWORDS["lead"])
    listed = lead.get(console.url + "/answers").text
    assert "Ändra utter_greet" in listed and "Ändra utter_faq/clear_cookies" in listed
    assert lead.get(console.url + "/answers/utter_faq/clear_cookies").status_code == 200
    assert lead.get(console.url + "/answers/utter_no_such_answer").status_code == 404
    before = console.domain.read_text(encoding="utf-8")
    assert lead.post(console.url + "/answers/utter_goodbye", data={"text_sv": "x", "text_en": "y"}).status_code == 403
    assert console.domain.read_text(encoding="utf-8") == before


def test_a_lead_changes_an_answer_in_both_languages_and_only_its_lines_change(console):
    lead = console.signed_in("lead", CONSOLE_PASSWORDS["lead"])
    before = console.domain.read_text(encoding="utf-8")
    old = texts(console, "utter_goodbye")
    new = {"sv": "Hej då! Lycka till med ansökan.", "en": "Goodbye! Good luck with your application."}
    assert edit(lead, console, "utter_goodbye", new["sv"], new["en"]).status_code == 302
    assert texts(console, "utter_goodbye") == new
    after = console.domain.read_text(encoding="utf-8")
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines()) if a != b]
    assert len(before.splitlines()) == len(after.splitlines()) and len(changed) == 2, changed
    assert yaml.safe_load(after)["responses"].keys() == yaml.safe_load(before)["responses"].keys()
    page = lead.get(console.url + "/answers/utter_goodbye").text
    assert old["sv"] in page and new["en"] in page  # the history: before and after
    admin = console.signed_in("admin", CONSOLE_PASSWORDS["admin"])
    assert "ändrade ett svar" in admin.get(console.url + "/audit").text


@pytest.mark.parametrize("name, change, field, message", [
    ("utter_goodbye", {"en": "  "}, "text_en", "Texten får inte vara tom."),
    ("utter_handoff_to_support", {"sv": "Ring oss."}, "text_sv", "0771-235 235"),
    ("utter_handoff_reference", {"en": "Give the reference when you call."}, "text_en", "{handoff_reference}"),
])
def test_an_answer_that_lost_a_language_or_what_users_act_on_is_not_kept(console, name, change, field, message):
    lead = console.signed_in("lead", CONSOLE_PASSWORDS["lead"])
    before = console.domain.read_text(encoding="utf-8")
    typed = {**texts(console, name), **change}
    refused = edit(lead, console, name, typed["sv"], typed["en"])
    assert refused.status_code == 400 and message in refused.text and f'id="{field}-error"' in refused.text
    assert console.domain.read_text(encoding="utf-8") == before


def test_the_preview_shows_what_was_typed_as_the_chat_would_and_keeps_nothing(console):
    lead = console.signed_in("lead", CONSOLE_PASSWORDS["lead"])
    before = console.domain.read_text(encoding="utf-8")
    sv = "Ring 0771-235 235.\n- först det här\n- sedan <b>det</b>"
    shown = edit(lead, console, "utter_goodbye", sv, "Bye.", action="preview")
    assert shown.status_code == 200 and console.domain.read_text(encoding="utf-8") == before
    assert '<a href="tel:+46771235235">0771-235 235</a>' in shown.text
    assert "<li>först det här</li>" in shown.text and "&lt;b&gt;det&lt;/b&gt;" in shown.text


def test_the_longest_answer_allowed_in_letters_a_form_sends_long_is_still_taken(console):
    from assistant.console.web import MAX_REQUEST_BYTES

    lead = console.signed_in("lead", CONSOLE_PASSWORDS["lead"])
    longest = "å" * answers.TEXT_LIMIT
    page = lead.get(f"{console.url}/answers/utter_you_are_welcome").text
    form = {"csrf_token": csrf_token(page), "text_sv": longest, "text_en": longest, "action": "save"}
    assert len(urllib.parse.urlencode(form)) <= MAX_REQUEST_BYTES
    assert lead.post(f"{console.url}/answers/utter_you_are_welcome", data=form, allow_redirects=False).status_code == 302
    assert texts(console, "utter_you_are_welcome") == {"sv": longest, "en": longest}
    too_long = edit(lead, console, "utter_you_are_welcome", longest + "å", longest)
    assert too_long.status_code == 400 and f"Högst {answers.TEXT_LIMIT} tecken." in too_long.text
