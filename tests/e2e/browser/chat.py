"""What a user does with the chat widget and what they see, for the browser tests."""
import re
from typing import List

from playwright.sync_api import Locator, Page, expect

from tests.conftest import DOMAIN, LANGUAGES, response_variation


class Chat:
    def __init__(self, page: Page) -> None:
        self.page = page
        # Playwright's CSS and role selectors look inside the widget's open shadow root.
        self.launcher = page.locator("button.launcher")
        self.panel = page.locator("section.panel")
        self.log = page.locator("[role=log]")
        self.input = page.locator("textarea")
        self.send_button = page.locator("button.send")
        self.error = page.locator("[role=alert]")

    def open_page(self, url: str) -> "Chat":
        self.page.goto(url)
        expect(self.launcher).to_be_visible()
        return self

    def open(self) -> "Chat":
        self.launcher.click()
        expect(self.panel).to_be_visible()
        return self

    def bot_bubbles(self) -> Locator:
        return self.page.locator(".from-bot .bubble")

    def user_bubbles(self) -> Locator:
        return self.page.locator(".from-user .bubble")

    def user_texts(self) -> List[str]:
        return [normalize(text) for text in self.user_bubbles().all_inner_texts()]

    def bot_texts(self) -> List[str]:
        return [normalize(text) for text in self.bot_bubbles().all_inner_texts()]

    def type_and_send(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")

    def quick_reply(self, title: str) -> Locator:
        return self.page.locator("button.quick-reply", has_text=title)

    def expect_answer(self, response: str, language: str, count: int = 1) -> Locator:
        """Wait until the domain response `response` shows, in `language`, exactly as written
        there (lists and line breaks aside), `count` times in the conversation."""
        expected = response_text(response, language)
        bubbles = self.bot_bubbles().filter(has_text=first_line(response, language))
        expect(bubbles).to_have_count(count)
        assert normalize(bubbles.last.inner_text()) == expected
        return bubbles.last

    def wait_until_idle(self) -> None:
        expect(self.log).to_have_attribute("aria-busy", "false")


def response_text(name: str, language: str) -> str:
    """A response's text as the widget shows it: list markers become list items and every
    run of whitespace counts as one space."""
    text = response_variation(name, language)["text"]
    lines = [re.sub(r"^\s*(?:[-*•]|\d+[.)])\s+", "", line) for line in text.splitlines()]
    return normalize(" ".join(lines))


def first_line(name: str, language: str) -> str:
    """The start of a response that identifies it, as a text filter can see it (the text
    content of paragraphs and list items runs together without spaces)."""
    return normalize(response_variation(name, language)["text"].splitlines()[0])[:60]


def normalize(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def language_of(text: str) -> str:
    """Which language's variation of some domain response `text` is (as the widget shows it)."""
    for language in LANGUAGES:
        for name in DOMAIN["responses"]:
            variation = response_variation(name, language)
            if variation and response_text(name, language) == text:
                return language
    raise AssertionError(f"not a response of the domain: {text!r}")
