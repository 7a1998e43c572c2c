"""The chat page in headless Chromium (Debian's package, driven by Playwright) against the real
servers: the demo site is served as `make run` serves it, pointing at the Rasa server the e2e
fixtures started."""
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List

import pytest
from playwright.sync_api import expect

from assistant.demo_site import make_server
from tests.conftest import serving
from assistant.processes import free_port

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps calling home, which this closed
# network refuses; --no-sandbox because the tests may run as root.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
# Playwright waits at most this long for an answer to show; the servers answer in about a second.
ANSWER_TIMEOUT_MS = 20_000


expect.set_options(timeout=ANSWER_TIMEOUT_MS)


@dataclass
class Site:
    url: str


def _serve(port: int, assistant_url: str) -> Iterator[Site]:
    with serving(make_server("127.0.0.1", port, assistant_url)) as url:
        yield Site(url)


@pytest.fixture(scope="session")
def chat_site(bot) -> Iterator[Site]:
    """The demo page as `make run` serves it, on the port the Rasa server allows (CORS)."""
    yield from _serve(bot.chat_site_port, bot.url)


@pytest.fixture(scope="session")
def unreachable_chat_site() -> Iterator[Site]:
    """The demo page pointing at a port where no assistant listens."""
    yield from _serve(free_port(), f"http://127.0.0.1:{free_port()}")


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"No Chromium at {CHROMIUM}; `make test` installs it (scripts/install-chromium.sh).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(ANSWER_TIMEOUT_MS)
    page = context.new_page()
    errors: List[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: errors.append(f"dialog opened: {dialog.message}"))
    yield page
    context.close()
    assert not errors, f"the page raised errors: {errors}"
