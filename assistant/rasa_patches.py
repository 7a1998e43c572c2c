"""Every change the project makes to Rasa's internals, in one place.

Applied by the Rasa server's one start-up path, `python -m assistant.rasa_server` (which
`make run`, `make run-scaled`, the tests and `make bench` use through
assistant.deployment.rasa_command), before Rasa reads the channels, endpoints or model,
whatever they are. Training, the action server and the tools run Rasa as it is. The project's
channels refuse to start in a Rasa server that did not apply them (`require_applied`), so a
plain `rasa run` with this project's credentials.yml stops with a reason instead of serving
without the command guard.

The patches were written for rasa RASA_VERSION; `apply` refuses any other. Each patch names
the functions it replaces or relies on, with the SHA-256 of their source in that release:
tests/test_rasa_patches.py fails when one of them differs, which says which patch to read
again after an upgrade.

Speed (measured with `make bench`; bench/ANALYSIS.md):
- Validating a custom action's response: Rasa calls `jsonschema.validate`, which first
  checks the (constant) schema itself against the JSON Schema meta-schema, every time. With
  the pinned jsonschema that was a third of the server's CPU per message. The same
  validation, with the validator built once.
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
- Swapping the model (the model store's activation, pulled by Rasa's `models:` endpoint):
  Rasa loads the new model in the event loop, so every conversation waits the 10 seconds a
  load takes. Here it is loaded in a thread while the old one answers, then put in place at
  once; the frozen old model is handed back to the collector, the trackers cached with the
  old domain are dropped, and the new model is frozen in turn.

Failures the user must notice (why: assistant/reliability.py):
- tracker store errors reach the channel instead of Rasa's FailSafeTrackerStore hiding them;
- a configured tracker store that cannot be created stops the server;
- the action server failing or hanging (ACTION_SERVER_TIMEOUT_SECONDS) ends in an apology.

Typed text that looks like a command is only a command when the bot offered it (why:
assistant/command_guard.py).

Service notices are put before the answers they concern, for every action's answers (why and
which: assistant/notices.py).
"""
import asyncio
import hashlib
import importlib
import inspect
import logging
import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Text, Tuple

logger = logging.getLogger(__name__)

RASA_VERSION = "3.6.21"


class UnsupportedRasa(RuntimeError):
    """The installed Rasa is not the release the patches were written for."""


class SettingError(ValueError):
    """A setting the patches read cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Patch:
    name: str
    # "module:attribute.path" of what is replaced, then of what the patch relies on, each
    # with the SHA-256 of its source in RASA_VERSION.
    targets: Tuple[Tuple[str, str], ...]
    install: Callable[[], None]


_applied = False
# What each patch replaced, by target, as it was (for the tests).
ORIGINALS: Dict[str, Any] = {}


def check_rasa_version(version: Optional[str] = None) -> None:
    if version is None:
        from rasa.version import __version__ as version
    if version != RASA_VERSION:
        raise UnsupportedRasa(
            f"the project's fixes to Rasa were written for rasa {RASA_VERSION}, and this is rasa "
            f"{version}; install the pinned packages (make setup) or check every patch in "
            f"assistant/rasa_patches.py against the new release first.")


def apply() -> None:
    global _applied
    if _applied:
        return
    check_rasa_version()
    action_server_timeout(os.environ)  # a bad setting stops the start before anything is patched
    for patch in PATCHES:
        patch.install()
    _applied = True


def require_applied() -> None:
    if not _applied:
        raise RuntimeError(
            "The project's fixes to Rasa are not applied: start the Rasa server with "
            "`python -m assistant.rasa_server run ...` (make run does), not with `rasa run`.")


def resolve(target: str) -> Tuple[Any, str]:
    """(the object holding it, its attribute name) for "module:attribute.path"."""
    module_name, _, path = target.partition(":")
    owner: Any = importlib.import_module(module_name)
    *parents, name = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    return owner, name


def source_sha256(target: str) -> str:
    """Of the target's source as installed, or as it was before its patch replaced it."""
    if target in ORIGINALS:
        found = ORIGINALS[target]
    else:
        owner, name = resolve(target)
        found = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
    found = getattr(found, "__func__", found)  # classmethod, staticmethod
    return hashlib.sha256(inspect.getsource(found).encode("utf-8")).hexdigest()


