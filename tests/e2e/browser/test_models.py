"""The loop from the training data to the live model, in headless Chromium against real
servers: a support lead trains a model in the console, compares it with the live one, makes it
live and the chat widget answers with it; rolls back and the chat answers as before. The gate
keeps a deliberately worse model out until an admin overrides it with a logged reason. A lead
posts a service notice and the widget shows it in both languages. Every new page passes
axe-core; the screenshots docs/screenshots/console-models*.png, console-model-*.png,
console-answer*.png, console-notices.png and chat-notice.png come from here.

The live model at the start is the one `make` trained; the console trains with the project's
configuration (Rasa's training cache makes a change of answers a matter of seconds)."""
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from assistant import deployment, notices
from assistant.console import accounts
from assistant.console.store import notices as notices_table
from assistant.console.store import open_database
from assistant.demo_site import make_server
from assistant.model_store import registry
from assistant.processes import Process, free_port
from tests.conftest import FIGURES, ROOT, serving
from tests.e2e.browser.axe import new_page, serious_violations
from tests.e2e.browser.chat import Chat
from tests.e2e.browser.conftest import DESKTOP
from tests.e2e.browser.keyboard import sign_in_by_keyboard, tab_to
from tests.helpers import CONSOLE_PASSWORDS, serving_console, sqlite_endpoints

SCREENSHOTS = ROOT / "docs" / "screenshots"
# The change a lead makes to the greeting in the console's answer editor.
OLD_GREETING = "Vad har du för problem?"
NEW_GREETING = "Vad kan jag hjälpa dig med i dag?"
# Training, then evaluating the new model and the one make trained, on two busy cores.
LOOP_SECONDS = 900


@dataclass
class Loop:
    console: str
    chat: str
    webhook: str
    project: Path
    endpoints: Path
    store: Process


@pytest.fixture(scope="module")
def loop(model_path, tmp_path_factory):
    """A model store with the model make trained live, a Rasa server pulling from it, the
    chat page, and the console training from a copy of the project."""
    folder = tmp_path_factory.mktemp("model-loop")
    project = folder / "project"
    project.mkdir()
    for name in ("config.yml", "domain.yml"):
        shutil.copyfile(ROOT / name, project / name)
    shutil.copytree(ROOT / "data", project / "data")
    # The console, the model store and the Rasa server on one database, as under make run: the
    # server reads the notices the console posts.
    servers_folder = folder / "servers"
    servers_folder.mkdir()
    console_db = sqlite_endpoints(servers_folder)
    engine = open_database(console_db)
    for username, name, role in (("lead", "Lea Lead", accounts.LEAD), ("admin", "Ada Admin", accounts.ADMIN)):
        accounts.create_account(engine, username, name, role, CONSOLE_PASSWORDS[username])
    engine.dispose()
    chat_port = free_port()
    env = deployment.server_environment({}, origins=[f"http://127.0.0.1:{chat_port}"])
    store = deployment.serve_model(env, model_path, folder, pull_seconds=1, endpoints=console_db)
    try:
        servers = deployment.start_servers(None, servers_folder, origins=[f"http://127.0.0.1:{chat_port}"],
                                           model_store=env)  # its endpoints.yml names the same database
    except RuntimeError as error:
        store.stop()
        pytest.fail(str(error))
    try:
        with serving(make_server("127.0.0.1", chat_port, servers.url)) as chat, \
                serving_console(folder, console_db, {
                    "CONSOLE_SIGN_INS_PER_MINUTE": "10000", "MODEL_STORE_DIR": env["MODEL_STORE_DIR"],
                    "CONSOLE_TRAINING_DATA": str(project / "data" / "nlu")}) as console:
            yield Loop(console, chat, servers.webhook, project, console_db, store)
    finally:
        servers.stop()
        store.stop()


def greeting(loop: Loop) -> str:
    reply = requests.post(loop.webhook, json={"sender": f"probe-{time.monotonic_ns()}", "message": "hej"}, timeout=60)
    return reply.json()[0]["text"]


def wait_for_greeting(loop: Loop, text: str, seconds: float = 120) -> None:
    """Until the Rasa server has pulled and loaded the live model (it asks every second)."""
    deadline = time.monotonic() + seconds
    while text not in greeting(loop):
        assert time.monotonic() < deadline, f"the assistant never greeted with {text!r}"
        time.sleep(1)


