"""The staff console in headless Chromium: each page passes axe-core with no serious or critical
violation, in Swedish and English, and an admin's main path works by keyboard alone. The
screenshots in docs/screenshots/console-*.png come from here."""
import pytest
from playwright.sync_api import expect

from tests.conftest import ROOT
from tests.e2e.browser.axe import new_page, serious_violations
from tests.e2e.browser.conftest import DESKTOP
from tests.e2e.browser.keyboard import sign_in_by_keyboard, sign_out_by_keyboard, tab_to

SCREENSHOTS = ROOT / "docs" / "screenshots"


@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_console_page_passes_axe(browser, console, language):
    page = new_page(browser, DESKTOP)
    page.goto(f"{console.url}/language/{language}?next=/sign-in")
    found = {"sign-in": serious_violations(page, f"console sign-in ({language})")}
    if language == "sv":
        page.screenshot(path=str(SCREENSHOTS / "console-sign-in.png"), full_page=True)
    page.fill("#username", "admin")
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    expect(page.locator(".error-summary")).to_be_visible()
    found["sign-in, wrong password"] = serious_violations(page, f"console sign-in error ({language})")
    sign_in_by_keyboard(page, console.url, "admin", language)
    for path in ("/", "/accounts", "/audit", "/password"):
        page.goto(console.url + path)
        found[path] = serious_violations(page, f"console {path} ({language})")
        if language == "sv":
            name = "home" if path == "/" else path.strip("/")
            page.screenshot(path=str(SCREENSHOTS / f"console-{name}.png"), full_page=True)
    page.goto(console.url + "/accounts")
    page.fill("#username", "Not Valid")
    page.fill("#display_name", "Someone")
    page.fill("#password", "long-enough-password-1")
    page.click("form.narrow button[type=submit]")
    expect(page.locator("#username")).to_have_attribute("aria-invalid", "true")
    found["accounts, a form with an error"] = serious_violations(page, f"console accounts error ({language})")
    row = page.locator("tbody tr", has_text="Aga Agent")
    row.locator("input[type=password]").fill("short")  # refused by the server: under 12 characters
    row.locator("input[type=password]").evaluate("field => field.removeAttribute('minlength')")
    row.get_by_role("button", name="Sätt lösenord" if language == "sv" else "Set password").click()
    expect(page.locator(".error-summary")).to_contain_text("Aga Agent")
    found["accounts, a row with an error"] = serious_violations(page, f"console accounts row error ({language})")
    page.locator("tbody tr", has_text="Aga Agent").get_by_role(
        "button", name="Stäng av" if language == "sv" else "Deactivate").click()
    expect(page.locator("h1")).to_contain_text("Aga Agent")
    found["deactivation, asked to confirm"] = serious_violations(page, f"console confirm deactivation ({language})")
    page.goto(console.url + "/password")
    page.fill("#current", "not the password")
    page.fill("#new", "long-enough-password-1")
    page.fill("#repeat", "long-enough-password-1")
    page.click("form.narrow button[type=submit]")
    expect(page.locator("#current")).to_have_attribute("aria-invalid", "true")
    found["password, wrong current"] = serious_violations(page, f"console password error ({language})")
    page.context.close()
    agent = new_page(browser, DESKTOP)
    sign_in_by_keyboard(agent, console.url, "agent", language)
    agent.goto(console.url + "/accounts")
    found["403 for an agent"] = serious_violations(agent, f"console 403 ({language})")
    agent.context.close()
    assert not {state: v for state, v in found.items() if v}


def test_an_admin_adds_an_account_by_keyboard_alone(browser, console):
    page = new_page(browser, DESKTOP)
    sign_in_by_keyboard(page, console.url, "admin")
    page.goto(console.url + "/accounts")
    tab_to(page, page.locator("#username"))
    page.keyboard.type("kim")
    page.keyboard.press("Tab")
    page.keyboard.type("Kim Keyboard")
    page.keyboard.press("Tab")
    expect(page.locator("#role")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.type("short")  # refused: too short; what was typed stays
    page.keyboard.press("Enter")
    expect(page.locator(".error-summary")).to_contain_text("minst 12 tecken")
    expect(page.locator("#display_name")).to_have_value("Kim Keyboard")
    # The field in error has the focus: the correction can be typed at once.
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.type("keyboard-pass-phrase-2")
    page.keyboard.press("Enter")
    expect(page.locator(".notice")).to_have_text("Kontot kim är skapat.")
    expect(page.locator("tbody th", has_text="kim")).to_be_visible()
    # Signing out is a button in the header, reachable by keyboard.
    sign_out_by_keyboard(page)
    page.goto(console.url + "/accounts")
    expect(page).to_have_url(f"{console.url}/sign-in?next=/accounts")
    page.context.close()
