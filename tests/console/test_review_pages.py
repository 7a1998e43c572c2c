"""The support lead's and the support agent's pages over HTTP, on the console `make run` serves
(SQLite; the index on PostgreSQL is tests/console/test_conversations.py): the list and its
filters, transcripts with personal data masked and every view audited, review marks, corrections
written into a copy of the training data, the handoff look-up and its limits, the figures."""
import re
import time

import pytest
import requests

from assistant.console import accounts
from assistant.console.store import open_database
from tests.helpers import (CONSOLE_PASSWORDS, Console, SEEDED_FALLBACK_TEXT, SEEDED_REFERENCE, csrf_token, seed_conversations,
                           serving_console, sign_in, sqlite_endpoints)

LEAD_PAGES = ["/conversations", "/conversations/1", "/corrections", "/figures"]
LEAD_FORMS = [("/conversations/1/review", {"reviewed": "yes", "tags": "x"}),
              ("/conversations/1/corrections", {"event": "1", "intent": "greet"}),
              ("/corrections", {"chosen": "1", "decision": "discard"})]
EMAIL = "anna.andersson@example.com"


def lead(console):
    return console.signed_in("lead", CONSOLE_PASSWORDS["lead"])


def agent(console):
    return console.signed_in("agent", CONSOLE_PASSWORDS["agent"])


def listed_texts(html):
    return re.findall(r'<a href="/conversations/\d+\?back=[^"]*">([^<]*)<span class="visually-hidden">', html)


def conversation_link(html, text):
    return re.search(r'<a href="(/conversations/\d+)\?back=[^"]*">' + re.escape(text), html).group(1)


def wait_for_index(console, browser):
    """The console reads new conversations every half second here (CONSOLE_INDEX_SECONDS)."""
    deadline = time.time() + 10
    while time.time() < deadline:
        if SEEDED_FALLBACK_TEXT in browser.get(console.url + "/conversations").text:
            return
        time.sleep(0.2)
    raise AssertionError("the seeded conversations never appeared in the list")


@pytest.mark.parametrize("path", LEAD_PAGES + ["/handoff"])
def test_no_review_page_without_a_session(console, path):
    response = requests.get(console.url + path, allow_redirects=False)
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in?next=")


@pytest.mark.parametrize("username", ["agent", "admin"])
def test_only_support_leads_see_conversations_annotate_and_correct(console, username):
    staff = console.signed_in(username, CONSOLE_PASSWORDS[username])
    home = staff.get(console.url + "/").text
    assert 'href="/conversations"' not in home
    for path in LEAD_PAGES:
        assert staff.get(console.url + path).status_code == 403
    token = csrf_token(home)
    for path, data in LEAD_FORMS:
        assert staff.post(console.url + path, data=dict(data, csrf_token=token)).status_code == 403
    assert staff.get(console.url + "/handoff").status_code == (200 if username == "agent" else 403)


@pytest.mark.parametrize("path, data", LEAD_FORMS + [("/handoff", {"reference": SEEDED_REFERENCE})])
def test_every_review_form_needs_the_sessions_own_token(console, path, data):
    browser = lead(console)
    other = csrf_token(lead(console).get(console.url + "/").text)
    for token in (None, other):
        sent = dict(data, **({"csrf_token": token} if token else {}))
        response = browser.post(console.url + path, data=sent)
        assert response.status_code == 403 and "Formuläret har gått ut" in response.text


def test_a_lead_filters_the_list(console):
    browser = lead(console)
    wait_for_index(console, browser)
    everything = listed_texts(browser.get(console.url + "/conversations").text)
    assert everything[:1] == ["jag får inget mejl till [e-post]"] and SEEDED_FALLBACK_TEXT in everything
    assert listed_texts(browser.get(console.url + "/conversations?flag=handoff").text) == [
        "jag får inget mejl till [e-post]"]
    assert listed_texts(browser.get(console.url + "/conversations?flag=fallback&language=en").text) == [
        SEEDED_FALLBACK_TEXT]
    assert listed_texts(browser.get(console.url + "/conversations?q=Frozen").text) == [SEEDED_FALLBACK_TEXT]
    assert listed_texts(browser.get(console.url + "/conversations?topic=faq/clear_cookies").text) == [
        SEEDED_FALLBACK_TEXT]
    old = browser.get(console.url + "/conversations?to=" + time.strftime("%Y-%m-%d", time.gmtime(time.time() - 5 * 86400)))
    assert listed_texts(old.text) == ["kortet funkar typ inte"]