def wait_for_state(page, model_name: str, state: str, seconds: float = LOOP_SECONDS) -> None:
    """The models page, loaded again every few seconds, until the model shows `state`."""
    from playwright.sync_api import Error

    row = page.locator("tbody tr", has=page.locator("th", has_text=model_name))
    deadline = time.monotonic() + seconds
    while True:
        try:
            if row.count() and state in row.inner_text():
                return
            failed = page.locator(".error-summary")
            assert not failed.count(), failed.inner_text()
            text = page.locator("main").inner_text()
        except Error:  # the page's own script was loading it again just then
            text = ""
        assert time.monotonic() < deadline, f"{model_name} never showed {state!r}:\n{text}"
        page.wait_for_timeout(3000)
        try:
            page.goto(page.url.split("?")[0])
        except Error:
            pass


def chat_greeting(browser, loop: Loop) -> str:
    page = new_page(browser, DESKTOP)
    chat = Chat(page).open_page(loop.chat + "/").open()
    bubble = chat.bot_bubbles().first
    expect(bubble).to_be_visible()
    text = bubble.inner_text()
    page.context.close()
    return text


def edit_the_greeting(page) -> None:
    """By keyboard: the answer editor, a preview, then saving both languages."""
    tab_to(page, page.locator("header nav").get_by_role("link", name="Svar", exact=True))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("link", name="Ändra utter_greet", exact=True))
    page.keyboard.press("Enter")
    field = page.locator("#text_sv")
    swedish = field.input_value()
    tab_to(page, field)
    page.keyboard.press("Control+A")
    page.keyboard.type(swedish.replace(OLD_GREETING, NEW_GREETING))
    tab_to(page, page.get_by_role("button", name="Förhandsgranska"))
    page.keyboard.press("Enter")
    expect(page.locator(".chat-preview[lang=sv] .bubble")).to_contain_text(NEW_GREETING)
    assert not serious_violations(page, "console answer editor with a preview (sv)")
    page.screenshot(path=str(SCREENSHOTS / "console-answer.png"), full_page=True)
    tab_to(page, page.get_by_role("button", name="Spara båda språken"))
    page.keyboard.press("Enter")
    expect(page.locator(".notice").first).to_contain_text("utter_greet är sparat")


def test_a_lead_edits_an_answer_trains_compares_activates_and_rolls_back_and_the_chat_follows(browser, loop):
    domain = loop.project / "domain.yml"
    page = new_page(browser, DESKTOP)
    sign_in_by_keyboard(page, loop.console, "lead")
    edit_the_greeting(page)
    assert NEW_GREETING in domain.read_text(encoding="utf-8")
    assert OLD_GREETING in greeting(loop)  # not before a model trained with it is live
    tab_to(page, page.locator("header nav").get_by_role("link", name="Modeller", exact=True))
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Modeller")
    expect(page.locator(".live-model")).to_contain_text("Modell #1")
    tab_to(page, page.get_by_role("button", name="Träna en ny modell"))
    page.keyboard.press("Enter")
    expect(page.locator(".notice")).to_contain_text("Träningen är begärd")
    expect(page.locator("[data-job]").first).to_be_visible()
    assert not serious_violations(page, "console models while training (sv)")
    page.screenshot(path=str(SCREENSHOTS / "console-models-training.png"), full_page=True)

    wait_for_state(page, "#2", "inte sämre – kan göras aktiv")
    assert not serious_violations(page, "console models (sv)")
    page.screenshot(path=str(SCREENSHOTS / "console-models.png"), full_page=True)
    tab_to(page, page.get_by_role("link", name="Jämför modell #2"))
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("Modell #2")
    expect(page.locator("main")).to_contain_text("alla klarade")
    assert not serious_violations(page, "console model comparison (sv)")
    page.screenshot(path=str(SCREENSHOTS / "console-model-comparison.png"), full_page=True)
    started = time.monotonic()
    tab_to(page, page.get_by_role("button", name="Gör modell #2 aktiv"))
    page.keyboard.press("Enter")
    expect(page.locator(".notice")).to_contain_text("Modellen är aktiv")
    wait_for_greeting(loop, NEW_GREETING)
    FIGURES.append(f"model loop: from activation to the first answer of the new model {time.monotonic() - started:.0f} s")
    assert NEW_GREETING in chat_greeting(browser, loop)

    roll_back = page.get_by_role("button", name="Gå tillbaka till modell #1")
    tab_to(page, roll_back)
    page.keyboard.press("Enter")
    expect(page.locator(".notice")).to_contain_text("Du har gått tillbaka till modellen")
    wait_for_greeting(loop, OLD_GREETING)
    assert OLD_GREETING in chat_greeting(browser, loop)
    # Its answers and training data are back too.
    assert OLD_GREETING in domain.read_text(encoding="utf-8")
    page.context.close()


