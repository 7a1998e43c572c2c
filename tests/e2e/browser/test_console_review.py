"""The support lead's and the support agent's main paths in headless Chromium, by keyboard
alone, on conversations held with the real assistant: an applicant is handed off in the chat
widget and the agent finds the conversation by the reference the applicant was given; a lead
filters, opens a transcript, corrects a message, approves it and the example is in the training
data. Every page passes axe-core; the screenshots in docs/screenshots/console-*.png come from here."""
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from assistant.console import accounts, audit, conversations
from assistant.console.store import open_database
from tests.conftest import ROOT
from tests.e2e.browser.axe import new_page, serious_violations
from tests.e2e.browser.chat import Chat
from tests.e2e.browser.conftest import DESKTOP
from tests.e2e.browser.keyboard import sign_in_by_keyboard, sign_out_by_keyboard, tab_to
from tests.helpers import CONSOLE_PASSWORDS, HANDOFF_REFERENCE, serving_console, stored_about

SCREENSHOTS = ROOT / "docs" / "screenshots"
# The applicants' first messages: a problem the assistant knows (sv), and one new sentence (en)
# which the lead adds to the training data.
FIRST_MESSAGE = {"sv": "Kortbetalningen går inte igenom", "en": "My card payment keeps failing all the time"}


@dataclass
class LiveConsole:
    url: str
    training_data: Path


@pytest.fixture(scope="module")
def live_console(bot, tmp_path_factory):
    """The console on the e2e assistant's own tracker store, with a lead and an agent, writing
    approved corrections into a copy of data/."""
    folder = tmp_path_factory.mktemp("live-console")
    engine = open_database(bot.endpoints)
    for username, name, role in (("lead", "Lea Lead", accounts.LEAD), ("agent", "Aga Agent", accounts.AGENT)):
        if accounts.find(engine, username) is None:
            accounts.create_account(engine, username, name, role, CONSOLE_PASSWORDS[username])
    engine.dispose()
    shutil.copytree(ROOT / "data", folder / "data")
    for name in ("config.yml", "domain.yml"):
        shutil.copyfile(ROOT / name, folder / name)
    with serving_console(folder, bot.endpoints, {"CONSOLE_INDEX_SECONDS": "0.5",
                                                 "CONSOLE_TRAINING_DATA": str(folder / "data" / "nlu"),
                                                 **bot.console_settings}) as url:
        yield LiveConsole(url, folder / "data" / "nlu")


def nav_link(page, name: str):
    return page.locator("header nav").get_by_role("link", name=name, exact=True)


def hand_off_in_the_chat(browser, chat_site, language: str) -> str:
    """An applicant asks for a person in the widget: the reference the assistant gives."""
    page = new_page(browser, DESKTOP)
    chat = Chat(page).open_page(chat_site.url + ("/en/" if language == "en" else "/")).open()
    chat.expect_answer("utter_greet", language)
    chat.type_and_send(FIRST_MESSAGE[language])
    expect(chat.bot_bubbles().nth(1)).to_be_visible()  # answered
    chat.wait_until_idle()
    chat.type_and_send("Jag vill prata med en människa" if language == "sv" else "I want to talk to a human")
    reference_bubble = chat.bot_bubbles().filter(has_text=HANDOFF_REFERENCE)
    expect(reference_bubble).to_have_count(1)
    reference = HANDOFF_REFERENCE.search(reference_bubble.inner_text()).group(0)
    page.context.close()
    return reference


def test_an_agent_finds_the_conversation_by_the_reference_read_out_on_the_phone(browser, chat_site, live_console):
    reference = hand_off_in_the_chat(browser, chat_site, "sv")
    page = new_page(browser, DESKTOP)
    sign_in_by_keyboard(page, live_console.url, "agent")
    expect(nav_link(page, "Samtal")).to_have_count(0)  # an agent sees handoffs only
    tab_to(page, nav_link(page, "Slå upp överlämning"))
    page.keyboard.press("Enter")
    tab_to(page, page.locator("#reference"))
    page.keyboard.type(reference.lower().replace("-", " "))  # as heard on the phone
    page.keyboard.press("Enter")
    problem, tried, answered = (page.locator("dl.summary dd").nth(i) for i in range(3))
    expect(problem).to_have_text(f"Kortbetalningen fungerar inte – ”{FIRST_MESSAGE['sv']}”")
    expect(tried).to_have_text("Kortbetalningen fungerar inte")
    expect(answered).to_have_text("–")  # asked for a person instead of answering "Did that help?"
    expect(page.locator(".transcript")).to_contain_text(FIRST_MESSAGE["sv"])
    expect(page.locator(".transcript .tag")).to_contain_text("Överlämnad till teknisk support")
    assert not serious_violations(page, "console handoff look-up (sv)")
    page.screenshot(path=str(SCREENSHOTS / "console-handoff.png"), full_page=True)
    sign_out_by_keyboard(page)
    page.context.close()


