"""Failures the user must notice, where Rasa 3.6 hides them.

- The conversation store. Rasa wraps every tracker store in a `FailSafeTrackerStore`: when
  the database cannot be read, it starts the conversation over; when it cannot be written, it
  keeps the conversation in the server's memory, where the next instance cannot see it and a
  restart loses it. Both without a word to the user. Here a store error reaches the channel,
  whose edge (assistant/channels/edge.py) refuses the message as an outage: HTTP 503 over
  REST, a chat message over socket.io; nothing is stored, so the user's message
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

The patches that do this are in assistant/rasa_patches.py, with the project's other changes
to Rasa; `is_outage` is for the channels.
"""
import asyncio
import traceback

TECHNICAL_PROBLEM_RESPONSE = "utter_technical_problem"
DEFAULT_ACTION_SERVER_TIMEOUT_SECONDS = 10


def kind_and_place(error: BaseException) -> str:
    """What to log of an error that may quote a message, a form or stored data: its type and
    where it was raised, never its text."""
    frames = traceback.extract_tb(error.__traceback__)
    return f"{type(error).__name__} at {frames[-1].filename}:{frames[-1].lineno}" if frames else type(error).__name__


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
