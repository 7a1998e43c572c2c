"""The staff console over HTTP, served as `make run` serves it: no page without a session, each
role only its pages, CSRF tokens on every form, slowed guessing, forms that keep what was typed,
both languages, and the audit log."""
import re

import pytest
import requests

from tests.helpers import CONSOLE_PASSWORDS, csrf_token, sign_in

ADMIN_PASSWORD, LEAD_PASSWORD, AGENT_PASSWORD = (CONSOLE_PASSWORDS[n] for n in ("admin", "lead", "agent"))

PAGES = ["/", "/accounts", "/audit", "/password"]
FORMS = ["/sign-out", "/accounts", "/accounts/1", "/password"]


@pytest.mark.parametrize("path", PAGES)
def test_no_page_without_a_session(console, path):
    response = requests.get(console.url + path, allow_redirects=False)
    assert response.status_code == 302 and response.headers["Location"] == f"/sign-in?next={path}"


@pytest.mark.parametrize("path", FORMS)
def test_no_form_is_taken_without_a_session(console, path):
    response = requests.post(console.url + path, data={"csrf_token": "x", "change": "deactivate"})
    assert response.status_code == 401 and "Logga in" in response.text


@pytest.mark.parametrize("username, password", [("lead", LEAD_PASSWORD), ("agent", AGENT_PASSWORD)])
def test_only_admins_see_accounts_and_the_audit_log(console, username, password):
    staff = console.signed_in(username, password)
    home = staff.get(console.url + "/")
    assert 'href="/accounts"' not in home.text and 'href="/audit"' not in home.text
    for path in ("/accounts", "/audit"):
        assert staff.get(console.url + path).status_code == 403
    token = csrf_token(home.text)
    refused = staff.post(console.url + "/accounts", data={
        "csrf_token": token, "username": "mallory", "display_name": "M", "role": "admin", "password": "x" * 20})
    assert refused.status_code == 403
    assert "mallory" not in console.signed_in("admin", ADMIN_PASSWORD).get(console.url + "/accounts").text


def test_a_form_without_its_csrf_token_is_refused(console):
    admin = console.signed_in("admin", ADMIN_PASSWORD)
    for token in (None, "forged"):
        data = {"username": "eve", "display_name": "Eve", "role": "lead", "password": "eve-long-password-1"}
        if token:
            data["csrf_token"] = token
        assert admin.post(console.url + "/accounts", data=data).status_code == 403
    assert "eve" not in admin.get(console.url + "/accounts").text
    # Sign-in too: a form posted from elsewhere has no matching cookie.
    outsider = requests.post(console.url + "/sign-in", data={"csrf_token": "x", "username": "admin",
                                                            "password": ADMIN_PASSWORD})
    assert outsider.status_code == 403 and console_session(outsider) is None


def console_session(response):
    return response.cookies.get("console_session") or None


def test_a_form_with_errors_keeps_what_was_typed_but_never_the_password(console):
    admin = console.signed_in("admin", ADMIN_PASSWORD)
    token = csrf_token(admin.get(console.url + "/accounts").text)
    typed = {"csrf_token": token, "username": "Bad Name", "display_name": "Åsa Öberg", "role": "agent",
             "password": "a-secret-that-stays"}
    response = admin.post(console.url + "/accounts", data=typed)
    assert response.status_code == 400
    assert 'value="Bad Name"' in response.text and 'value="Åsa Öberg"' in response.text
    assert re.search(r'<option value="agent"\s+selected', response.text)
    assert 'aria-invalid="true" aria-describedby="username-error"' in response.text
    assert "a-secret-that-stays" not in response.text


def test_an_admin_adds_an_account_and_deactivating_it_signs_it_out_at_once(console):
    admin = console.signed_in("admin", ADMIN_PASSWORD)
    token = csrf_token(admin.get(console.url + "/accounts").text)
    added = admin.post(console.url + "/accounts", data={
        "csrf_token": token, "username": "bea", "display_name": "Bea Agent", "role": "agent",
        "password": "brightly-coloured-9"})
    assert "Kontot bea är skapat." in added.text
    bea = console.signed_in("bea", "brightly-coloured-9")
    assert bea.get(console.url + "/").status_code == 200
    account_id = re.search(r'action="/accounts/(\d+)"[^>]*>\s*<input type="hidden" name="csrf_token" value="[^"]+">\s*'
                           r'<input type="hidden" name="change" value="role">\s*<label class="visually-hidden" '
                           r'for="role-\d+">Roll för Bea Agent', added.text).group(1)
    asked = admin.post(f"{console.url}/accounts/{account_id}", data={"csrf_token": token, "change": "deactivate"})
    assert "Stänga av Bea Agent?" in asked.text  # one click asks first
    assert bea.get(console.url + "/").status_code == 200
    done = admin.post(f"{console.url}/accounts/{account_id}", data={"csrf_token": csrf_token(asked.text),
                                                                   "change": "deactivate", "confirmed": "yes"})
    assert "Bea Agent" in done.text and "avstängt" in done.text
    assert bea.get(console.url + "/", allow_redirects=False).status_code == 302
    assert sign_in(requests.Session(), console.url, "bea", "brightly-coloured-9").status_code == 400


