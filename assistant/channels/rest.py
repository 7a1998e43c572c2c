"""Rasa's REST channel with the edge checks in front of it.

Same URL and JSON as Rasa's own (`POST /webhooks/rest/webhook`), but:
- malformed requests (no JSON object, no sender, no or empty message) get HTTP 400 with a
  clear error instead of reaching Rasa, which would answer them as conversation "default";
- text is cleaned of control characters before the NLU sees it;
- a message over the length cap gets a short reply and never reaches the NLU, so the
  conversation is left exactly as it was;
- an internal failure gives HTTP 500 with a short error, not a silent `[]`.
"""
import logging
from typing import Any, Awaitable, Callable, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant.channels.edge import BadRequest, parse_request
from assistant import rasa_patches

# The Rasa server loads the channels (credentials.yml) before the model: the place to apply the
# project's fixes to Rasa internals, in the Rasa server process only.
rasa_patches.apply()

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024


class CheckedRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if len(request.body or b"") > MAX_BODY_BYTES:
                return response.json({"error": "The request is too large."}, status=413)
            try:
                message = parse_request(_json_or_none(request))
            except BadRequest as error:
                return response.json({"error": str(error)}, status=400)

            if message.refusal is not None:
                return response.json([{"recipient_id": message.sender, "text": message.refusal}])

            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(
                        message.text,
                        collector,
                        message.sender,
                        input_channel=self.name(),
                        metadata=message.metadata,
                    )
                )
            except Exception:
                # The text may hold personal data, so it is not logged.
                logger.exception("Handling a REST message failed.")
                return response.json(
                    {"error": "The assistant could not answer. Please try again."},
                    status=500,
                )
            return response.json(collector.messages)

        return webhook


def _json_or_none(request: Request) -> Any:
    try:
        return request.json
    except Exception:  # sanic raises InvalidUsage on malformed JSON
        return None
