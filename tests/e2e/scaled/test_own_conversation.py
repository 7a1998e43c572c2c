"""An applicant deletes the conversation in the chat widget, in headless Chromium, against the
scaled profile: gone from PostgreSQL at once, and from the other instance's cache too, whose
next message of that id starts a new conversation."""
import json

import pytest
from playwright.sync_api import expect

from assistant.demo_site import make_server
from tests.conftest import serving
from tests.e2e.browser.chat import Chat
from tests.e2e.browser.conftest import browser, page  # noqa: F401 -- the fixtures

pytestmark = pytest.mark.e2e


def test_a_conversation_deleted_in_the_widget_is_gone_from_postgresql_and_every_instance(page, cluster):
    first, second = cluster.instances[:2]
    with serving(make_server("127.0.0.1", cluster.chat_site_port, first.url)) as site:
        chat = Chat(page).open_page(site + "/").open()
        chat.expect_answer("utter_greet", "sv")
        chat.type_and_send("Jag får inget mejl")
        chat.expect_answer("utter_ask_did_it_help", "sv")
        chat.wait_until_idle()
        sender = json.loads(page.evaluate("sessionStorage.getItem('mv-support-chat')"))["sender"]
        # The other instance answers the conversation too, and so holds it in its cache.
        second.say(sender, "nej")
        assert "Jag får inget mejl" in cluster.user_texts(sender)

        page.get_by_role("button", name="Radera samtalet", exact=True).click()
        page.get_by_role("button", name="Radera", exact=True).click()
        expect(page.get_by_role("status").filter(has_text="Samtalet är raderat.")).to_have_count(1)
        chat.expect_answer("utter_greet", "sv")

    assert cluster.stored(sender) == []
    # The other instance reads it afresh, not from its cache: only the new message is stored.
    second.say(sender, "hej")
    assert cluster.user_texts(sender) == ["hej"]
