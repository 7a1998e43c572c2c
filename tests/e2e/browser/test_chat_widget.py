"""The chat widget on the demo page, in headless Chromium against the real servers."""
import json
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from tests.e2e.browser.chat import Chat, first_line, language_of
from tests.conftest import serving

pytestmark = pytest.mark.e2e


def test_swedish_page_answers_a_missing_email_in_swedish(page, chat_site):
    chat = Chat(page).open_page(chat_site.url + "/").open()
    chat.expect_answer("utter_greet", "sv")
    expect(chat.input).to_be_focused()

    chat.type_and_send("Jag har inte fått något mejl från er")

    expect(chat.user_bubbles()).to_have_text(["Jag har inte fått något mejl från er"])
    chat.expect_answer("utter_no_email_check_spam", "sv")
    chat.expect_answer("utter_ask_did_it_help", "sv")


def test_english_page_answers_a_missing_email_in_english(page, chat_site):
    chat = Chat(page).open_page(chat_site.url + "/en/").open()
    # The page language goes to the assistant as metadata, so even the greeting is English.
    chat.expect_answer("utter_greet", "en")
    expect(chat.send_button).to_have_text("Send")

    chat.type_and_send("I never got the email with the verification code")

    chat.expect_answer("utter_no_email_check_spam", "en")


def test_quick_replies_answer_and_go_away_once_used(page, chat_site):
    chat = Chat(page).open_page(chat_site.url + "/").open()
    chat.expect_answer("utter_greet", "sv")

    chat.quick_reply("Jag får ingen sms-kod").click()

    expect(chat.user_bubbles()).to_have_text(["Jag får ingen sms-kod"])  # the title, not /no_sms_code
    chat.expect_answer("utter_no_sms_code_check_operator", "sv")
    expect(chat.quick_reply("Jag får inget mejl")).to_have_count(0)
    expect(chat.input).to_be_focused()

    chat.quick_reply("Nej").click()
    chat.expect_answer("utter_no_sms_code_operator_allows_it", "sv")
    chat.expect_answer("utter_handoff_to_support", "sv")


def test_lists_phone_numbers_and_line_breaks_are_rendered(page, chat_site):
    chat = Chat(page).open_page(chat_site.url + "/en/").open()
    chat.expect_answer("utter_greet", "en")
    chat.quick_reply("Talk to technical support").click()

    handoff = chat.expect_answer("utter_handoff_to_support", "en")
    expect(handoff.locator("ol > li")).to_have_count(2)
    phone = handoff.get_by_role("link", name="0771-235 235")
    expect(phone).to_have_attribute("href", "tel:+46771235235")
    expect(handoff.locator("p")).to_have_count(2)  # the line before the list and the one after


def test_reload_keeps_the_conversation_and_its_context(page, chat_site):
    chat = Chat(page).open_page(chat_site.url + "/").open()
    chat.expect_answer("utter_greet", "sv")
    chat.type_and_send("Kortbetalningen går inte igenom")
    chat.expect_answer("utter_card_payment_contact_bank", "sv")
    before = (chat.user_texts(), chat.bot_texts())

    page.reload()

    expect(chat.panel).to_be_visible()  # still open
    chat.expect_answer("utter_card_payment_contact_bank", "sv")
    assert (chat.user_texts(), chat.bot_texts()) == before
    # The same conversation goes on at the server: "no" leads to the next step of this flow.
    chat.quick_reply("Nej").click()
    chat.expect_answer("utter_handoff_intro_advice_ran_out", "sv")


def test_an_unsent_draft_survives_a_reload(page, chat_site):
    chat = Chat(page).open_page(chat_site.url + "/").open()
    chat.expect_answer("utter_greet", "sv")
    chat.input.fill("Jag har ett problem med")

    page.reload()

    expect(chat.input).to_have_value("Jag har ett problem med")


def test_start_over_begins_a_new_conversation(page, chat_site):
    chat = Chat(page).open_page(chat_site.url + "/").open()
    chat.expect_answer("utter_greet", "sv")
    chat.type_and_send("Jag får ingen sms-kod")
    chat.expect_answer("utter_no_sms_code_check_operator", "sv")
    sender_before = _sender(page)

    page.get_by_role("button", name="Börja om").click()

    chat.expect_answer("utter_greet", "sv")
    expect(chat.user_bubbles()).to_have_count(0)
    expect(chat.bot_bubbles()).to_have_count(1)
    assert _sender(page) != sender_before
    # A new conversation: "no" is not taken as an answer to the old flow's question.
    chat.type_and_send("nej")
    chat.wait_until_idle()
    next_step = first_line("utter_no_sms_code_operator_allows_it", "sv")
    expect(chat.bot_bubbles().filter(has_text=next_step)).to_have_count(0)


