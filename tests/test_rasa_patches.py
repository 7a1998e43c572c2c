"""The project's changes to Rasa internals (assistant/rasa_patches.py): each is in place, each
target is still the code it was written for, they apply only to the Rasa release they were
written for, and the speed fixes change speed, not behaviour."""
import asyncio
import subprocess
import sys

import pytest
from jsonschema import ValidationError

from assistant import rasa_patches
from tests.conftest import LANGUAGES, ROOT, held_out_examples

TARGETS = [(patch.name, target, sha) for patch in rasa_patches.PATCHES for target, sha in patch.targets]


@pytest.mark.parametrize("patch, target, sha", TARGETS, ids=[t for _, t, _ in TARGETS])
def test_every_patch_target_is_the_code_the_patch_was_written_for(patch, target, sha):
    # Fails when Rasa moves, renames or changes a function a patch replaces or relies on:
    # read that patch again against the new code, then record the new hash.
    assert rasa_patches.source_sha256(target) == sha, f"{patch}: {target} changed"


@pytest.mark.parametrize("patch", rasa_patches.PATCHES, ids=lambda patch: patch.name)
def test_every_patch_is_in_place_once_applied(patch):
    target = patch.targets[0][0]  # the first is the one replaced
    owner, name = rasa_patches.resolve(target)
    current = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
    assert current is not rasa_patches.ORIGINALS[target]
    assert getattr(current, "__func__", current).__module__ == rasa_patches.__name__


def test_only_the_rasa_release_the_patches_were_written_for_is_accepted():
    rasa_patches.check_rasa_version(rasa_patches.RASA_VERSION)
    for other in ("3.6.20", "3.7.0", "3.6.21.dev1"):
        with pytest.raises(rasa_patches.UnsupportedRasa, match=f"this is rasa {other}"):
            rasa_patches.check_rasa_version(other)


def test_the_server_refuses_to_start_on_another_rasa_in_one_line():
    # The server's start-up path with the installed Rasa claiming to be another release.
    started = subprocess.run(
        [sys.executable, "-c", "import rasa.version, runpy, sys; rasa.version.__version__ = '3.7.0';"
                               "sys.argv = ['rasa_server', 'run']; runpy.run_module('assistant.rasa_server', run_name='__main__')"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert started.returncode == 2
    lines = [line for line in started.stderr.splitlines() if line.startswith("Cannot start")]
    assert lines == [line for line in started.stderr.splitlines() if "rasa 3.7.0" in line]
    assert "written for rasa 3.6.21, and this is rasa 3.7.0" in lines[0]


def test_the_projects_channels_refuse_a_server_that_did_not_apply_the_patches(monkeypatch):
    from assistant.channels.rest import CheckedRestInput

    monkeypatch.setattr(rasa_patches, "_applied", False)
    with pytest.raises(RuntimeError, match="python -m assistant.rasa_server"):
        CheckedRestInput().blueprint(lambda message: None)


def test_an_invalid_action_server_response_is_still_refused():
    from rasa.core.actions.action import RemoteAction

    action = RemoteAction("action_handoff_to_support", None)
    assert action._validate_action_result({"events": [{"event": "slot", "timestamp": None, "name": "language", "value": "en"}], "responses": []})
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": [{"no_event_key": 1}], "responses": []})
    with pytest.raises(ValidationError):
        action._validate_action_result({"events": "not a list"})


def test_the_quickly_loaded_model_predicts_exactly_as_rasa_loads_it(agent, model_path):
    """Every held-out sentence gets the same intents, answers and confidences, and a
    conversation the same next actions, as with the model loaded Rasa's own way."""
    from rasa.core.agent import Agent
    from rasa.utils.tensorflow.models import RasaModel

    patched_load = RasaModel.__dict__["load"]
    RasaModel.load = rasa_patches.ORIGINALS["rasa.utils.tensorflow.models:RasaModel.load"]
    try:
        rasa_loaded = Agent.load(str(model_path))
    finally:
        RasaModel.load = patched_load

    sentences = [text for language in LANGUAGES for text, _ in held_out_examples(language)]

    async def outcomes(which):
        parsed = [await which.parse_message(text) for text in sentences]
        replies = [await which.handle_text(text, sender_id="same") for text in
                   ("jag får ingen sms-kod", "nej", "i never got the email", "no")]
        return [(p["intent"], p["intent_ranking"], p.get("response_selector")) for p in parsed], replies

    assert asyncio.run(outcomes(agent)) == asyncio.run(outcomes(rasa_loaded))
