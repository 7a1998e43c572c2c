"""Rasa's REST channel with the edge (assistant/channels/edge.py) in front of it.

Same URL and JSON as Rasa's own (`POST /webhooks/rest/webhook`); what the edge decides
becomes HTTP:
- a body over MAX_BODY_BYTES: HTTP 413, before it is parsed;
- a malformed request (no JSON object, a bad sender, no or an empty message): HTTP 400 with a
  clear error, instead of reaching Rasa, which would answer it as conversation "default";
- a conversation or address sending faster than a person types: HTTP 429 with a short reply
  and a Retry-After header;
- a message over the length cap: a short reply, and the conversation is left as it was;
- the conversation store or lock store out of reach: HTTP 503 with Retry-After; any other
  internal failure HTTP 500, each with a short error, never a silent `[]`; nothing of that
  message is stored, so sending it again later goes on with the conversation as it was.
"""
import logging
from typing import Any, Awaitable, Callable, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant.channels.edge import (
    MAX_BODY_BYTES, TOO_FAST, BadRequest, Edge, IncomingMessage, Refusal, parse_request, reply)
from assistant.language import reply_language
from assistant.reliability import is_outage
from assistant import rasa_patches

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10


class CheckedRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        rasa_patches.require_applied()
        edge = Edge.from_environment()
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            address = request.remote_addr or request.ip
            if len(request.body or b"") > MAX_BODY_BYTES:
                try:
                    wait = await edge.too_large(address)
                except Exception as error:
                    return _failure(error, None)
                if wait:
                    return response.json({"error": reply(TOO_FAST, None)}, status=429,
                                         headers={"Retry-After": str(wait)})
                return response.json({"error": "The request is too large."}, status=413)
            try:
                message = parse_request(_json_or_none(request))
            except BadRequest as error:
                return response.json({"error": str(error)}, status=400)

            collector = CollectingOutputChannel()
            try:
                admitted = await edge.admit(message, address, getattr(request.app.ctx, "agent", None))
                if isinstance(admitted, Refusal):
                    return _refused(message, admitted)
                await on_new_message(UserMessage(admitted, collector, message.sender,
                                                 input_channel=self.name(), metadata=message.metadata))
            except Exception as error:
                return _failure(error, message)
            return response.json(collector.messages)

        return webhook


def _refused(message: IncomingMessage, refusal: Refusal) -> HTTPResponse:
    if refusal.reason == TOO_FAST:
        return response.json({"error": refusal.text}, status=429,
                             headers={"Retry-After": str(refusal.retry_after)})
    return response.json([{"recipient_id": message.sender, "text": refusal.text}])


def _failure(error: Exception, message: Optional[IncomingMessage]) -> HTTPResponse:
    # Not the store's language: the store may be what failed.
    language = reply_language(message.text, None, message.page_language) if message else None
    # The message may hold personal data, so only the error is logged, not the text.
    if is_outage(error):
        # Only the kind of error and its first line: the rest may quote the stored data.
        first_line = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
        logger.error(f"A service the assistant needs is out of reach: {type(error).__name__}: {first_line}")
        return response.json({"error": reply("unavailable", language)}, status=503,
                             headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    logger.exception("Handling a REST message failed.")
    return response.json({"error": reply("failed", language)}, status=500)


def _json_or_none(request: Request) -> Any:
    try:
        return request.json
    except Exception:  # sanic raises InvalidUsage on malformed JSON
        return None