@pytest.mark.parametrize("query, field, message", [
    ("from=30-11-2026", "from", "Skriv datumet som ÅÅÅÅ-MM-DD"),
    ("from=2026-11-30&to=2026-11-01", "to", "Slutdatumet ligger före startdatumet"),
    ("language=fi", "language", "Välj ett av alternativen"),
    ("topic=%3Cscript%3E", "topic", "Välj ett av alternativen"),
    ("q=" + "a" * 250, "q", "högst 200 tecken"),
])
def test_a_wrong_filter_is_said_beside_its_field_and_what_was_typed_stays(console, query, field, message):
    response = lead(console).get(f"{console.url}/conversations?{query}&flag=handoff")
    assert response.status_code == 400
    assert re.search(rf'<p class="error" id="{field}-error">[^<]*{re.escape(message)}', response.text)
    assert 'value="handoff" checked' in response.text
    assert "<script>" not in response.text


def test_a_page_past_the_end_shows_the_last_page_of_the_filtered_list(console):
    browser = lead(console)
    wait_for_index(console, browser)
    past = browser.get(console.url + "/conversations?flag=handoff&page=999999999").text
    assert "Sida 1 av 1" in past and listed_texts(past) == ["jag får inget mejl till [e-post]"]
    assert "Sida 1 av 1" in browser.get(console.url + "/conversations?page=x").text


def test_a_transcript_shows_what_was_understood_masked_and_every_view_is_audited(console):
    browser = lead(console)
    wait_for_index(console, browser)
    path = conversation_link(browser.get(console.url + "/conversations?flag=handoff").text, "jag får inget mejl")
    transcript = browser.get(console.url + path).text
    assert "[e-post]" in transcript and EMAIL not in transcript
    assert "Tolkat som Jag får inget mejl, säkerhet 93 %" in transcript
    assert "”Hjälpte det?” – nej" in transcript and "Överlämnad till teknisk support" in transcript
    assert 'Knappar: <span lang="sv">Ja · Nej</span>' in transcript
    assert 'klickade på: <span id="said-' in transcript and '" lang="sv">Nej</span>' in transcript  # its title
    log = console.signed_in("admin", CONSOLE_PASSWORDS["admin"]).get(console.url + "/audit").text
    assert re.search(r"<td>lead</td><td>visade samtal</td><td>#\d+</td>", log)
    assert "mejl" not in log


def test_a_lead_marks_a_conversation_reviewed_with_tags(console):
    browser = lead(console)
    wait_for_index(console, browser)
    path = conversation_link(browser.get(console.url + "/conversations").text, "kortet funkar")
    opened = browser.get(console.url + path).text
    token = csrf_token(opened)
    seen = re.search(r'name="seen" value="(\d+)"', opened).group(1)
    too_long = browser.post(f"{console.url}{path}/review", data={"csrf_token": token, "reviewed": "yes",
                                                                 "seen": seen, "tags": "x" * 400})
    assert too_long.status_code == 400 and "högst 300 tecken" in too_long.text and "x" * 400 in too_long.text
    # Saved from a page that showed fewer messages than there are now: not marked reviewed.
    stale = browser.post(f"{console.url}{path}/review", data={"csrf_token": token, "reviewed": "yes",
                                                              "seen": "0", "tags": "kort"})
    assert stale.status_code == 409 and "nya meddelanden sedan du öppnade" in stale.text
    saved = browser.post(f"{console.url}{path}/review", data={"csrf_token": token, "reviewed": "yes",
                                                              "seen": seen, "tags": "kort, <b>bank</b>, kort"})
    assert "Granskningen är sparad" in saved.text and "kort, &lt;b&gt;bank&lt;/b&gt;" in saved.text
    assert listed_texts(browser.get(console.url + "/conversations?reviewed=yes").text) == ["kortet funkar typ inte"]
    assert "kortet funkar typ inte" not in listed_texts(browser.get(console.url + "/conversations?reviewed=no").text)