def _replace(target: str, replacement: Any) -> None:
    """Put `replacement` in place of `target`, keeping what was there in ORIGINALS."""
    owner, name = resolve(target)
    ORIGINALS[target] = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
    setattr(owner, name, replacement)


# ----- speed ---------------------------------------------------------------------------

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

    _replace("rasa.core.actions.action:RemoteAction._validate_action_result", _validate_action_result)


def _load_models_for_prediction_without_training() -> None:
    import tensorflow as tf
    from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY
    from rasa.utils.tensorflow.models import RasaModel

    rasa_load = RasaModel.__dict__["load"].__func__

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

    _replace("rasa.utils.tensorflow.models:RasaModel.load", classmethod(load))


def _remember_event_classes() -> None:
    found: Dict[Text, type] = {}
    target = "rasa.shared.core.events:Event.resolve_by_type"
    owner, name = resolve(target)
    rasa_resolve_by_type = getattr(owner, name)

    def resolve_by_type(type_name: Text, default: Optional[type] = None) -> Optional[type]:
        if type_name not in found:
            resolved = rasa_resolve_by_type(type_name, default)
            if resolved is None or resolved is default:
                return resolved  # unknown names are not remembered: a class may come later
            found[type_name] = resolved
        return found[type_name]

    _replace(target, staticmethod(resolve_by_type))


def _freeze_the_loaded_model_for_the_garbage_collector() -> None:
    import gc

    import rasa.core.run

    rasa_load_agent_on_start = rasa.core.run.load_agent_on_start

    async def load_agent_on_start(*args: Any, **kwargs: Any) -> Any:
        agent = await rasa_load_agent_on_start(*args, **kwargs)
        gc.collect()
        gc.freeze()
        return agent

    # serve_application looks the name up when the server starts.
    _replace("rasa.core.run:load_agent_on_start", load_agent_on_start)


async def swap_model(agent: Any, model_directory: str, fingerprint: str) -> None:
    """Load the model in `model_directory` beside the live one, then make it the live one."""
    import gc
    import time

    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.core.processor import MessageProcessor

    started = time.monotonic()
    replacing = agent.processor is not None
    processor = await asyncio.get_running_loop().run_in_executor(None, lambda: MessageProcessor(
        model_path=model_directory, tracker_store=agent.tracker_store, lock_store=agent.lock_store,
        action_endpoint=agent.action_endpoint, generator=agent.nlg, http_interpreter=agent.http_interpreter))
    # From here to the end nothing awaits: no message sees half of the new model.
    agent.processor, agent.domain = processor, processor.domain
    agent._set_fingerprint(fingerprint)
    agent.tracker_store.domain = agent.domain
    if isinstance(agent.nlg, TemplatedNaturalLanguageGenerator):
        agent.nlg.responses = agent.domain.responses if agent.domain else {}
    forget = getattr(agent.tracker_store, "forget_cached_conversations", None)
    if forget is not None:
        forget()
    if replacing:  # the first model is frozen by load_agent_on_start, once the server is set up
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        _return_freed_memory()
    logger.info(f"Now serving the model {fingerprint[:12]} (loaded in {time.monotonic() - started:.1f} s).")


def _return_freed_memory() -> None:
    """Hand the freed model's memory back to the system (glibc keeps it for reuse otherwise,
    and the process would stay at the size of two models after every swap)."""
    import ctypes
    import ctypes.util

    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the memory is reused by the next swap
        pass


def _load_pulled_models_beside_the_live_one() -> None:
    import rasa.core.agent
    from rasa.utils.common import TempDirectoryPath, get_temp_dir_name
    from rasa.nlu.utils import is_url

    # A model that failed to load is asked for as if it were the one held (If-None-Match), so
    # that it is not downloaded and loaded again at every pull; a new activation still comes.
    refused: Dict[str, Optional[str]] = {"fingerprint": None}

    async def _update_model_from_server(model_server: Any, agent: Any) -> None:
        import aiohttp

        if not is_url(model_server.url):
            raise aiohttp.InvalidURL(model_server.url)
        with TempDirectoryPath(get_temp_dir_name()) as temporary_directory:
            fingerprint = None
            try:
                fingerprint = await rasa.core.agent._pull_model_and_fingerprint(
                    model_server, refused["fingerprint"] or agent.fingerprint, temporary_directory)
                if fingerprint:
                    await swap_model(agent, temporary_directory, fingerprint)
                    refused["fingerprint"] = None
            except Exception:  # noqa: BLE001 -- as Rasa's: the live model stays
                refused["fingerprint"] = fingerprint
                logger.exception(f"Failed to load the model {str(fingerprint)[:12]}; the previous model "
                                 "stays loaded and this one is not tried again.")

    _replace("rasa.core.agent:_update_model_from_server", _update_model_from_server)


