"""Rasa's socket.io channel, with the same privacy as the REST channel (control characters
removed, personal data masked, only the page language kept of the metadata, before Rasa
stores or logs the message; a message over the length cap gets the same short reply), and a fix that makes it answer at all with the pinned
python-socketio."""
import uuid
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

from assistant.channels.edge import BadRequest, clean_text, page_metadata, too_long_reply
from assistant.privacy import mask_personal_data
from assistant import rasa_patches

# The Rasa server loads the channels (credentials.yml) before the model: the place to apply the
# project's fixes to Rasa internals, in the Rasa server process only.
rasa_patches.apply()


class MaskedSocketIOInput(SocketIOInput):
    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        async def on_masked_message(message: UserMessage) -> None:
            typed = clean_text(message.text or "")
            if not typed:
                return  # nothing to answer; socket.io has no status code to say so
            try:
                message.metadata = page_metadata(message.metadata)
            except BadRequest:
                message.metadata = {}
            refusal = too_long_reply(typed, message.metadata.get("language"))
            if refusal is not None:
                await message.output_channel.send_text_message(message.sender_id, refusal)
                return
            message.text = mask_personal_data(typed)
            await on_new_message(message)

        blueprint = super().blueprint(on_masked_message)
        sio = self.sio

        # Rasa 3.6 calls sio.enter_room() without await; since python-socketio 5.10 it is a
        # coroutine, so the session never joined its room and no answer ever reached the
        # client. Same handler as Rasa's, with the await.
        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            data = data if isinstance(data, dict) else {}
            if not data.get("session_id"):
                data["session_id"] = uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, data["session_id"], namespace=self.namespace)
            await sio.emit("session_confirm", data["session_id"], room=sid, namespace=self.namespace)

        sio.on("session_request", handler=session_request, namespace=self.namespace)
        return blueprint