def test_a_correction_is_queued_approved_and_written_into_the_training_data(console):
    browser = lead(console)
    wait_for_index(console, browser)
    path = conversation_link(browser.get(console.url + "/conversations?flag=fallback").text, SEEDED_FALLBACK_TEXT)
    page = browser.get(console.url + path).text
    token = csrf_token(page)
    event = re.search(r'name="event" value="(\d+)"', page).group(1)
    wrong = browser.post(f"{console.url}{path}/corrections", data={"csrf_token": token, "event": event,
                                                                   "intent": "faq/no_such_topic"})
    assert wrong.status_code == 400 and "Det finns inget sådant ämne" in wrong.text
    assert 'value="faq/no_such_topic"' in wrong.text
    # Typed as the list shows it (a title, here the English one), it stands for its topic.
    queued = browser.post(f"{console.url}{path}/corrections", data={"csrf_token": token, "event": event,
                                                                    "intent": "what do I do if the e-service freezes?"})
    assert "Rättelsen ligger i kön: ”Vad gör jag om e-tjänsten låser sig?”" in queued.text
    queue = browser.get(console.url + "/corrections").text
    chosen = re.search(r'name="chosen" value="(\d+)"', queue).group(1)
    nothing = browser.post(console.url + "/corrections", data={"csrf_token": token, "decision": "approve"})
    assert nothing.status_code == 400 and "Välj minst en rättelse" in nothing.text
    approved = browser.post(console.url + "/corrections", data={"csrf_token": token, "chosen": chosen,
                                                                "decision": "approve"})
    assert "Tillagda i träningsdata: 1. Hoppades över: 0." in approved.text
    assert "Tillagda rättelser som ännu inte finns i modellen som svarar: 1." in approved.text
    data_file = (console.training_data / "en" / "faq_browser_and_account.yml").read_text(encoding="utf-8")
    block = data_file.split("- intent: faq/reload_page")[1].split("- intent:")[0]
    assert f"- {SEEDED_FALLBACK_TEXT}\n" in block
    # Once added, the decision stands: it is not queued (and added) again.
    again = browser.post(f"{console.url}{path}/corrections", data={"csrf_token": token, "event": event,
                                                                   "intent": "faq/clear_cookies"})
    assert again.status_code == 400 and "redan beslutad" in again.text
    assert data_file.count(SEEDED_FALLBACK_TEXT) == 1


def test_an_agent_looks_up_a_handoff_reference_however_it_is_read_out(console):
    browser = agent(console)
    token = csrf_token(browser.get(console.url + "/handoff").text)
    found = browser.post(console.url + "/handoff", data={"csrf_token": token, "reference": "k7qf 4mxa"})
    assert found.status_code == 200
    summary = re.search(r'<dl class="summary">(.*?)</dl>', found.text, re.S).group(1)
    assert "Jag får inget mejl" in summary and "Jag får inget mejl: ”Hjälpte det?” – nej" in summary
    assert "[e-post]" in found.text and EMAIL not in found.text
    assert 'name="intent"' not in found.text  # an agent reads; there is nothing to correct
    unknown = browser.post(console.url + "/handoff", data={"csrf_token": token, "reference": "AAAA-AAAA"})
    assert unknown.status_code == 404 and "Ingen överlämning har den referensen" in unknown.text
    malformed = browser.post(console.url + "/handoff", data={"csrf_token": token, "reference": "<b>x</b>"})
    assert malformed.status_code == 400 and "&lt;b&gt;x&lt;/b&gt;" in malformed.text and "<b>x" not in malformed.text
    log = console.signed_in("admin", CONSOLE_PASSWORDS["admin"]).get(console.url + "/audit").text
    assert re.search(rf"<td>agent</td><td>slog upp överlämning</td><td>{SEEDED_REFERENCE} #\d+</td>", log)
    assert "<td>agent</td><td>slog upp okänd referens</td>" in log