def test_repeated_wrong_passwords_are_slowed(console):
    admin = console.signed_in("admin", ADMIN_PASSWORD)
    token = csrf_token(admin.get(console.url + "/accounts").text)
    admin.post(console.url + "/accounts", data={"csrf_token": token, "username": "guessed", "display_name": "G",
                                                "role": "lead", "password": "secret-for-this-one"})
    guesser = requests.Session()
    statuses = [sign_in(guesser, console.url, "guessed", f"guess {i}").status_code for i in range(6)]
    assert statuses == [400] * 5 + [429]
    waiting = sign_in(guesser, console.url, "guessed", "secret-for-this-one")
    assert waiting.status_code == 429 and "Försök igen om" in waiting.text


def test_the_console_speaks_english_one_click_away_and_goes_back_where_it_was(console):
    admin = console.signed_in("admin", ADMIN_PASSWORD)
    page = admin.get(console.url + "/audit")
    assert '<html lang="sv">' in page.text and 'href="/language/en?next=/audit"' in page.text
    english = admin.get(console.url + "/language/en?next=/audit")
    assert english.url == console.url + "/audit" and '<html lang="en">' in english.text
    assert "Audit log" in english.text


@pytest.mark.parametrize("next_path", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_no_redirect_leaves_the_console(console, next_path):
    response = requests.get(f"{console.url}/language/en", params={"next": next_path}, allow_redirects=False)
    assert response.headers["Location"] == "/"


def test_pages_carry_a_strict_policy_and_cookies_no_script_can_read(console):
    response = requests.get(console.url + "/sign-in")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    cookie = response.headers["Set-Cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_the_audit_log_says_who_did_what_and_never_a_password(console):
    admin = console.signed_in("admin", ADMIN_PASSWORD)
    sign_in(requests.Session(), console.url, "lead", "not-the-password-123")
    token = csrf_token(admin.get(console.url + "/accounts").text)
    admin.post(console.url + "/accounts", data={"csrf_token": token, "username": "cid", "display_name": "Cid",
                                                "role": "lead", "password": "c-long-password-7x"})
    log = admin.get(console.url + "/audit").text
    rows = re.findall(r"<tr><td>[^<]+</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", log)
    assert ("admin", "skapade konto", "cid") in rows
    assert ("lead", "nekades inloggning", "") in rows
    assert "c-long-password-7x" not in log and "not-the-password-123" not in log
    db = console.endpoints.parent / "conversations.db"
    assert b"c-long-password-7x" not in db.read_bytes()


def test_changing_ones_own_password_asks_for_the_current_one_and_signs_out(console):
    admin = console.signed_in("admin", ADMIN_PASSWORD)
    token = csrf_token(admin.get(console.url + "/accounts").text)
    admin.post(console.url + "/accounts", data={"csrf_token": token, "username": "dag", "display_name": "Dag",
                                                "role": "agent", "password": "first-pass-phrase-d"})
    dag = console.signed_in("dag", "first-pass-phrase-d")
    token = csrf_token(dag.get(console.url + "/password").text)
    wrong = dag.post(console.url + "/password", data={"csrf_token": token, "current": "guess-guess-guess",
                                                      "new": "second-pass-phrase-d", "repeat": "second-pass-phrase-d"})
    assert wrong.status_code == 400 and "Det nuvarande lösenordet stämmer inte." in wrong.text
    changed = dag.post(console.url + "/password", data={"csrf_token": token, "current": "first-pass-phrase-d",
                                                        "new": "second-pass-phrase-d", "repeat": "second-pass-phrase-d"})
    assert "Lösenordet är bytt" in changed.text
    assert dag.get(console.url + "/", allow_redirects=False).status_code == 302
    assert console.signed_in("dag", "second-pass-phrase-d").get(console.url + "/").status_code == 200


@pytest.mark.parametrize("path, data", [
    ("/accounts/2", {"change": "deactivate", "confirmed": "yes"}),
    ("/password", {"current": ADMIN_PASSWORD, "new": "x" * 20, "repeat": "x" * 20}),
    ("/sign-out", {}),
])
def test_every_form_needs_the_sessions_own_token(console, path, data):
    admin = console.signed_in("admin", ADMIN_PASSWORD)
    other = csrf_token(console.signed_in("admin", ADMIN_PASSWORD).get(console.url + "/").text)
    for token in (None, other):  # none, or another session's
        sent = dict(data, **({"csrf_token": token} if token else {}))
        assert admin.post(console.url + path, data=sent).status_code == 403
    assert admin.get(console.url + "/accounts").status_code == 200  # still signed in, nothing changed
    assert "Aga Agent" in admin.get(console.url + "/accounts").text


def test_an_admin_cannot_change_their_own_account_from_the_list(console):
    admin = console.signed_in("admin", ADMIN_PASSWORD)
    page = admin.get(console.url + "/accounts").text
    own_id = re.search(r'action="/accounts/(\d+)"[^>]*>\s*<input type="hidden" name="csrf_token" value="[^"]+">\s*'
                       r'<input type="hidden" name="change" value="role">\s*<label class="visually-hidden" '
                       r'for="role-\d+">Roll för Ada Admin', page).group(1)
    for change in ({"change": "role", "role": "agent"}, {"change": "deactivate"},
                   {"change": "password", "password": "a-new-pass-phrase-x"}):
        refused = admin.post(f"{console.url}/accounts/{own_id}", data={"csrf_token": csrf_token(page), **change})
        assert refused.status_code == 400 and "Ditt eget konto ändrar en annan administratör" in refused.text
    assert "Ada Admin" in admin.get(console.url + "/").text  # still an active admin


def test_an_unknown_name_is_answered_as_a_real_one_also_when_slowed(console):
    admin = console.signed_in("admin", ADMIN_PASSWORD)
    token = csrf_token(admin.get(console.url + "/accounts").text)
    admin.post(console.url + "/accounts", data={"csrf_token": token, "username": "real-name", "display_name": "R",
                                                "role": "agent", "password": "a-real-pass-phrase"})
    statuses = {}
    for name in ("real-name", "no-such-name"):
        guesser = requests.Session()
        statuses[name] = [sign_in(guesser, console.url, name, f"wrong {i}").status_code for i in range(6)]
    assert statuses["real-name"] == statuses["no-such-name"] == [400] * 5 + [429]


def test_any_page_number_of_the_audit_log_is_answered(console):
    admin = console.signed_in("admin", ADMIN_PASSWORD)
    for page in ("999999999999999999999", "-3", "x"):
        assert admin.get(console.url + "/audit", params={"page": page}).status_code == 200


def test_the_session_cookie_is_httponly_and_strict(console):
    browser = requests.Session()
    response = sign_in(browser, console.url, "lead", LEAD_PASSWORD)
    cookies = response.history[0].raw.headers.getlist("Set-Cookie")  # the sign-in's redirect
    session = next(cookie.lower() for cookie in cookies if cookie.startswith("console_session="))
    assert "httponly" in session and "samesite=strict" in session and "path=/" in session


def test_each_address_may_try_to_sign_in_only_so_often(tmp_path):
    from assistant.console.store import open_database
    from tests.helpers import serving_console, sqlite_endpoints

    endpoints = sqlite_endpoints(tmp_path)
    open_database(endpoints)
    with serving_console(tmp_path, endpoints, {"CONSOLE_SIGN_INS_PER_MINUTE": "3"}) as url:
        # Different names, one address: the limit is the address's, whatever the names.
        statuses = [sign_in(requests.Session(), url, f"name{i}", "wrong").status_code for i in range(4)]
    assert statuses == [400, 400, 400, 429]


def test_the_console_does_not_start_on_an_open_interface_with_plain_http_cookies(tmp_path):
    import subprocess
    import sys

    from assistant.paths import ROOT
    from tests.helpers import sqlite_endpoints

    result = subprocess.run([sys.executable, "-m", "assistant.console", "--endpoints", str(sqlite_endpoints(tmp_path)),
                             "serve", "--interface", "0.0.0.0", "--port", "1"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2 and "set CONSOLE_SECURE_COOKIES=true" in result.stderr
