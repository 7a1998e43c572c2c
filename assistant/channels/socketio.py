"""Rasa's socket.io channel with the same edge as the REST channel (assistant/channels/edge.py):
the same checks in the same order, and the same replies, which come as chat messages, since
socket.io has no status codes. A message the edge refuses as malformed is ignored.

Two holes of Rasa 3.6's channel are closed here:
- Any web page could connect: Rasa passes `cors_allowed_origins=[]`, which turns off
  python-engineio's origin check. Only the origins in CHAT_ALLOWED_ORIGINS (the list also given
  to `rasa run --cors`) may connect now; clients that send no Origin (not browsers) still can.
- Any client could read or write any conversation: `session_request` joined whatever
  session id it was given, and each message named its own conversation. The server now issues
  signed session ids (`<32 hex>.<HMAC>`, secret CHAT_SESSION_SECRET), resumes a session only
  for a valid signature, binds each socket to one session and takes the conversation from
  that binding, never from the message.
It also awaits enter_room(), without which the pinned python-socketio never delivered replies,
and sends a custom payload (a service notice, assistant/notices.py) as {"custom": ...}: Rasa's
passed its keys to socket.io's emit() as arguments, which failed on any but `data`.
"""
import hashlib
import hmac
import json
import os
import re
import secrets
from typing import Any, Awaitable, Callable, Dict, FrozenSet, Optional, Text

import engineio
import rasa.core.channels.channel
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from assistant import rasa_patches
from assistant.channels.edge import MAX_BODY_BYTES, BadRequest, Edge, chat_secret, incoming, page_metadata

# Metadata sent as a JSON string: {"language": "en"} is 20 characters.
_MAX_METADATA_LENGTH = 1024
_SESSION_PART = re.compile(r"[0-9a-f]{32}")
_SIGNATURE_HEX_CHARS = 32
_TOKEN_LENGTH = 32 + 1 + _SIGNATURE_HEX_CHARS


class SessionTokens:
    """Session ids the server hands out: `<random 32 hex>.<HMAC-SHA256 of it, 32 hex>`.
    The random part is the conversation (tracker sender id and socket.io room), so the store
    and the logs never hold a token that would let their reader take a session over."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def signature(self, session: str) -> str:
        """Also the key that proves a conversation is the caller's (own_conversation.py)."""
        digest = hmac.new(self._secret, session.encode("utf-8"), hashlib.sha256).hexdigest()
        return digest[:_SIGNATURE_HEX_CHARS]

    def issue(self) -> str:
        session = secrets.token_hex(16)
        return f"{session}.{self.signature(session)}"

    def verify(self, token: Any) -> Optional[str]:
        """The session of a token signed with this secret, else None."""
        if not isinstance(token, str) or len(token) != _TOKEN_LENGTH:
            return None
        session, _, signature = token.partition(".")
        if not _SESSION_PART.fullmatch(session):
            return None
        return session if hmac.compare_digest(signature, self.signature(session)) else None


def session_of(token: str) -> str:
    return token.partition(".")[0]


def allowed_origins() -> FrozenSet[str]:
    return frozenset(os.environ.get("CHAT_ALLOWED_ORIGINS", "").split())


class _Output(SocketIOOutput):
    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        await self.sio.emit(self.bot_message_evt, {"custom": json_message}, room=recipient_id)


class _OriginCheckingEngineIO(engineio.AsyncServer):
    def _cors_headers(self, environ: Dict) -> list:
        # Rasa's Sanic-CORS (`--cors`, the same origins) already adds these headers; a second
        # Access-Control-Allow-Origin makes browsers refuse the response.
        return []


class _Server(AsyncServer):
    def _engineio_server_class(self) -> type:
        return _OriginCheckingEngineIO


class MaskedSocketIOInput(SocketIOInput):
    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        rasa_patches.require_applied()
        origins = allowed_origins()
        tokens = SessionTokens(chat_secret())
        edge = Edge.from_environment()
        # A callable, because an empty list would switch the origin check off: with no
        # origin configured, no browser page of another origin may connect.
        sio = _Server(async_mode="sanic", max_http_buffer_size=MAX_BODY_BYTES,
                      cors_allowed_origins=lambda origin, environ=None: origin in origins)
        self.sio = sio  # for get_output_channel, as Rasa does
        socketio_webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        namespace = self.namespace

        @socketio_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            if not self.jwt_key:
                return True
            token = auth.get("token") if isinstance(auth, dict) else None
            return bool(isinstance(token, str) and rasa.core.channels.channel.decode_bearer_token(
                token, self.jwt_key, self.jwt_algorithm))

        async def bind(sid: Text, session: str) -> None:
            """Make `session` the one conversation of this socket, and the only room it hears."""
            previous = (await sio.get_session(sid, namespace=namespace)).get("session")
            if previous and previous != session:
                await sio.leave_room(sid, previous, namespace=namespace)
            await sio.save_session(sid, {"session": session}, namespace=namespace)
            await sio.enter_room(sid, session, namespace=namespace)

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: Text, data: Any) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            # Without session_persistence, as in Rasa, no conversation outlives its socket.
            session = tokens.verify(requested) if self.session_persistence else None
            # Never the requested id unless it is signed: else anyone could join any session.
            token = requested if session else tokens.issue()
            await bind(sid, session_of(token))
            await sio.emit("session_confirm", token, room=sid, namespace=namespace)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: Text, data: Any) -> None:
            if not isinstance(data, dict) or not isinstance(data.get("message"), str):
                return
            # The conversation is the socket's, whatever `session_id` the message claims.
            session = (await sio.get_session(sid, namespace=namespace)).get("session")
            if session is None:
                session = session_of(tokens.issue())
                await bind(sid, session)
            try:
                message = incoming(session, data["message"], _page_metadata(data.get(self.metadata_key)))
            except BadRequest:
                return  # nothing to answer; socket.io has no status code to say so
            output_channel = _Output(sio, self.bot_message_evt)
            request = (sio.get_environ(sid, namespace=namespace) or {}).get("sanic.request")
            address = (request.remote_addr or request.ip) if request is not None else ""
            agent = getattr(request.app.ctx, "agent", None) if request is not None else None

            async def deliver(text: str) -> None:
                await on_new_message(UserMessage(text, output_channel, session,
                                                 input_channel=self.name(), metadata=message.metadata))

            refusal = await edge.handle(message, address, agent, deliver)
            if refusal:  # socket.io has no status codes: every refusal is a chat message
                await output_channel.send_text_message(session, refusal.text)

        return socketio_webhook


def _page_metadata(metadata: Any) -> Dict[str, Any]:
    """As the REST channel's, except that bad metadata is dropped, not refused."""
    if isinstance(metadata, str):
        if len(metadata) > _MAX_METADATA_LENGTH:
            return {}
        try:
            metadata = json.loads(metadata)
        except (ValueError, RecursionError):
            return {}
    try:
        return page_metadata(metadata)
    except BadRequest:
        return {}
