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

Beside it, the routes with which an applicant takes a copy of their conversation or deletes
it (assistant/channels/own_conversation.py).
"""
from typing import Any, Awaitable, Callable, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant import rasa_patches
from assistant.channels import own_conversation
from assistant.channels.edge import (
    FAILED, MAX_BODY_BYTES, TOO_FAST, TOO_LARGE, TOO_LONG, UNAVAILABLE, BadRequest, Edge, Refusal, parse_request)

# What HTTP says for each refusal of the edge; a message too long is answered as a chat reply.
STATUS = {TOO_FAST: 429, TOO_LARGE: 413, UNAVAILABLE: 503, FAILED: 500}


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
                return _refused(await edge.too_large(address), None)
            try:
                message = parse_request(_json_or_none(request))
            except BadRequest as error:
                return response.json({"error": str(error)}, status=400)

            collector = CollectingOutputChannel()

            async def deliver(text: str) -> None:
                await on_new_message(UserMessage(text, collector, message.sender,
                                                 input_channel=self.name(), metadata=message.metadata))

            refusal = await edge.handle(message, address, getattr(request.app.ctx, "agent", None), deliver)
            return _refused(refusal, message.sender) if refusal else response.json(collector.messages)

        own_conversation.register(webhook, edge)
        return webhook


def _refused(refusal: Refusal, sender: Optional[str]) -> HTTPResponse:
    if refusal.reason == TOO_LONG:
        return response.json([{"recipient_id": sender, "text": refusal.text}])
    headers = {"Retry-After": str(refusal.retry_after)} if refusal.retry_after else None
    return response.json({"error": refusal.text}, status=STATUS[refusal.reason], headers=headers)


def _json_or_none(request: Request) -> Any:
    try:
        return request.json
    except Exception:  # sanic raises InvalidUsage on malformed JSON
        return None