def test_language_switch_changes_the_interface_and_the_answers(page, chat_site):
    chat = Chat(page).open_page(chat_site.url + "/").open()
    chat.expect_answer("utter_greet", "sv")

    page.get_by_role("button", name="Switch the chat to English").click()

    chat.expect_answer("utter_greet", "en")
    expect(chat.send_button).to_have_text("Send")
    expect(page.locator(".frame")).to_have_attribute("lang", "en")
    # A short message that is neither language keeps the one chosen.
    chat.type_and_send("ok")
    chat.wait_until_idle()
    assert [language_of(text) for text in chat.bot_texts()[1:]] == ["en"] * (len(chat.bot_texts()) - 1)

    page.get_by_role("button", name="Byt chattens språk till svenska").click()
    chat.expect_answer("utter_greet", "sv", count=2)
    expect(chat.send_button).to_have_text("Skicka")


def test_markup_is_shown_as_text_and_never_run(page, chat_site):
    chat = Chat(page).open_page(chat_site.url + "/").open()
    chat.expect_answer("utter_greet", "sv")
    attack = '<img src=x onerror="alert(1)"><b>fet</b><script>alert(2)</script>'

    chat.type_and_send(attack)

    expect(chat.user_bubbles().last).to_have_text(attack)
    chat.wait_until_idle()
    assert page.locator(".log img, .log b, .log script").count() == 0
    # The page fixture fails the test if a dialog opened or a script error occurred.


def test_unreachable_server_shows_an_error_and_keeps_the_text(page, unreachable_chat_site):
    chat = Chat(page).open_page(unreachable_chat_site.url + "/").open()
    expect(chat.error).to_contain_text("Det gick inte att nå assistenten")

    chat.type_and_send("Jag får ingen sms-kod")

    expect(chat.error).to_contain_text("Ditt meddelande har inte skickats")
    expect(chat.input).to_have_value("Jag får ingen sms-kod")
    expect(chat.user_bubbles()).to_have_count(0)
    expect(page.get_by_role("button", name="Försök igen")).to_be_visible()


def test_a_message_that_failed_can_be_sent_again(page, chat_site):
    chat = Chat(page).open_page(chat_site.url + "/en/").open()
    chat.expect_answer("utter_greet", "en")
    # The network drops the next request, as when the connection is lost for a moment.
    page.route("**/webhooks/rest/webhook", lambda route: route.abort("connectionrefused"))

    chat.type_and_send("The card payment fails every time")

    expect(chat.error).to_contain_text("could not be reached")
    expect(chat.input).to_have_value("The card payment fails every time")
    page.unroute("**/webhooks/rest/webhook")
    page.get_by_role("button", name="Try again").click()

    chat.expect_answer("utter_card_payment_contact_bank", "en")
    expect(chat.user_bubbles()).to_have_text(["The card payment fails every time"])
    expect(chat.input).to_have_value("")
    expect(chat.error).to_be_hidden()


def test_sending_too_fast_is_explained_and_the_message_can_be_sent_again(page, chat_site):
    chat = Chat(page).open_page(chat_site.url + "/").open()
    chat.expect_answer("utter_greet", "sv")
    # As the server answers over its rate limit (tests/e2e/test_security.py checks that reply).
    page.route("**/webhooks/rest/webhook", lambda route: route.fulfill(
        status=429, headers={"Retry-After": "3"}, json={"error": "too many"}))

    chat.type_and_send("Kortbetalningen går inte igenom")

    expect(chat.error).to_contain_text("snabbare än jag hinner svara")
    expect(chat.input).to_have_value("Kortbetalningen går inte igenom")
    page.unroute("**/webhooks/rest/webhook")
    page.get_by_role("button", name="Försök igen").click()
    chat.expect_answer("utter_card_payment_contact_bank", "sv")
    expect(chat.error).to_be_hidden()


def test_a_whole_conversation_by_keyboard_alone(page, chat_site):
    chat = Chat(page).open_page(chat_site.url + "/en/")

    _tab_to(page, "Chat with technical support")
    page.keyboard.press("Enter")
    chat.expect_answer("utter_greet", "en")
    expect(chat.input).to_be_focused()

    page.keyboard.type("The PDF form won't open")
    page.keyboard.press("Enter")
    chat.expect_answer("utter_pdf_form_save_and_open_in_reader", "en")

    _tab_to(page, "No", backwards=True)
    _assert_focus_is_visible(page)
    page.keyboard.press("Enter")
    chat.expect_answer("utter_pdf_form_try_another_browser", "en")

    page.keyboard.press("Escape")
    expect(chat.panel).to_be_hidden()
    expect(chat.launcher).to_be_focused()


