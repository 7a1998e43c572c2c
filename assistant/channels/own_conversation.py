"""An applicant's own conversation: a copy of it, and deleting it (GDPR articles 15 and 17).

Only the conversation's owner may do either, and the sender id does not prove that: anyone
can type one. The server proves it with a key it hands out with the conversation:

    POST /webhooks/rest/conversations        -> {"sender": "<32 hex>", "key": "<32 hex>"}
    POST /webhooks/rest/conversation/copy    {"sender": ..., "key": ...} -> the conversation
                                             as plain text (a file in its language)
    POST /webhooks/rest/conversation/delete  {"sender": ..., "key": ...} -> {"deleted": true}

The key is an HMAC of the sender id under CHAT_SESSION_SECRET (the signature socket.io's
session ids carry, so a socket.io client's token `<session>.<key>` is its sender and key):
nothing is stored, every instance checks it alike, and only whoever got it with the
conversation (the chat widget keeps it in the tab's session storage) or the staff console (for
an applicant who asks by phone) holds it. A wrong key gets the same 404 as a conversation that
does not exist, and is counted against the address's rate limit before anything is read;
copies and deletions count against the conversation's and the address's limits like messages.
"""
import datetime as dt
import hmac
import logging
import os
import re
import secrets
from typing import Any, Dict, List, Optional, Tuple

from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.handoff import HANDOFF_REFERENCE_SLOT
from assistant.channels.edge import (
    MAX_BODY_BYTES, MAX_SENDER_LENGTH, Edge, chat_secret, conversation_id, failure, unprintable)
from assistant.console.local_time import ZONE
from assistant.language import LANGUAGE_ENTITY, supported
from assistant.retention import RETENTION_DAYS, delete_conversation

logger = logging.getLogger(__name__)

_KEY = re.compile(r"[0-9a-f]{32}")
NOT_FOUND = "No such conversation."

COPY_TEXTS: Dict[str, Dict[str, str]] = {
    "sv": {
        "title": "Samtal med Migrationsverkets chattassistent för teknisk support",
        "saved": "Sparat {at} (svensk tid).",
        "reference": "Referens för teknisk support: {reference}",
        "masked": "Personnummer, mejladresser och telefonnummer är borttagna, så som samtalet är sparat. "
                  "Assistenten sparar samtalet i {days} dagar efter det senaste meddelandet.",
        "user": "Du", "bot": "Assistenten", "notice": "Driftinformation", "choices": "Val",
        "file": "samtal",
    },
    "en": {
        "title": "Conversation with Migrationsverket's technical support chat assistant",
        "saved": "Saved {at} (Swedish time).",
        "reference": "Reference for technical support: {reference}",
        "masked": "Identity numbers, email addresses and phone numbers are removed, as in the stored "
                  "conversation. The assistant keeps it for {days} days after the last message.",
        "user": "You", "bot": "Assistant", "notice": "Service notice", "choices": "Choices",
        "file": "conversation",
    },
}


def owner_key(sender: str) -> str:
    """The key that proves `sender` is the caller's own conversation."""
    from assistant.channels.socketio import SessionTokens

    return SessionTokens(chat_secret()).signature(sender)


def is_owner(sender: str, key: str) -> bool:
    return hmac.compare_digest(key, owner_key(sender))


async def ask_to_delete(sender: str, assistant_url: Optional[str] = None) -> bool:
    """Delete a conversation through a Rasa instance, with its key: how the staff console
    deletes one for an applicant who asks by phone. Whether it was there; raises if the
    instance did not answer or failed."""
    import aiohttp

    url = (assistant_url or os.environ.get("ASSISTANT_URL") or "http://127.0.0.1:5005").rstrip("/")
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        async with session.post(f"{url}/webhooks/rest/conversation/delete",
                                json={"sender": sender, "key": owner_key(sender)}) as answer:
            if answer.status not in (200, 404):
                raise RuntimeError(f"the assistant answered HTTP {answer.status}")
            return answer.status == 200


def register(webhook: Blueprint, edge: Edge) -> None:
    """The three routes, on the REST channel's blueprint (/webhooks/rest/...)."""

    @webhook.route("/conversations", methods=["POST"])
    async def new_conversation(request: Request) -> HTTPResponse:
        try:
            wait = await edge.rate_limiter.seconds_to_wait(None, _address(request))
        except Exception as error:
            return _failed(error)
        if wait:
            return _too_fast(wait)
        sender = _new_sender()
        return response.json({"sender": sender, "key": owner_key(sender)}, status=201,
                             headers={"Cache-Control": "no-store"})

    @webhook.route("/conversation/copy", methods=["POST"])
    async def copy(request: Request) -> HTTPResponse:
        checked = await _owned(request, edge)
        if isinstance(checked, HTTPResponse):
            return checked
        sender, store, _ = checked
        try:
            tracker = await store.retrieve_full_tracker(sender)
        except Exception as error:
            return _failed(error)
        if tracker is None or not any(isinstance(e, (UserUttered, BotUttered)) for e in tracker.events):
            return _not_found()
        language = supported(tracker.get_slot(LANGUAGE_ENTITY)) or "sv"
        text, name = copy_text(tracker.events, language, tracker.get_slot(HANDOFF_REFERENCE_SLOT))
        return response.text(text, headers={"Content-Disposition": f'attachment; filename="{name}"',
                                            "Cache-Control": "no-store"})

    @webhook.route("/conversation/delete", methods=["POST"])
    async def delete(request: Request) -> HTTPResponse:
        checked = await _owned(request, edge)
        if isinstance(checked, HTTPResponse):
            return checked
        sender, store, lock_store = checked
        try:
            found = await delete_conversation(store, lock_store, sender)
        except Exception as error:
            return _failed(error)
        if not found:
            return _not_found()
        logger.info("A conversation was deleted with its key.")
        return response.json({"deleted": True}, headers={"Cache-Control": "no-store"})


