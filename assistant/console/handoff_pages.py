"""The support agent's page: the conversation behind a handoff reference read out on the phone.

Every look-up is counted against the account (CONSOLE_LOOKUPS_PER_MINUTE, 10, and
CONSOLE_LOOKUPS_PER_DAY, 200) before the database is asked, and written to the audit log, found
or not: with 24**8 possible references, guessing one at that pace is hopeless, and trying shows.

A caller may ask for their conversation to be deleted: the agent confirms, and the console asks
a Rasa instance (ASSISTANT_URL) to delete it as the applicant's own "Delete the conversation"
would, with the conversation's key (assistant/channels/own_conversation.py), so that it goes
from the tracker store, every cache and the console's tables under the conversation's lock.
Audited; a deletion counts as a look-up.
"""
import asyncio
import logging
import os
from typing import Callable, Union

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.engine import Engine

from actions.handoff import normal_reference, reference_problem, references_enabled
from assistant.channels.rate_limit import RateLimiter
from assistant.channels.own_conversation import ask_to_delete
from assistant.console import audit, conversations
from assistant.console.accounts import AGENT, LEAD
from assistant.console.review_pages import title
from assistant.console.texts import text
from assistant.reliability import kind_and_place

logger = logging.getLogger(__name__)

LOOKUPS_PER_MINUTE, LOOKUPS_PER_DAY = 10, 200


def register(app: Sanic, engine: Engine, page: Callable[..., HTTPResponse], requires: Callable) -> None:
    limits = [RateLimiter(per_sender=int(os.environ.get(name, default)), per_address=0, window_seconds=window)
              for name, default, window in (("CONSOLE_LOOKUPS_PER_MINUTE", LOOKUPS_PER_MINUTE, 60),
                                            ("CONSOLE_LOOKUPS_PER_DAY", LOOKUPS_PER_DAY, 24 * 3600))]

    def lookup_page(request: Request, status: int = 200, **values) -> HTTPResponse:
        values.setdefault("errors", {})
        values.setdefault("typed", "")
        return page(request, "handoff.html", status, enabled=references_enabled(), title=title, **values)

    @app.get("/handoff")
    @requires(AGENT, LEAD)
    async def handoff_form(request: Request) -> HTTPResponse:
        return lookup_page(request)

    async def counted(request: Request) -> Union[str, HTTPResponse]:
        """The reference typed, once counted against the account's look-ups; else the page
        that says why not."""
        language = request.ctx.language
        if not references_enabled():
            return lookup_page(request, 404)
        typed = (request.form.get("reference") or "")[:40]
        reference = normal_reference(typed)
        if reference is None:  # not a reference at all: no look-up to count
            kind, detail = reference_problem(typed) or ("length", "0")
            error = (text("bad_reference_character", language, character=detail) if kind == "character"
                     else text("bad_reference", language, count=detail))
            return lookup_page(request, 400, typed=typed, errors={"reference": error})
        account = request.ctx.session.account.username
        for limit in limits:
            wait = await limit.seconds_to_wait(account, "")
            if wait:
                return lookup_page(request, 429, typed=typed,
                                   errors={"reference": text("lookups_wait", language, seconds=wait)})
        return reference

    def not_found(request: Request, reference: str) -> HTTPResponse:
        audit.record(engine, request.ctx.session.account.username, audit.HANDOFF_NOT_FOUND)
        return lookup_page(request, 404, typed=reference,
                           errors={"reference": text("reference_not_found", request.ctx.language)})

    @app.post("/handoff")
    @requires(AGENT, LEAD)
    async def look_up(request: Request) -> HTTPResponse:
        reference = await counted(request)
        if isinstance(reference, HTTPResponse):
            return reference
        account = request.ctx.session.account.username
        found = conversations.by_reference(engine, reference)
        if found is None:
            # Given a moment ago, perhaps not yet in the index: read the newest events first,
            # unless the background run is doing it (then it is found on the next try).
            try:
                await asyncio.get_running_loop().run_in_executor(None, conversations.catch_up, engine, False)
            except Exception as error:
                logger.error(f"Indexing for a look-up failed: {kind_and_place(error)}")
            found = conversations.by_reference(engine, reference)
        if found is None:
            return not_found(request, reference)
        audit.record(engine, account, audit.HANDOFF_LOOKED_UP, f"{reference} #{found['id']}")
        turns = conversations.transcript(engine, found)
        return lookup_page(request, typed=reference, conversation=found, turns=turns,
                           summary=conversations.summary_of(turns))

    @app.post("/handoff/delete")
    @requires(AGENT, LEAD)
    async def delete(request: Request) -> HTTPResponse:
        """First the question, then (confirmed=yes) the deletion, of the conversation the
        agent was shown (its reference and its id must still go together)."""
        reference = await counted(request)
        if isinstance(reference, HTTPResponse):
            return reference
        found = conversations.by_reference(engine, reference)
        if found is None or request.form.get("conversation") != str(found["id"]):
            return not_found(request, reference)
        if request.form.get("confirmed") != "yes":
            return page(request, "handoff_delete.html", reference=reference, conversation=found)
        language, account = request.ctx.language, request.ctx.session.account.username
        target = f"{reference} #{found['id']}"
        try:
            deleted = await ask_to_delete(found["sender_id"])
        except Exception as error:
            logger.error(f"Deleting a conversation failed: {kind_and_place(error)}")
            audit.record(engine, account, audit.CONVERSATION_DELETE_FAILED, target)
            return page(request, "message.html", 503, message=text("delete_failed", language))
        if not deleted and conversations.events_stored(engine, found["sender_id"]):
            # The instance did not take the key: its CHAT_SESSION_SECRET is not the console's.
            logger.error("The assistant refused to delete a conversation: CHAT_SESSION_SECRET must be "
                         "the same for the console and every Rasa instance.")
            audit.record(engine, account, audit.CONVERSATION_DELETE_FAILED, target)
            return page(request, "message.html", 500, message=text("delete_misconfigured", language))
        audit.record(engine, account, audit.CONVERSATION_DELETED, target)
        return page(request, "message.html", message=text("conversation_deleted", language, reference=reference))
