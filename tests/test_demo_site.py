"""The demo site that `make run` serves the chat page from."""
import pytest
import requests

from assistant.demo_site import make_server
from tests.conftest import serving


@pytest.fixture(scope="module")
def site():
    with serving(make_server("127.0.0.1", 0, "http://assistant.example:5005/")) as url:
        yield url


@pytest.mark.parametrize("path, language", [("/", "sv"), ("/en/", "en")])
def test_demo_pages_embed_the_widget_pointing_at_the_assistant(site, path, language):
    response = requests.get(site + path, timeout=5)
    assert response.status_code == 200
    assert f'<html lang="{language}">' in response.text
    assert (
        '<script src="/widget/chat-widget.js" data-server-url="http://assistant.example:5005" defer>'
        in response.text
    )


def test_pages_may_talk_to_the_assistant_only_and_run_no_inline_code(site):
    policy = requests.get(site + "/", timeout=5).headers["Content-Security-Policy"]
    directives = dict(part.split(" ", 1) for part in policy.split("; "))
    assert directives["connect-src"] == "http://assistant.example:5005"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["default-src"] == "'none'"


def test_the_widget_files_are_served(site):
    script = requests.get(site + "/widget/chat-widget.js", timeout=5)
    assert script.status_code == 200
    assert "javascript" in script.headers["Content-Type"]
    assert requests.get(site + "/widget/chat-widget.css", timeout=5).status_code == 200


@pytest.mark.parametrize("path", ["/widget/", "/missing.html", "/../Makefile", "/%2e%2e/Makefile"])
def test_no_listing_no_missing_file_and_nothing_outside_web(site, path):
    response = requests.get(site + path, timeout=5)
    assert response.status_code == 404
    assert "Makefile" not in response.text