def test_an_agent_deletes_the_conversation_a_caller_asks_to_have_deleted(browser, bot, chat_site, live_console):
    reference = hand_off_in_the_chat(browser, chat_site, "en")
    engine = open_database(bot.endpoints)
    page = new_page(browser, DESKTOP)
    sign_in_by_keyboard(page, live_console.url, "agent")
    tab_to(page, nav_link(page, "Slå upp överlämning"))
    page.keyboard.press("Enter")
    tab_to(page, page.locator("#reference"))
    page.keyboard.type(reference)
    page.keyboard.press("Enter")
    expect(page.locator(".transcript")).to_contain_text(FIRST_MESSAGE["en"])
    sender = conversations.by_reference(engine, reference)["sender_id"]

    tab_to(page, page.get_by_role("button", name="Radera samtalet…"))
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text(f"Radera samtalet {reference}?")
    assert not serious_violations(page, "console, asked before deleting (sv)")
    assert stored_about(engine, sender)["events"]  # only asked so far
    tab_to(page, page.locator("main form.buttons button[type=submit]"))
    page.keyboard.press("Enter")

    expect(page.locator("h1")).to_have_text(f"Samtalet {reference} är raderat.")
    assert stored_about(engine, sender) == {"events": 0, "index": 0, "messages": 0, "corrections": 0}
    entries = audit.entries(engine, page=1)[0]
    assert (entries[0].actor, entries[0].action) == ("agent", audit.CONVERSATION_DELETED)
    assert entries[0].target.startswith(reference)
    # Its reference no longer finds it.
    page.goto(f"{live_console.url}/handoff")
    tab_to(page, page.locator("#reference"))
    page.keyboard.type(reference)
    page.keyboard.press("Enter")
    expect(page.locator("#reference-error")).to_contain_text("Ingen överlämning har den referensen")
    engine.dispose()
    page.context.close()


