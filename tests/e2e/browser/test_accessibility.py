"""Accessibility of the chat page: an axe-core scan of every state the user can see, the
layout on a 360 px phone and at 200 % zoom, and the screenshots shown in the README."""
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import ROOT
from tests.e2e.browser.axe import new_page, serious_violations
from tests.e2e.browser.chat import Chat
from tests.e2e.browser.conftest import DESKTOP

pytestmark = pytest.mark.e2e

SCREENSHOTS = ROOT / "docs" / "screenshots"
PHONE = {"width": 360, "height": 740}
# A 1280 x 720 window at 200 % zoom lays out exactly like a 640 x 360 one at scale 2.
ZOOMED = {"width": 640, "height": 360}


def a_conversation(chat: Chat, language: str) -> None:
    """Greeting, a problem chosen with a button, advice with a list and the yes/no buttons."""
    chat.open()
    chat.expect_answer("utter_greet", language)
    chat.quick_reply("Jag får ingen sms-kod" if language == "sv" else "I don't get the SMS code").click()
    chat.expect_answer("utter_no_sms_code_check_operator", language)
    chat.expect_answer("utter_ask_did_it_help", language)


@pytest.mark.parametrize(
    "state, viewport, scale, path, language",
    [
        ("closed, desktop", DESKTOP, 1, "/", None),
        ("open, desktop, Swedish", DESKTOP, 1, "/", "sv"),
        ("open, desktop, English", DESKTOP, 1, "/en/", "en"),
        ("open, 360 px phone", PHONE, 1, "/", "sv"),
        ("open, 200 % zoom", ZOOMED, 2, "/en/", "en"),
    ],
)
def test_no_serious_or_critical_accessibility_violations(browser, chat_site, state, viewport, scale, path, language):
    page = new_page(browser, viewport, scale)
    chat = Chat(page).open_page(chat_site.url + path)
    if language:
        a_conversation(chat, language)
    assert serious_violations(page, state) == []
    page.context.close()


def test_no_serious_or_critical_violations_in_the_error_state(browser, unreachable_chat_site):
    page = new_page(browser, DESKTOP)
    chat = Chat(page).open_page(unreachable_chat_site.url + "/").open()
    expect(chat.error).to_be_visible()
    assert serious_violations(page, "server unreachable") == []
    page.context.close()


@pytest.mark.parametrize("viewport, scale", [(PHONE, 1), (ZOOMED, 2)], ids=["360px", "200%zoom"])
def test_the_chat_fits_small_screens_and_high_zoom(browser, chat_site, viewport, scale):
    page = new_page(browser, viewport, scale)
    chat = Chat(page).open_page(chat_site.url + "/en/")
    a_conversation(chat, "en")

    panel = chat.panel.bounding_box()
    assert panel["x"] >= 0 and panel["y"] >= 0
    assert panel["x"] + panel["width"] <= viewport["width"] + 0.5
    assert panel["y"] + panel["height"] <= viewport["height"] + 0.5
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for control in (chat.input, chat.send_button, page.get_by_role("button", name="Start over")):
        expect(control).to_be_in_viewport()
    # No message or button is cut off sideways.
    clipped = page.evaluate(
        """() => {
            const root = document.getElementById('mv-support-chat').shadowRoot;
            return [...root.querySelectorAll('.bubble, .quick-reply')]
                .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent);
        }"""
    )
    assert clipped == []
    # A long answer shows from its start, not scrolled to its end.
    advice = chat.expect_answer("utter_no_sms_code_check_operator", "en").bounding_box()
    conversation = page.locator(".scroller").bounding_box()
    assert conversation["y"] <= advice["y"] < conversation["y"] + conversation["height"]
    # The conversation scrolls into reach: the last button can be scrolled to and clicked.
    chat.quick_reply("No").click()
    chat.expect_answer("utter_no_sms_code_operator_allows_it", "en")
    page.context.close()


@pytest.mark.parametrize(
    "name, viewport, path, language",
    [("chat-desktop.png", DESKTOP, "/", "sv"), ("chat-mobile.png", PHONE, "/en/", "en")],
)
def test_screenshots_for_the_readme(browser, chat_site, name, viewport, path, language):
    page = new_page(browser, viewport, 1)
    chat = Chat(page).open_page(chat_site.url + path)
    a_conversation(chat, language)
    chat.wait_until_idle()
    page.locator("textarea").blur()

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target: Path = SCREENSHOTS / name
    shot = page.screenshot()

    assert len(shot) > 10_000  # a rendered page, not an empty image
    if not target.exists() or _looks_different(target.read_bytes(), shot):
        target.write_bytes(shot)
    page.context.close()


def _looks_different(old: bytes, new: bytes) -> bool:
    """Whether two screenshots differ by more than a sub-pixel shift of a scrolled area, so
    that every run does not rewrite the committed pictures."""
    import io

    from PIL import Image, ImageChops

    before, after = (Image.open(io.BytesIO(b)).convert("L") for b in (old, new))
    if before.size != after.size:
        return True
    changed = sum(ImageChops.difference(before, after).histogram()[65:])  # clearly other pixels
    return changed > 0.002 * before.size[0] * before.size[1]
