"""Using the staff console by keyboard alone, as a person who cannot use a mouse does."""
from playwright.sync_api import Locator, Page, expect

from tests.helpers import CONSOLE_PASSWORDS

# More Tab presses than any console page needs to reach its last control.
MAX_TABS = 150


def tab_to(page: Page, target: Locator, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until `target` has the focus; fails if it never gets it, so a
    control that cannot be reached by keyboard fails the test."""
    for _ in range(MAX_TABS):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"{target} is not reached by Tab")


def sign_in_by_keyboard(page: Page, url: str, username: str, language: str = "sv") -> None:
    """From the top of the page: the skip link, the language link, then the form."""
    page.goto(f"{url}/language/{language}?next=/sign-in")
    page.keyboard.press("Tab")
    expect(page.locator(".skip")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator("#username")).to_be_focused()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.type(CONSOLE_PASSWORDS[username])
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Start" if language == "sv" else "Home")


def sign_out_by_keyboard(page: Page) -> None:
    tab_to(page, page.locator(".sign-out button"))
    page.keyboard.press("Enter")
    expect(page.locator(".notice")).to_have_text("Du är utloggad.")