# ----- failures the user must notice (assistant/reliability.py) ------------------------

def _let_tracker_store_errors_through() -> None:
    from rasa.core.tracker_store import InMemoryTrackerStore

    def _create_tracker_store(store: Any, domain: Any) -> Any:
        # Rasa's own wraps the store in a FailSafeTrackerStore.
        tracker_store = store if store is not None else InMemoryTrackerStore(domain)
        tracker_store.domain = domain
        return tracker_store

    _replace("rasa.core.agent:Agent._create_tracker_store", staticmethod(_create_tracker_store))


def _refuse_to_start_without_the_configured_store() -> None:
    def _load_from_module_name_in_endpoint_config(domain: Any, store: Any, event_broker: Any = None) -> Any:
        # Rasa's own catches every error here and returns an InMemoryTrackerStore.
        from rasa.shared.utils.common import class_from_module_path

        store_class = class_from_module_path(store.type)
        return store_class(domain=domain, host=store.url, event_broker=event_broker, **store.kwargs)

    _replace("rasa.core.tracker_store:_load_from_module_name_in_endpoint_config",
             _load_from_module_name_in_endpoint_config)


def action_server_timeout(environ: Mapping[str, str]) -> float:
    from assistant.reliability import DEFAULT_ACTION_SERVER_TIMEOUT_SECONDS

    value = environ.get("ACTION_SERVER_TIMEOUT_SECONDS", str(DEFAULT_ACTION_SERVER_TIMEOUT_SECONDS))
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise SettingError(f"ACTION_SERVER_TIMEOUT_SECONDS must be a number of seconds above 0, not {value!r}.")
    return seconds