def test_guessing_references_is_limited_per_account(console):
    engine = open_database(console.endpoints)
    accounts.create_account(engine, "guesser", "Gus Guesser", accounts.AGENT, "many-tries-long-pass-1")
    browser = console.signed_in("guesser", "many-tries-long-pass-1")
    token = csrf_token(browser.get(console.url + "/handoff").text)
    statuses = [browser.post(console.url + "/handoff", data={"csrf_token": token, "reference": f"AAAA-AA{c}A"}).status_code
                for c in "ACDEFHKMNPQR"]
    assert statuses == [404] * 10 + [429, 429]
    limited = browser.post(console.url + "/handoff", data={"csrf_token": token, "reference": SEEDED_REFERENCE})
    assert limited.status_code == 429 and "Försök igen om" in limited.text and "Sammanfattning" not in limited.text
    # Another account is not slowed by this one's guessing.
    other = agent(console)
    assert other.post(console.url + "/handoff", data={
        "csrf_token": csrf_token(other.get(console.url + "/handoff").text),
        "reference": SEEDED_REFERENCE}).status_code == 200


def test_the_figures_page_counts_the_period(console):
    browser = lead(console)
    wait_for_index(console, browser)
    figures = browser.get(console.url + "/figures").text
    overview = re.search(r"<tbody>(.*?)</tbody>", figures, re.S).group(1)
    cells = re.findall(r"<th scope=\"row\">([^<]+)</th>\s*<td>(\d+)</td><td>(\d+)</td>", overview)
    assert ("Samtal", "2", "1") in cells  # sv, en over the last 30 days
    assert "Ämnen (svenska)" in figures and "Jag får inget mejl" in figures
    earlier = browser.get(console.url + "/figures?from=2020-01-01&to=2020-01-31").text
    assert "Inga meddelanden i perioden" in earlier
    wrong = browser.get(console.url + "/figures?from=yesterday")
    assert wrong.status_code == 400 and 'value="yesterday"' in wrong.text


def test_with_references_off_the_look_up_says_so(tmp_path):
    endpoints = sqlite_endpoints(tmp_path)
    engine = open_database(endpoints)
    accounts.create_account(engine, "agent", "Aga Agent", accounts.AGENT, CONSOLE_PASSWORDS["agent"])
    seed_conversations(endpoints)
    with serving_console(tmp_path, endpoints, {"HANDOFF_REFERENCES": "off"}) as url:
        browser = requests.Session()
        sign_in(browser, url, "agent", CONSOLE_PASSWORDS["agent"])
        page = browser.get(url + "/handoff").text
        assert "Överlämningsreferenser är avstängda" in page and 'name="reference"' not in page
        refused = browser.post(url + "/handoff", data={"csrf_token": csrf_token(page), "reference": SEEDED_REFERENCE})
        assert refused.status_code == 404 and "Sammanfattning" not in refused.text


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_the_console_on_postgresql_lists_shows_and_looks_up(database, tmp_path):
    """The scaled profile's database: the same pages over the same seeded conversations."""
    endpoints, engine = database
    for username, role in (("lead", accounts.LEAD), ("agent", accounts.AGENT)):
        accounts.create_account(engine, username, username.title(), role, CONSOLE_PASSWORDS[username])
    seed_conversations(endpoints)
    with serving_console(tmp_path, endpoints, {"CONSOLE_INDEX_SECONDS": "0.5"}) as url:
        console = Console(url, endpoints)
        browser = lead(console)
        wait_for_index(console, browser)
        assert listed_texts(browser.get(url + "/conversations?q=frozen&language=en").text) == [SEEDED_FALLBACK_TEXT]
        path = conversation_link(browser.get(url + "/conversations?flag=handoff").text, "jag får inget mejl")
        assert "[e-post]" in browser.get(url + path).text
        looked_up = agent(console)
        found = looked_up.post(url + "/handoff", data={"csrf_token": csrf_token(looked_up.get(url + "/handoff").text),
                                                       "reference": SEEDED_REFERENCE})
        assert "Sammanfattning" in found.text and EMAIL not in found.text


