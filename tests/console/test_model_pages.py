"""The models page over HTTP, on models with evaluations of their own (no training here; the
browser test tests/e2e/browser/test_models.py trains for real): who may see and do what, the
gate and the admin's logged override, a rollback putting the model's data back, the patch."""
import re
import shutil

import pytest

from assistant import paths
from assistant.console import accounts
from assistant.console.store import open_database
from assistant.model_store import registry, snapshot
from tests.console.test_model_store import evaluation, fake_model
from tests.helpers import CONSOLE_PASSWORDS, Console, serving_console, sqlite_endpoints

MARKER = "    - en mening som bara den första modellen tränades med\n"


@pytest.fixture(scope="module")
def models_console(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models-console")
    project = folder / "project"
    project.mkdir()
    for name in ("config.yml", "domain.yml"):
        shutil.copyfile(paths.ROOT / name, project / name)
    shutil.copytree(paths.ROOT / "data", project / "data")
    endpoints = sqlite_endpoints(folder)
    engine = open_database(endpoints)
    for username, role in (("admin", accounts.ADMIN), ("lead", accounts.LEAD), ("agent", accounts.AGENT)):
        accounts.create_account(engine, username, username.title(), role, CONSOLE_PASSWORDS[username])
    store = folder / "store"
    # The first model was trained with a sentence the project's data no longer has.
    nlu = project / "data" / "nlu" / "sv" / "no_email.yml"
    original = nlu.read_text(encoding="utf-8")
    nlu.write_text(original + MARKER, encoding="utf-8")
    first = registry.add(engine, store, fake_model(folder, b"first"), snapshot.pack(project), registry.COMMAND_LINE, "make")
    nlu.write_text(original, encoding="utf-8")
    data = snapshot.pack(project)
    good = registry.add(engine, store, fake_model(folder, b"good"), data, registry.CONSOLE, "lead")
    worse = registry.add(engine, store, fake_model(folder, b"worse"), data, registry.CONSOLE, "lead")
    registry.set_evaluation(engine, first.id, evaluation(topic=0.95))
    registry.set_evaluation(engine, good.id, evaluation(topic=0.955))
    registry.set_evaluation(engine, worse.id, evaluation(topic=0.90, failed=["no_email, in Swedish"]))
    registry.activate(engine, first.id, "make", registry.FIRST)
    with serving_console(folder, endpoints, {"CONSOLE_SIGN_INS_PER_MINUTE": "10000", "MODEL_STORE_DIR": str(store),
                                             "CONSOLE_TRAINING_DATA": str(project / "data" / "nlu")}) as url:
        yield Console(url, endpoints, project / "data" / "nlu"), engine, (first, good, worse), project


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def activate(browser, url, model, reason=None):
    form = {"csrf_token": csrf(browser.get(f"{url}/models/{model.id}").text)}
    if reason is not None:
        form["reason"] = reason
    return browser.post(f"{url}/models/{model.id}/activate", data=form, allow_redirects=False)


def test_support_agents_do_not_see_the_models(models_console):
    console = models_console[0]
    agent = console.signed_in("agent", CONSOLE_PASSWORDS["agent"])
    assert agent.get(f"{console.url}/models").status_code == 403
    assert 'href="/models"' not in agent.get(f"{console.url}/").text


def test_a_lead_sees_each_models_state_and_the_gate_keeps_the_worse_one_out(models_console):
    console, engine, (first, good, worse), _ = models_console
    lead = console.signed_in("lead", CONSOLE_PASSWORDS["lead"])
    listed = lead.get(f"{console.url}/models").text
    assert "svarar nu" in listed and "inte sämre – kan göras aktiv" in listed and "sämre – bara en administratör" in listed
    compared = lead.get(f"{console.url}/models/{worse.id}").text
    assert "-5.0 procentenheter" in compared and "no_email, in Swedish" in compared
    assert 'name="reason"' not in compared  # the override is the admin's
    refused = activate(lead, console.url, worse, reason="I say so")
    assert refused.status_code == 409 and "procentenheter sämre" in refused.text
    assert registry.active(engine).id == first.id


def test_an_admin_overrides_the_gate_only_with_a_reason_and_it_is_logged(models_console):
    console, engine, (first, good, worse), _ = models_console
    admin = console.signed_in("admin", CONSOLE_PASSWORDS["admin"])
    compared = admin.get(f"{console.url}/models/{worse.id}")
    assert compared.status_code == 200 and 'name="reason"' in compared.text
    assert activate(admin, console.url, worse).status_code == 400
    assert activate(admin, console.url, worse, reason="   ").status_code == 400
    assert registry.active(engine).id == first.id
    done = activate(admin, console.url, worse, reason="the old model answers card payments wrongly")
    assert done.status_code == 302 and registry.active(engine).id == worse.id
    assert registry.history(engine)[0].kind == registry.OVERRIDDEN
    log = admin.get(f"{console.url}/audit").text
    assert "gjorde sämre modell aktiv (undantag)" in log and "the old model answers card payments wrongly" in log
    # Back to the first, for the tests after this one.
    assert activate(admin, console.url, first).status_code == 302
    # Having been live by an override does not let a lead make it live again.
    lead = console.signed_in("lead", CONSOLE_PASSWORDS["lead"])
    again = activate(lead, console.url, worse)
    assert again.status_code == 409 and "bara genom ett undantag" in again.text
    assert registry.active(engine).id == first.id


def test_rolling_back_puts_the_models_training_data_back(models_console):
    console, engine, (first, good, worse), project = models_console
    lead = console.signed_in("lead", CONSOLE_PASSWORDS["lead"])
    nlu = project / "data" / "nlu" / "sv" / "no_email.yml"
    assert MARKER in nlu.read_text(encoding="utf-8")  # the first model's data, after the last rollback
    assert activate(lead, console.url, good).status_code == 302 and registry.active(engine).id == good.id
    assert MARKER not in nlu.read_text(encoding="utf-8")  # nothing had changed since: the new model's data
    page = lead.get(f"{console.url}/models").text
    assert f"Gå tillbaka till modell {first.name}" in page
    rolled = lead.post(f"{console.url}/models/{first.id}/activate", data={"csrf_token": csrf(page)}, allow_redirects=False)
    assert rolled.status_code == 302 and registry.active(engine).id == first.id
    assert registry.history(engine)[0].kind == registry.ROLLED_BACK
    assert MARKER in nlu.read_text(encoding="utf-8")


def test_a_models_data_is_exported_as_a_patch_against_the_repository(models_console):
    console, _, (first, *_), _ = models_console
    lead = console.signed_in("lead", CONSOLE_PASSWORDS["lead"])
    reply = lead.get(f"{console.url}/models/{first.id}/patch")
    assert reply.status_code == 200 and "attachment" in reply.headers["Content-Disposition"]
    assert "+" + MARKER.rstrip("\n") in reply.text and "diff --git a/data/nlu/sv/no_email.yml" in reply.text


def test_activating_without_the_forms_token_or_an_unknown_model_changes_nothing(models_console):
    console, engine, (first, good, _), _ = models_console
    lead = console.signed_in("lead", CONSOLE_PASSWORDS["lead"])
    assert lead.post(f"{console.url}/models/{good.id}/activate", data={}).status_code == 403
    assert lead.get(f"{console.url}/models/999999").status_code == 404
    assert lead.get(f"{console.url}/models/x'").status_code == 404
    assert registry.active(engine).id == first.id


def test_rolling_back_over_changes_in_no_model_asks_first_and_keeps_them(models_console):
    console, engine, (first, good, _), project = models_console
    lead = console.signed_in("lead", CONSOLE_PASSWORDS["lead"])
    assert activate(lead, console.url, good).status_code == 302
    nlu = project / "data" / "nlu" / "sv" / "no_email.yml"
    approved = "    - en rättelse som ingen modell har lärt sig än\n"
    nlu.write_text(nlu.read_text(encoding="utf-8") + approved, encoding="utf-8")
    unsaved = snapshot.pack(project)
    page = lead.get(f"{console.url}/models/{first.id}").text
    assert "ändringar som ännu inte finns i någon modell" in page
    asked = lead.post(f"{console.url}/models/{first.id}/activate", data={"csrf_token": csrf(page)})
    assert asked.status_code == 409 and "Kryssa i rutan" in asked.text and registry.active(engine).id == good.id
    assert approved in nlu.read_text(encoding="utf-8")
    done = lead.post(f"{console.url}/models/{first.id}/activate", data={"csrf_token": csrf(page), "discard": "yes"},
                     allow_redirects=False)
    assert done.status_code == 302 and registry.active(engine).id == first.id
    assert approved not in nlu.read_text(encoding="utf-8")
    kept = registry.data_file(console.training_data.parent.parent.parent / "store", snapshot.sha256(unsaved))
    assert approved.encode() in snapshot.unpack(kept)["data/nlu/sv/no_email.yml"]