def _apologise_when_the_action_server_fails() -> None:
    from rasa.core.actions import action as rasa_action
    from rasa.shared.core.constants import ACTION_SESSION_START_NAME as SESSION_START
    from rasa.shared.exceptions import RasaException

    from assistant.reliability import TECHNICAL_PROBLEM_RESPONSE

    # RemoteAction.run passes this module-level name as the request's timeout.
    _replace("rasa.core.actions.action:DEFAULT_REQUEST_TIMEOUT", action_server_timeout(os.environ))
    rasa_run = rasa_action.RemoteAction.run

    async def run(self: Any, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List:
        try:
            return await rasa_run(self, output_channel, nlg, tracker, domain)
        except rasa_action.ActionExecutionRejection:
            raise  # a form's way of saying "not this one", not a failure
        except (RasaException, asyncio.TimeoutError):
            logger.error(f"The action server could not run {self.name()!r}; the user was told.")
            if self.name() == SESSION_START:
                return await rasa_action.ActionSessionStart().run(output_channel, nlg, tracker, domain)
            message = await nlg.generate(TECHNICAL_PROBLEM_RESPONSE, tracker, output_channel.name())
            if message is None:
                raise
            return [rasa_action.create_bot_utterance(message)]

    _replace("rasa.core.actions.action:RemoteAction.run", run)


# ----- service notices (assistant/notices.py) ------------------------------------------

def _insert_service_notices() -> None:
    from rasa.core.processor import MessageProcessor

    from assistant import notices

    rasa_log_action_on_tracker = MessageProcessor._log_action_on_tracker
    active = notices.ActiveNotices()

    def _log_action_on_tracker(self: Any, tracker: Any, action: Any, events: Any, prediction: Any) -> None:
        # _run_action hands this same list to execute_side_effects, which sends the answers:
        # what is inserted here is both logged and sent, in order.
        if events:
            try:
                notices.insert(events, tracker, active.get(getattr(self.tracker_store, "engine", None)))
            except Exception as error:  # noqa: BLE001 -- the answer goes out without the notice
                logger.error(f"Inserting a service notice failed: {type(error).__name__}")
        return rasa_log_action_on_tracker(self, tracker, action, events, prediction)

    _replace("rasa.core.processor:MessageProcessor._log_action_on_tracker", _log_action_on_tracker)


# ----- typed commands (assistant/command_guard.py) -------------------------------------

def _parse_typed_commands_as_text() -> None:
    from assistant.command_guard import allowed_text

    target = "rasa.core.processor:MessageProcessor.parse_message"
    owner, name = resolve(target)
    rasa_parse_message = getattr(owner, name)

    async def parse_message(self, message, tracker=None, only_output_properties=True):  # noqa: ANN001
        message.text = allowed_text(message.text, tracker)
        return await rasa_parse_message(self, message, tracker, only_output_properties)

    _replace(target, parse_message)


PATCHES: Tuple[Patch, ...] = (
    Patch("one validator for action responses", (
        ("rasa.core.actions.action:RemoteAction._validate_action_result",
         "f8cdb4be6812396167ced74161b2ccd65c5ea676ad86d7d359d8c322d9d8dc42"),
    ), _validate_action_responses_with_one_validator),
    Patch("models loaded for prediction without a training step", (
        ("rasa.utils.tensorflow.models:RasaModel.load",
         "84fd81c0fdd01a8048de2d9b5b3022bdbf1e155f7b4d67737eb51ecb0787d292"),
    ), _load_models_for_prediction_without_training),
    Patch("event classes remembered", (
        ("rasa.shared.core.events:Event.resolve_by_type",
         "b5cf570fa7f286c7059ec73d8880528d03a78b28cf4e80285a46079c0fa65968"),
    ), _remember_event_classes),
    Patch("the loaded model frozen for the garbage collector", (
        ("rasa.core.run:load_agent_on_start",
         "b23e12447febeb64dfe0e78f545c37affae1059858280485b1094707a2704214"),
        ("rasa.core.run:serve_application",
         "fa80588d9e008b67948290d1da64c97fbab5a1a8069b880c18cc3c8399ef9c2b"),
    ), _freeze_the_loaded_model_for_the_garbage_collector),
    Patch("a pulled model loaded beside the live one", (
        ("rasa.core.agent:_update_model_from_server",
         "677a9cee565c4c588bbf325f85936bf0ddef53b63cf899abd31a7d1c8c92e888"),
        ("rasa.core.agent:Agent.load_model",
         "f4c1ab4c5c7af6349384fc0a2d3a1cffdc5f277f08378d07fd0cd247cd4d5fa7"),
        ("rasa.core.agent:_pull_model_and_fingerprint",
         "373d0bc12bb9a25c99349a0c9db3f41f43abcfbf00860889a6efaebdd70849a3"),
        ("rasa.core.agent:load_from_server",
         "5415018b09e561091d642bf00b85ce2220f8f2e1d21cd8bac128ee8d0fd08b42"),
    ), _load_pulled_models_beside_the_live_one),
    Patch("tracker store errors reach the channel", (
        ("rasa.core.agent:Agent._create_tracker_store",
         "97499b594b45581b2c6d8ff7adb9083af24eba85654995a40350de65633ca574"),
    ), _let_tracker_store_errors_through),
    Patch("no start without the configured tracker store", (
        ("rasa.core.tracker_store:_load_from_module_name_in_endpoint_config",
         "ffd9d0b30fd73ea8a017bb01d2af49a8c25c0c3e5bf13f6787756c39351c870b"),
    ), _refuse_to_start_without_the_configured_store),
    Patch("an apology when the action server fails", (
        ("rasa.core.actions.action:RemoteAction.run",
         "ccabf6f1160d527a157fad5bd285ce69e8221b1bcad23f8a61499b4360a1c17e"),
    ), _apologise_when_the_action_server_fails),
    Patch("service notices before the answers they concern", (
        ("rasa.core.processor:MessageProcessor._log_action_on_tracker",
         "d973d12a6d0a3623a8b0c9c2274c5b3008f5eaa3f19aa73311845702e4ed16f9"),
        ("rasa.core.processor:MessageProcessor._run_action",
         "6d383d0179ef1187639887289168959a5a82f94e6949e4e27bb83b2165094995"),
    ), _insert_service_notices),
    Patch("typed commands only when offered", (
        ("rasa.core.processor:MessageProcessor.parse_message",
         "b98d8e49b9f2c433040af62752212dc374600d50cd21deec82386642b64d30dc"),
    ), _parse_typed_commands_as_text),
)
