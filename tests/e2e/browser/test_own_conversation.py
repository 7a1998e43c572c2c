"""An applicant saves a copy of the conversation and deletes it, in the chat widget in headless
Chromium against the real servers, by keyboard alone: the copy holds what the chat showed (with
personal data masked, as stored), a deleted conversation is gone from the store, and a reload
starts a new one."""
import json
import re
import sqlite3

import pytest
from playwright.sync_api import expect

from assistant.console import conversations
from assistant.console.store import open_database
from tests.e2e.browser.axe import new_page, serious_violations
from tests.e2e.browser.chat import Chat, normalize
from tests.e2e.browser.conftest import DESKTOP
from tests.e2e.browser.keyboard import MAX_TABS
from tests.helpers import stored_about

pytestmark = pytest.mark.e2e

PHONE_NUMBER = "070-123 45 67"
TEXTS = {
    "sv": {"path": "/", "problem": f"Jag får ingen sms-kod, mitt nummer är {PHONE_NUMBER}", "save": "Spara en kopia",
           "delete": "Radera samtalet", "yes": "Radera", "no": "Avbryt", "you": "Du", "file": "samtal",
           "saved": "En kopia av samtalet har sparats som fil.",
           "deleted": "Samtalet är raderat. Här börjar ett nytt samtal."},
    "en": {"path": "/en/", "problem": f"I don't get the SMS code, my number is {PHONE_NUMBER}", "save": "Save a copy",
           "delete": "Delete the conversation", "yes": "Delete", "no": "Cancel", "you": "You", "file": "conversation",
           "saved": "A copy of the conversation has been saved as a file.",
           "deleted": "The conversation has been deleted. A new conversation starts here."},
}


def state(page) -> dict:
    return json.loads(page.evaluate("sessionStorage.getItem('mv-support-chat')"))


def events_stored(bot, sender: str) -> int:
    with sqlite3.connect(bot.tracker_db) as db:
        return db.execute("SELECT count(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0]


def a_conversation(page, chat_site, language: str) -> Chat:
    texts = TEXTS[language]
    chat = Chat(page).open_page(chat_site.url + texts["path"]).open()
    chat.expect_answer("utter_greet", language)
    chat.type_and_send(texts["problem"])
    chat.expect_answer("utter_ask_did_it_help", language)
    chat.wait_until_idle()
    return chat


def tab_to(page, target, backwards: bool = False) -> None:
    """Tab (or Shift+Tab) until `target`, inside the widget's shadow root, has the focus."""
    for _ in range(MAX_TABS):
        if target.evaluate("element => element.getRootNode().activeElement === element"):
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"{target} is not reached by Tab")


def button(page, name: str):
    return page.get_by_role("button", name=name, exact=True)


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_copy_holds_the_conversation_as_shown_with_personal_data_masked(page, chat_site, language):
    texts = TEXTS[language]
    chat = a_conversation(page, chat_site, language)
    tab_to(page, button(page, texts["save"]))
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    copy = open(download.value.path(), encoding="utf-8").read()

    assert re.fullmatch(rf"{texts['file']}-\d{{4}}-\d{{2}}-\d{{2}}\.txt", download.value.suggested_filename)
    expect(page.get_by_role("status").filter(has_text=texts["saved"])).to_have_count(1)
    # Every answer the chat showed is in the copy, as the chat showed it (lists as list items).
    answers = normalize(" ".join(re.sub(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}  [^:]+: |\s*\d+[.)]\s+)", "", line)
                                 for line in copy.splitlines()))
    for shown in chat.bot_texts():
        assert shown in answers, shown
    [typed] = chat.user_texts()
    assert f"{texts['you']}: {typed.replace(PHONE_NUMBER, '[telefon]')}" in copy
    assert PHONE_NUMBER not in copy
    # Lines in the order they were said, each with its date and time.
    said = [line for line in copy.splitlines() if re.match(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}  ", line)]
    assert len(said) == len(chat.bot_texts()) + 1


@pytest.mark.parametrize("language", ["sv", "en"])
def test_deleting_asks_first_then_the_conversation_is_gone_and_a_reload_starts_anew(page, chat_site, bot, language):
    texts = TEXTS[language]
    chat = a_conversation(page, chat_site, language)
    sender = state(page)["sender"]
    assert events_stored(bot, sender) > 0
    engine = open_database(bot.endpoints)
    conversations.catch_up(engine)  # as the staff console does every few seconds
    assert stored_about(engine, sender)["index"] == 1

    tab_to(page, button(page, texts["delete"]))
    page.keyboard.press("Enter")
    question = page.get_by_role("group", name=re.compile("radera samtalet|delete the conversation", re.I))
    expect(question).to_be_visible()
    expect(button(page, texts["no"])).to_be_focused()  # the safe choice first
    page.keyboard.press("Escape")  # changes nothing: the question goes, the chat stays open
    expect(question).to_be_hidden()
    expect(chat.panel).to_be_visible()
    expect(button(page, texts["delete"])).to_be_focused()
    assert events_stored(bot, sender) > 0

    page.keyboard.press("Enter")
    tab_to(page, button(page, texts["yes"]), backwards=True)
    page.keyboard.press("Enter")

    expect(page.get_by_role("status").filter(has_text=texts["deleted"])).to_have_count(1)
    chat.expect_answer("utter_greet", language)  # a fresh conversation, greeted
    expect(chat.user_bubbles()).to_have_count(0)
    assert events_stored(bot, sender) == 0
    assert stored_about(engine, sender)["index"] == 0  # nor in the console's index
    engine.dispose()
    assert state(page)["sender"] != sender

    page.reload()
    chat.open() if chat.panel.is_hidden() else None
    expect(chat.bot_bubbles()).to_have_count(1)
    expect(chat.log).not_to_contain_text(PHONE_NUMBER)
    assert state(page)["sender"] != sender


def test_the_new_controls_pass_axe_with_the_question_open(browser, chat_site):
    page = new_page(browser, DESKTOP)
    a_conversation(page, chat_site, "sv")
    assert serious_violations(page, "own conversation controls (sv)") == []
    button(page, "Radera samtalet").click()
    expect(button(page, "Avbryt")).to_be_focused()
    assert serious_violations(page, "asked before deleting (sv)") == []
    page.context.close()