def test_the_log_is_announced_to_screen_readers(page, chat_site):
    chat = Chat(page).open_page(chat_site.url + "/").open()
    chat.expect_answer("utter_greet", "sv")
    expect(chat.log).to_have_attribute("aria-live", "polite")
    chat.type_and_send("Blanketten går inte att öppna")
    chat.expect_answer("utter_pdf_form_save_and_open_in_reader", "sv")
    # Messages are added inside the live log, each with who said it for screen readers.
    assert chat.log.locator(".message").count() == 4  # greeting, question, advice, did it help
    assert chat.log.locator(".from-user .visually-hidden").first.inner_text().strip() == "Du skrev:"


def _sender(page) -> str:
    return json.loads(page.evaluate("sessionStorage.getItem('mv-support-chat')"))["sender"]


def _focused_name(page) -> str:
    """The accessible name of the focused element, looking inside the widget's shadow root."""
    return page.evaluate(
        """() => {
            let element = document.activeElement;
            while (element && element.shadowRoot && element.shadowRoot.activeElement) {
                element = element.shadowRoot.activeElement;
            }
            return element ? (element.getAttribute('aria-label') || element.textContent || '').trim() : '';
        }"""
    )


def _tab_to(page, name: str, backwards: bool = False, limit: int = 40) -> None:
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        if _focused_name(page) == name:
            return
    pytest.fail(f"{name!r} cannot be reached with {key}")


def _assert_focus_is_visible(page) -> None:
    outline = page.evaluate(
        """() => {
            let element = document.activeElement;
            while (element.shadowRoot && element.shadowRoot.activeElement) {
                element = element.shadowRoot.activeElement;
            }
            const style = getComputedStyle(element);
            return [style.outlineStyle, parseFloat(style.outlineWidth)];
        }"""
    )
    assert outline[0] != "none" and outline[1] >= 2, f"no visible focus indicator: {outline}"


def test_one_script_tag_embeds_it_on_any_page(page, bot, chat_site, tmp_path):
    """Another site's page, with styles of its own that would wreck unprotected widgets."""
    (tmp_path / "index.html").write_text(
        f"""<!doctype html><html lang="en-GB"><head><title>Another site</title>
        <style>* {{ font-size: 9px; color: #bbb; }} button {{ background: yellow; border: 0; }}</style>
        </head><body><h1>Another site</h1>
        <script src="{chat_site.url}/widget/chat-widget.js" data-server-url="{bot.url}"></script>
        </body></html>""",
        encoding="utf-8",
    )
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    with serving(ThreadingHTTPServer(("127.0.0.1", bot.embedding_site_port), handler)) as site:
        chat = Chat(page).open_page(site + "/").open()

        chat.expect_answer("utter_greet", "en")  # lang="en-GB" counts as English
        styles = chat.send_button.evaluate(
            "b => [getComputedStyle(b).backgroundColor, getComputedStyle(b).fontSize]"
        )
        assert styles == ["rgb(0, 90, 135)", "16px"]
        chat.type_and_send("My card payment was declined")
        chat.expect_answer("utter_card_payment_contact_bank", "en")


def test_links_in_answers_open_safely_and_server_markup_stays_text(page, chat_site):
    chat = Chat(page).open_page(chat_site.url + "/en/").open()
    chat.expect_answer("utter_greet", "en")
    # Answers may one day carry links; none of the page's do yet, so the server's reply is
    # stood in for here, with markup and a javascript: link that must stay text.
    reply = [{"recipient_id": "x", "text": (
        "See [the help page](https://example.org/help) or https://example.org/faq.\n"
        "- <b>not bold</b>\n- [click](javascript:alert(1))"
    )}]
    page.route("**/webhooks/rest/webhook", lambda route: route.fulfill(json=reply))

    chat.type_and_send("links please")

    bubble = chat.bot_bubbles().last
    expect(bubble.locator("a")).to_have_count(2)
    titled = bubble.get_by_role("link", name="the help page")
    expect(titled).to_have_attribute("href", "https://example.org/help")
    expect(titled).to_have_attribute("target", "_blank")
    expect(titled).to_have_attribute("rel", "noopener noreferrer")
    expect(bubble.get_by_role("link", name="https://example.org/faq")).to_have_attribute(
        "href", "https://example.org/faq"  # the full stop after it is not part of the address
    )
    expect(bubble.locator("ul > li")).to_have_text(["<b>not bold</b>", "[click](javascript:alert(1))"])
