"""Rasa's REST channel with the edge checks in front of it.

Same URL and JSON as Rasa's own (`POST /webhooks/rest/webhook`), but:
- malformed requests (no JSON object, no sender, no or empty message) get HTTP 400 with a
  clear error instead of reaching Rasa, which would answer them as conversation "default";
- text is cleaned of control characters before the NLU sees it;
- a message over the length cap gets a short reply and never reaches the NLU, so the
  conversation is left exactly as it was;
- a conversation or address sending faster than a person types gets HTTP 429 with a short
  reply in its language and a Retry-After header (assistant/channels/rate_limit.py);
- the conversation store or lock store out of reach gives HTTP 503 with Retry-After, any other
  internal failure HTTP 500, each with a short error, never a silent `[]`; nothing of that
  message is stored, so sending it again later goes on with the conversation as it was.
"""
import logging
from typing import Any, Awaitable, Callable, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant.channels.edge import BadRequest, parse_request
from assistant.channels.rate_limit import REPLY as RATE_LIMIT_REPLY, RateLimiter
from assistant.language import detect_language
from assistant.reliability import is_outage
from assistant import rasa_patches

# The Rasa server loads the channels (credentials.yml) before the model: the place to apply the
# project's fixes to Rasa internals, in the Rasa server process only.
rasa_patches.apply()

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
RETRY_AFTER_SECONDS = 10


class CheckedRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        rate_limiter = RateLimiter.from_environment()
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

            try:
                wait = await rate_limiter.seconds_to_wait(
                    message.sender, request.remote_addr or request.ip)
            except Exception as error:
                return _failure(error)
            if wait:
                language = detect_language(message.text) or message.metadata.get("language") or "sv"
                return response.json(
                    {"error": RATE_LIMIT_REPLY.get(language, RATE_LIMIT_REPLY["sv"])},
                    status=429, headers={"Retry-After": str(wait)},
                )

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
            except Exception as error:
                return _failure(error)
            return response.json(collector.messages)

        return webhook


def _failure(error: Exception) -> HTTPResponse:
    # The message may hold personal data, so only the error is logged, not the text.
    if is_outage(error):
        # Only the kind of error and its first line: the rest may quote the stored data.
        first_line = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
        logger.error(f"A service the assistant needs is out of reach: {type(error).__name__}: {first_line}")
        return response.json(
            {"error": "The assistant is temporarily unavailable. Please try again in a moment."},
            status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    logger.exception("Handling a REST message failed.")
    return response.json({"error": "The assistant could not answer. Please try again."}, status=500)


def _json_or_none(request: Request) -> Any:
    try:
        return request.json
    except Exception:  # sanic raises InvalidUsage on malformed JSON
        return None
