"""Fixes to Rasa 3.6 internals that the project cannot reach by configuration or subclassing.

Applied once, when the Rasa server loads the project's channels (credentials.yml), before it
loads the model. Nothing else applies them: training, the action server and the tools run
Rasa as it is.

- Validating a custom action's response: Rasa calls `jsonschema.validate`, which first
  checks the (constant) schema itself against the JSON Schema meta-schema, every time. With
  the pinned jsonschema that was a third of the server's CPU per message (measured with
  py-spy under `make bench` load). The same validation, with the validator built once.
- Loading a trained TensorFlow model (DIET, ResponseSelector, TED) for prediction: Rasa
  trains it on one example first, only to create its variables, then overwrites them with
  the saved weights. That training step was 45 % of the server's start-up time, and it
  leaves an optimizer and a training graph in memory that prediction never uses. Here the
  saved weights are restored as the prediction step creates the variables; every variable
  must be matched by the checkpoint, otherwise Rasa's own way is taken. Fine-tuning (`rasa
  train --finetune`) is untouched.
- Reading a stored conversation: for every event, Rasa lists all subclasses of Event to find
  the class of its type name; at turn 200 of a conversation that was a tenth of the
  server's CPU. The class found for a type name is remembered.
- Garbage collection: the loaded model is millions of Python objects that live as long as
  the server. Python's full collection walks all of them, a 400 ms pause every few hundred
  messages for whoever is waiting then. Once the model is loaded, they are moved out of the
  collector's sight (`gc.freeze`).

The same call applies the fixes that make failures visible (assistant/reliability.py) and
that keep typed text from acting as a command (assistant/command_guard.py).
"""
import logging
from typing import Any, Dict, Optional, Text

logger = logging.getLogger(__name__)

_applied = False
# Rasa's own RasaModel.load, kept for comparison (tests/test_rasa_patches.py).
RASA_MODEL_LOAD: Any = None


def apply() -> None:
    global _applied
    if _applied:
        return
    _applied = True
    _validate_action_responses_with_one_validator()
    _load_models_for_prediction_without_training()
    _remember_event_classes()
    _freeze_the_loaded_model_for_the_garbage_collector()
    from assistant import command_guard, reliability

    reliability.apply()
    command_guard.apply()


def _validate_action_responses_with_one_validator() -> None:
    from jsonschema import exceptions, validators
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)

    def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
        # As Rasa's own, which calls jsonschema.validate(result, schema).
        error = exceptions.best_match(validator.iter_errors(result))
        if error is not None:
            error.message += (
                f". Failed to validate Action server response from API, "
                f"make sure your response from the Action endpoint is valid. "
                f"For more information about the format visit "
                f"{DOCS_BASE_URL}/custom-actions"
            )
            raise error
        return True

    RemoteAction._validate_action_result = _validate_action_result


def _load_models_for_prediction_without_training() -> None:
    import tensorflow as tf
    from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY
    from rasa.utils.tensorflow.models import RasaModel

    global RASA_MODEL_LOAD
    RASA_MODEL_LOAD = RasaModel.__dict__["load"]  # the classmethod itself
    rasa_load = RASA_MODEL_LOAD.__func__

    def load(
        cls: type,
        model_file_name: Text,
        model_data_example: Any,
        predict_data_example: Optional[Any] = None,
        finetune_mode: bool = False,
        *args: Any,
        **kwargs: Any,
    ) -> RasaModel:
        if finetune_mode or not predict_data_example:
            return rasa_load(cls, model_file_name, model_data_example, predict_data_example,
                             finetune_mode, *args, **kwargs)
        model = cls(*args, **kwargs)
        config = kwargs.get("config", {})
        model.compile(optimizer=tf.keras.optimizers.Adam(config.get(LEARNING_RATE, 0.001)),
                      run_eagerly=config.get(RUN_EAGERLY))
        status = model.load_weights(model_file_name)
        # Creates the prediction variables; each takes its saved value as it is created.
        model.run_inference(predict_data_example)
        try:
            status.assert_existing_objects_matched()
        except AssertionError as mismatch:
            logger.warning(f"Loading {cls.__name__} the quick way failed ({mismatch}); "
                           f"loading it Rasa's way.")
            return rasa_load(cls, model_file_name, model_data_example, predict_data_example,
                             finetune_mode, *args, **kwargs)
        status.expect_partial()  # the optimizer's saved state is not needed to predict
        return model

    RasaModel.load = classmethod(load)


def _remember_event_classes() -> None:
    from rasa.shared.core.events import Event

    rasa_resolve_by_type = Event.resolve_by_type
    found: Dict[Text, type] = {}

    def resolve_by_type(type_name: Text, default: Optional[type] = None) -> Optional[type]:
        if type_name not in found:
            resolved = rasa_resolve_by_type(type_name, default)
            if resolved is None or resolved is default:
                return resolved  # unknown names are not remembered: a class may come later
            found[type_name] = resolved
        return found[type_name]

    Event.resolve_by_type = staticmethod(resolve_by_type)


def _freeze_the_loaded_model_for_the_garbage_collector() -> None:
    import gc

    import rasa.core.run

    rasa_load_agent_on_start = rasa.core.run.load_agent_on_start

    async def load_agent_on_start(*args: Any, **kwargs: Any) -> Any:
        agent = await rasa_load_agent_on_start(*args, **kwargs)
        gc.collect()
        gc.freeze()
        return agent

    # `rasa run` looks the name up when it starts the server, after loading the channels.
    rasa.core.run.load_agent_on_start = load_agent_on_start
