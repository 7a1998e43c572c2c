"""Failures the user must notice, where Rasa 3.6 hides them.

- The conversation store. Rasa wraps every tracker store in a `FailSafeTrackerStore`: when
  the database cannot be read, it starts the conversation over; when it cannot be written, it
  keeps the conversation in the server's memory, where the next instance cannot see it and a
  restart loses it. Both without a word to the user. Here a store error reaches the channel,
  which answers HTTP 503 and stores nothing (assistant/channels/rest.py); the user's message
  can simply be sent again once the store is back, and the conversation goes on where it was.
- Starting with a store Rasa cannot create: Rasa logs an error and keeps the conversations in
  memory. Here the server does not start, and says why.
- The action server. When it cannot run an action (stopped, restarting, overloaded), Rasa
  logs the error and the user gets no answer at all; when it hangs, Rasa waits five minutes
  for it. Here it waits ACTION_SERVER_TIMEOUT_SECONDS (10; the actions take milliseconds),
  and the user gets
  `utter_technical_problem` (domain.yml): an apology and the phone number of technical
  support. The conversation goes on; the next message is answered normally as soon as the
  action server is back. A session that cannot start through the project's
  `action_session_start` starts as Rasa's own would, so the conversation is not stuck.

Applied in the Rasa server only (assistant/rasa_patches.py).
"""
import asyncio
import logging
import os
from typing import Any, List

logger = logging.getLogger(__name__)

TECHNICAL_PROBLEM_RESPONSE = "utter_technical_problem"
DEFAULT_ACTION_SERVER_TIMEOUT_SECONDS = 10


def is_outage(error: BaseException) -> bool:
    """A failure of a service the server depends on (database, Redis), which passes, as
    opposed to a fault in the server itself."""
    from rasa.core.lock_store import LockError
    from redis.exceptions import ConnectionError as RedisConnectionError, TimeoutError as RedisTimeout
    from sqlalchemy.exc import DBAPIError, OperationalError

    outages = (OperationalError, DBAPIError, RedisConnectionError, RedisTimeout, LockError,
               asyncio.TimeoutError, ConnectionError)
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, outages):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def apply() -> None:
    _let_tracker_store_errors_through()
    _refuse_to_start_without_the_configured_store()
    _apologise_when_the_action_server_fails()


def _let_tracker_store_errors_through() -> None:
    from rasa.core.agent import Agent
    from rasa.core.tracker_store import InMemoryTrackerStore

    def _create_tracker_store(store: Any, domain: Any) -> Any:
        tracker_store = store if store is not None else InMemoryTrackerStore(domain)
        tracker_store.domain = domain
        return tracker_store

    Agent._create_tracker_store = staticmethod(_create_tracker_store)


def _refuse_to_start_without_the_configured_store() -> None:
    from rasa.core import tracker_store

    def _load_from_module_name_in_endpoint_config(domain: Any, store: Any, event_broker: Any = None) -> Any:
        # Rasa's own catches every error here and returns an InMemoryTrackerStore.
        from rasa.shared.utils.common import class_from_module_path

        store_class = class_from_module_path(store.type)
        return store_class(domain=domain, host=store.url, event_broker=event_broker, **store.kwargs)

    tracker_store._load_from_module_name_in_endpoint_config = _load_from_module_name_in_endpoint_config


def _apologise_when_the_action_server_fails() -> None:
    from rasa.core.actions import action as rasa_action
    from rasa.shared.core.constants import ACTION_SESSION_START_NAME as SESSION_START
    from rasa.shared.exceptions import RasaException

    rasa_run = rasa_action.RemoteAction.run
    # RemoteAction.run passes this module-level name as the request's timeout.
    rasa_action.DEFAULT_REQUEST_TIMEOUT = float(
        os.environ.get("ACTION_SERVER_TIMEOUT_SECONDS", DEFAULT_ACTION_SERVER_TIMEOUT_SECONDS))

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

    rasa_action.RemoteAction.run = run