@pytest.mark.parametrize("method, path, data", [
    ("GET", "/conversations/99999999999999999999", None),
    ("GET", "/conversations/0", None),
    ("POST", "/conversations/99999999999999999999/review", {"tags": "x"}),
    ("POST", "/conversations/1/corrections", {"event": "9" * 30, "intent": "greet"}),
    ("POST", "/conversations/1/corrections", {"event": "²", "intent": "greet"}),
])
def test_ids_that_name_no_row_are_not_found(console, method, path, data):
    browser = lead(console)
    sent = dict(data or {}, csrf_token=csrf_token(browser.get(console.url + "/").text))
    response = browser.request(method, console.url + path, data=sent if method == "POST" else None)
    assert response.status_code == 404 and "finns inte" in response.text


@pytest.mark.parametrize("query", ["q=%00", "q=a%00b&flag=handoff", "page=%C2%B2", "page=-3",
                                   "from=%00", "flag=nonsense&flag=handoff", "back=%00"])
def test_garbage_in_the_query_gets_an_answer_not_a_failure(console, query):
    assert lead(console).get(f"{console.url}/conversations?{query}").status_code in (200, 400)


def test_garbage_in_the_corrections_form_is_refused_clearly(console):
    browser = lead(console)
    token = csrf_token(browser.get(console.url + "/corrections").text)
    for data in ({"chosen": "²", "decision": "approve"}, {"chosen": "9" * 30, "decision": "discard"},
                 {"chosen": "1", "decision": "<b>"}):
        response = browser.post(console.url + "/corrections", data=dict(data, csrf_token=token))
        assert response.status_code == 400 and "<b>" not in response.text


def test_saving_a_review_goes_back_to_the_same_filtered_list(console):
    browser = lead(console)
    wait_for_index(console, browser)
    listed = browser.get(console.url + "/conversations?flag=handoff&language=sv").text
    path = conversation_link(listed, "jag får inget mejl")
    opened = browser.get(console.url + re.search(r'href="(/conversations/\d+\?back=[^"]*)"', listed).group(1)
                         .replace("&amp;", "&"))
    back = re.search(r'name="back" value="([^"]*)"', opened.text).group(1)
    assert back == "flag=handoff&amp;language=sv"
    saved = browser.post(f"{console.url}{path}/review", data={"csrf_token": csrf_token(opened.text),
                                                              "back": "flag=handoff&language=sv", "tags": ""})
    assert 'href="/conversations?flag=handoff&amp;language=sv"' in saved.text


def test_the_audit_log_shows_who_listed_conversations(console):
    lead(console).get(console.url + "/conversations?flag=handoff")
    log = console.signed_in("admin", CONSOLE_PASSWORDS["admin"]).get(console.url + "/audit").text
    assert re.search(r"<td>lead</td><td>listade samtal \(visade / träffar\)</td><td>\d+ / \d+</td>", log)


def test_a_reference_misheard_says_which_character_cannot_be_in_one(console):
    browser = agent(console)
    token = csrf_token(browser.get(console.url + "/handoff").text)
    for typed, said in (("K7QF-4MXB", "”B” finns aldrig i en referens"), ("K7QF-4MX", "det du skrev har 7")):
        refused = browser.post(console.url + "/handoff", data={"csrf_token": token, "reference": typed})
        assert refused.status_code == 400 and said in refused.text


def test_a_lead_finds_a_conversation_by_its_reference_and_keeps_the_filters_across_languages(console):
    browser = lead(console)
    wait_for_index(console, browser)
    found = browser.get(console.url + "/conversations?q=k7qf+4mxa").text
    assert listed_texts(found) == ["jag får inget mejl till [e-post]"]
    page = browser.get(console.url + "/conversations?flag=handoff&language=sv").text
    switch = re.search(r'href="(/language/en\?next=[^"]+)"', page).group(1).replace("&amp;", "&")
    english = browser.get(console.url + switch)
    assert english.url.endswith("/conversations?flag=handoff&language=sv") and "Conversations found: 1." in english.text


@pytest.mark.parametrize("query", ["from=9999-12-31", "to=9999-12-31", "from=0001-01-01", "to=2026-02-30"])
def test_dates_out_of_any_range_are_said_to_be_wrong(console, query):
    for path in ("/conversations", "/figures"):
        response = lead(console).get(f"{console.url}{path}?{query}")
        assert response.status_code == 400 and ("Det datumet finns inte" in response.text
                                                or "Skriv datumet som" in response.text)
