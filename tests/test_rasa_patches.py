"""The fixes to Rasa internals (assistant/rasa_patches.py) change speed, not behaviour."""
import asyncio

import pytest
from jsonschema import ValidationError

from assistant import rasa_patches
from tests.conftest import LANGUAGES, held_out_examples

rasa_patches.apply()


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

    patched_load = RasaModel.load
    RasaModel.load = rasa_patches.RASA_MODEL_LOAD
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