def test_the_gate_keeps_a_worse_model_out_until_an_admin_overrides_it_with_a_reason(browser, loop, worse_model):
    env = {"MODEL_STORE_DIR": str(loop.project.parent / "model-store")}
    assert deployment.add_to_model_store(env, worse_model, loop.endpoints) == 0  # as make run adds one
    page = new_page(browser, DESKTOP)
    sign_in_by_keyboard(page, loop.console, "lead")
    page.goto(loop.console + "/models")
    engine = open_database(loop.endpoints)
    worse = registry.all_models(engine)[0]
    wait_for_state(page, worse.name, "sämre – bara en administratör kan göra den aktiv")
    page.get_by_role("link", name=f"Jämför modell {worse.name}").click()
    expect(page.locator("main")).to_contain_text("misslyckades")
    expect(page.get_by_role("button", name=f"Gör modell {worse.name} aktiv")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("Be en administratör")
    page.context.close()

    admin = new_page(browser, DESKTOP)
    sign_in_by_keyboard(admin, loop.console, "admin")
    admin.goto(f"{loop.console}/models/{worse.id}")
    override = admin.get_by_role("button", name=f"Gör modell {worse.name} aktiv trots att den är sämre")
    expect(override).to_be_visible()
    assert not serious_violations(admin, "console model comparison, refused, admin (sv)")
    admin.screenshot(path=str(SCREENSHOTS / "console-model-refused.png"), full_page=True)
    tab_to(admin, admin.locator("#reason"))
    admin.keyboard.type("Kortbetalningen är avstängd i veckan; testar den mindre modellen")
    tab_to(admin, override)
    admin.keyboard.press("Enter")
    expect(admin.locator(".notice")).to_contain_text("Modellen är aktiv")
    assert registry.history(engine)[0].kind == registry.OVERRIDDEN
    admin.goto(loop.console + "/audit")
    expect(admin.locator("main")).to_contain_text("Kortbetalningen är avstängd i veckan")
    # Back to the model make trained.
    admin.goto(loop.console + "/models")
    admin.get_by_role("button", name="Gå tillbaka till modell #1").click()
    expect(admin.locator(".notice")).to_contain_text("Du har gått tillbaka")
    assert registry.active(engine).id == 1
    admin.context.close()


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_models_pages_pass_axe_in_both_languages(browser, loop, language):
    page = new_page(browser, DESKTOP)
    sign_in_by_keyboard(page, loop.console, "lead", language)
    found = {}
    page.goto(loop.console + "/models")
    found["models"] = serious_violations(page, f"console models ({language})")
    page.goto(loop.console + "/models/1")
    found["comparison, the live model"] = serious_violations(page, f"console model #1 ({language})")
    page.goto(loop.console + "/models/999")
    found["no such model"] = serious_violations(page, f"console no such model ({language})")
    page.goto(loop.console + "/answers")
    found["answers"] = serious_violations(page, f"console answers ({language})")
    if language == "sv":
        page.screenshot(path=str(SCREENSHOTS / "console-answers.png"), full_page=True)
    page.goto(loop.console + "/answers/utter_faq/time_limit_per_page")
    found["an answer"] = serious_violations(page, f"console answer editor ({language})")
    page.locator("#text_en").fill("")
    page.locator("button[value=save]").click()
    expect(page.locator("#text_en")).to_have_attribute("aria-invalid", "true")
    found["an answer with an error"] = serious_violations(page, f"console answer editor, an error ({language})")
    page.goto(loop.console + "/notices")
    found["notices"] = serious_violations(page, f"console notices ({language})")
    page.context.close()
    assert not {state: v for state, v in found.items() if v}


NOTICE = {"sv": "Just nu kommer sms-koder fram sent. Vänta några minuter innan du begär en ny kod.",
          "en": "SMS codes are arriving late right now. Wait a few minutes before asking for a new code."}


def test_a_notice_posted_by_a_lead_shows_in_the_widget_in_both_languages(browser, loop):
    page = new_page(browser, DESKTOP)
    sign_in_by_keyboard(page, loop.console, "lead")
    tab_to(page, page.locator("header nav").get_by_role("link", name="Driftinformation", exact=True))
    page.keyboard.press("Enter")
    tab_to(page, page.locator("#text_sv"))
    page.keyboard.type(NOTICE["sv"])
    tab_to(page, page.locator("#text_en"))
    page.keyboard.type(NOTICE["en"])
    tab_to(page, page.locator("#scope-all"))  # a notice for every topic: shown when a conversation starts
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Lägg upp driftinformation"))
    page.keyboard.press("Enter")
    expect(page.locator(".notice").first).to_contain_text("Driftinformationen är upplagd")
    expect(page.locator(".notices")).to_contain_text(NOTICE["en"])
    assert not serious_violations(page, "console notices (sv)")
    page.screenshot(path=str(SCREENSHOTS / "console-notices.png"), full_page=True)

    time.sleep(notices.CACHE_SECONDS + 1)  # each Rasa server reads the notices every 10 seconds
    for language, path in (("sv", "/"), ("en", "/en/")):
        chat_page = new_page(browser, DESKTOP)
        chat = Chat(chat_page).open_page(loop.chat + path).open()
        shown = chat_page.locator(".message.notice")
        expect(shown).to_have_count(1)
        expect(shown).to_have_attribute("role", "note")
        expect(shown).to_have_attribute("lang", language)
        expect(shown).to_contain_text("Driftinformation" if language == "sv" else "Service notice")
        expect(shown).to_contain_text(NOTICE[language])
        chat.expect_answer("utter_greet", language)  # the greeting comes after the notice
        assert chat_page.locator(".log > .message").first.get_attribute("class") == "message notice"
        assert not serious_violations(chat_page, f"chat with a service notice ({language})")
        if language == "sv":
            chat_page.screenshot(path=str(SCREENSHOTS / "chat-notice.png"))
        chat_page.context.close()

    # Ended early: a new conversation no longer sees it.
    tab_to(page, page.get_by_role("button", name=re.compile("Avsluta informationen")))
    page.keyboard.press("Enter")
    expect(page.locator(".notice").first).to_contain_text("Driftinformationen är avslutad")
    time.sleep(notices.CACHE_SECONDS + 1)
    assert "custom" not in requests.post(loop.webhook, json={"sender": "after-the-notice", "message": "hej"},
                                         timeout=60).json()[0]
    page.context.close()


def test_a_notice_for_one_topic_comes_before_that_advice_only_once(loop):
    engine = open_database(loop.endpoints)
    now = time.time()
    with engine.begin() as connection:
        connection.execute(notices_table.insert().values(
            text_sv=NOTICE["sv"], text_en=NOTICE["en"], topics="no_sms_code", starts_at=now - 1,
            ends_at=now + 3 * notices.CACHE_SECONDS, created_by="lead", created_at=now))
    time.sleep(notices.CACHE_SECONDS + 1)
    sender = f"topic-notice-{time.monotonic_ns()}"

    def say(text):
        return requests.post(loop.webhook, json={"sender": sender, "message": text}, timeout=60).json()

    assert all("custom" not in reply for reply in say("hej"))
    advice = say("jag får ingen sms-kod")
    assert advice[0]["custom"]["notice"]["text"] == NOTICE["sv"]
    assert "MIGR" in " ".join(reply.get("text") or "" for reply in advice[1:])  # then the advice
    assert all("custom" not in reply for reply in say("jag får fortfarande ingen sms-kod"))
    time.sleep(max(0.0, now + 3 * notices.CACHE_SECONDS - time.time()))  # over before the next test