def test_a_lead_corrects_a_message_into_the_training_data_by_keyboard(browser, chat_site, live_console):
    hand_off_in_the_chat(browser, chat_site, "en")
    page = new_page(browser, DESKTOP)
    sign_in_by_keyboard(page, live_console.url, "lead")
    tab_to(page, nav_link(page, "Samtal"))
    page.keyboard.press("Enter")
    # Filter: English conversations that ended in a handoff.
    tab_to(page, page.locator("#language"))
    page.keyboard.press("ArrowDown")  # from "Alla" to svenska
    page.keyboard.press("ArrowDown")  # to engelska
    tab_to(page, page.locator("#flag-handoff"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Visa"))
    page.keyboard.press("Enter")
    expect(page.locator("#language")).to_have_value("en")
    first = page.locator("tbody tr").first.get_by_role("link")
    expect(first).to_contain_text("My card payment keeps failing all the time (samtal ")
    assert not serious_violations(page, "console conversations (sv)")
    page.screenshot(path=str(SCREENSHOTS / "console-conversations.png"), full_page=True)
    tab_to(page, first)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("Samtal")
    message = page.locator(".turn.user", has_text="My card payment keeps failing all the time")
    field = message.locator("input[name=intent]")
    tab_to(page, field)
    page.keyboard.type("card_payment_faile")  # not one of the list: refused, what was typed stays
    page.keyboard.press("Enter")
    expect(page.locator(".error-summary")).to_contain_text("Det finns inget sådant ämne")
    field = page.locator(".turn.user", has_text="My card payment keeps failing all the time").locator("input[name=intent]")
    expect(field).to_be_focused()
    expect(field).to_have_value("card_payment_faile")
    assert not serious_violations(page, "console transcript with an error (sv)")
    tab_to(page, field)  # the scan may have moved the focus
    page.keyboard.press("End")
    page.keyboard.type("d")
    page.keyboard.press("Escape")  # closes the list of suggestions; Enter then sends the form
    page.keyboard.press("Enter")
    expect(page.locator(".notice")).to_contain_text("Rättelsen ligger i kön: ”Kortbetalningen fungerar inte”")
    assert not serious_violations(page, "console transcript (sv)")
    page.screenshot(path=str(SCREENSHOTS / "console-transcript.png"), full_page=True)
    tab_to(page, nav_link(page, "Rättelser"), backwards=True)
    page.keyboard.press("Enter")
    row = page.locator("tbody tr", has_text="My card payment keeps failing all the time")
    tab_to(page, row.locator("input[type=checkbox]"))
    page.keyboard.press("Space")
    assert not serious_violations(page, "console corrections (sv)")
    page.screenshot(path=str(SCREENSHOTS / "console-corrections.png"), full_page=True)
    tab_to(page, page.get_by_role("button", name="Godkänn de valda (skriv in i träningsdata)"))
    page.keyboard.press("Enter")
    expect(page.locator(".notice").first).to_have_text("Tillagda i träningsdata: 1. Hoppades över: 0.")
    data = (live_console.training_data / "en" / "card_payment.yml").read_text(encoding="utf-8")
    assert "- My card payment keeps failing all the time\n" in data
    tab_to(page, nav_link(page, "Siffror"), backwards=True)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Siffror")
    assert not serious_violations(page, "console figures (sv)")
    page.screenshot(path=str(SCREENSHOTS / "console-figures.png"), full_page=True)
    sign_out_by_keyboard(page)
    page.context.close()


@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_review_page_passes_axe_in_both_languages(browser, chat_site, live_console, language):
    page = new_page(browser, DESKTOP)
    sign_in_by_keyboard(page, live_console.url, "lead", language)
    found = {}
    for path in ("/conversations", "/conversations?from=not-a-date", "/corrections", "/figures", "/handoff"):
        page.goto(live_console.url + path)
        found[path] = serious_violations(page, f"console {path} ({language})")
    page.goto(live_console.url + "/conversations")
    page.locator("tbody tr a").first.click()
    found["transcript"] = serious_violations(page, f"console transcript ({language})")
    page.goto(live_console.url + "/handoff")
    page.fill("#reference", "nope")
    page.click("form.narrow button[type=submit]")
    expect(page.locator("#reference")).to_have_attribute("aria-invalid", "true")
    found["handoff, a wrong reference"] = serious_violations(page, f"console handoff error ({language})")
    page.context.close()
    assert not {state: v for state, v in found.items() if v}


def test_an_outage_alert_is_clear_and_passes_axe(browser, tmp_path):
    from tests.console.test_alerts import HOUR, advice_and_answer, history
    from tests.helpers import sqlite_endpoints, store_conversations

    endpoints = sqlite_endpoints(tmp_path)
    engine = open_database(endpoints)
    accounts.create_account(engine, "lead", "Lea Lead", accounts.LEAD, CONSOLE_PASSWORDS["lead"])
    now = time.time()
    stored = history(now, "no_sms_code", 120, 5)
    stored.update({f"sms-now-{n}": advice_and_answer("no_sms_code", n == 0, now - HOUR + 120 + 60 * n)
                   for n in range(12)})
    # In a thread of its own: Playwright's event loop runs in this one.
    with ThreadPoolExecutor(1) as seeding:
        seeding.submit(store_conversations, endpoints, stored).result()
    with serving_console(tmp_path, endpoints, {"CONSOLE_INDEX_SECONDS": "0.2"}) as url:
        page = new_page(browser, DESKTOP)
        sign_in_by_keyboard(page, url, "lead")
        alert = page.locator("section.alerts")
        for _ in range(30):  # the index reads the conversations within a second or two
            if alert.count():
                break
            page.wait_for_timeout(500)
            page.reload()
        expect(alert.get_by_role("heading")).to_have_text("Larm: möjlig störning")
        expect(alert).to_contain_text("Jag får ingen sms-kod: den senaste timmen svarade 11 av 12 nej")
        assert not serious_violations(page, "console home with an outage alert (sv)")
        page.screenshot(path=str(SCREENSHOTS / "console-alert.png"), full_page=True)
        page.context.close()