async def _owned(request: Request, edge: Edge) -> Any:
    """(sender, tracker store, lock store) of a request that proves its conversation, else
    the response that refuses it."""
    address = _address(request)
    if len(request.body or b"") > MAX_BODY_BYTES:
        return response.json({"error": "The request is too large."}, status=413)
    body = _json_or_none(request)
    sender = body.get("sender") if isinstance(body, dict) else None
    key = body.get("key") if isinstance(body, dict) else None
    # The id as the store keeps it (the key is made for that); no control characters or lone
    # surrogates, which no stored id has and which could not be signed.
    if not (isinstance(sender, str) and 0 < len(sender) <= MAX_SENDER_LENGTH and isinstance(key, str)
            and not unprintable(sender)):
        return response.json({"error": 'Send a JSON object like {"sender": "...", "key": "..."}, as '
                                       "POST /webhooks/rest/conversations gave them."}, status=400)
    owner = bool(_KEY.fullmatch(key)) and is_owner(sender, key)
    try:
        # A guess counts against its address only: guessing must not use up the owner's limit.
        wait = await edge.rate_limiter.seconds_to_wait(sender if owner else None, address)
    except Exception as error:
        return _failed(error)
    if wait:
        return _too_fast(wait)
    agent = getattr(request.app.ctx, "agent", None)
    if not owner or agent is None or agent.tracker_store is None:
        return _not_found()
    return sender, agent.tracker_store, agent.lock_store


def copy_text(events: List[Any], language: str, reference: Optional[str], now: Optional[float] = None
              ) -> Tuple[str, str]:
    """The conversation as a person reads it, and a file name for it. Each message with its
    date and time; a button the user chose as its title; the greeting the widget asks for
    unseen (a payload no button offered) left out."""
    texts = COPY_TEXTS[language]
    saved = dt.datetime.now(ZONE) if now is None else dt.datetime.fromtimestamp(now, ZONE)
    lines = [texts["title"], texts["saved"].format(at=saved.strftime("%Y-%m-%d %H:%M"))]
    if reference:
        lines.append(texts["reference"].format(reference=reference))
    lines += [texts["masked"].format(days=RETENTION_DAYS), ""]
    offered: Dict[str, str] = {}
    for event in events:
        at = dt.datetime.fromtimestamp(event.timestamp, ZONE).strftime("%Y-%m-%d %H:%M")
        if isinstance(event, UserUttered):
            said = event.text or ""
            if said.startswith("/"):
                if said not in offered:
                    continue
                said = offered[said]
            lines.append(_line(at, texts["user"], said))
        elif isinstance(event, BotUttered):
            data = event.data or {}
            custom = data.get("custom")
            notice = custom.get("notice") if isinstance(custom, dict) else None
            if isinstance(notice, dict):
                lines.append(_line(at, texts["notice"], str(notice.get("text") or "")))
                continue
            lines.append(_line(at, texts["bot"], event.text or ""))
            buttons = [b for b in data.get("buttons") or [] if isinstance(b, dict)]
            if buttons:
                offered = {str(b.get("payload") or ""): str(b.get("title") or "") for b in buttons}
                lines.append(f"    ({texts['choices']}: {' | '.join(offered.values())})")
    return "\n".join(lines) + "\n", f"{texts['file']}-{saved.strftime('%Y-%m-%d')}.txt"


def _line(at: str, speaker: str, text: str) -> str:
    """One message; the lines of a long answer indented under its first."""
    return f"{at}  {speaker}: " + "\n    ".join(text.splitlines() or [""])


def _new_sender() -> str:
    """A random id the edge keeps as it is: one of only digits could look like a personal
    identity number, and be stored under a hash of it instead."""
    while True:
        sender = secrets.token_hex(16)
        if conversation_id(sender) == sender:
            return sender


def _address(request: Request) -> str:
    return request.remote_addr or request.ip


def _json_or_none(request: Request) -> Any:
    try:
        return request.json
    except Exception:  # sanic raises InvalidUsage on malformed JSON
        return None


def _not_found() -> HTTPResponse:
    return response.json({"error": NOT_FOUND}, status=404)


def _too_fast(wait: int) -> HTTPResponse:
    return response.json({"error": "Too many requests; try again in a moment."}, status=429,
                         headers={"Retry-After": str(wait)})


def _failed(error: Exception) -> HTTPResponse:
    refusal = failure(error, None)
    headers = {"Retry-After": str(refusal.retry_after)} if refusal.retry_after else None
    return response.json({"error": refusal.text}, status=503 if refusal.retry_after else 500, headers=headers)
