"""The model server every Rasa instance pulls the live model from (Rasa's `models:` endpoint).

    python -m assistant.model_store serve [--port 8082] [--interface 127.0.0.1]

GET /models/live?token=...  the live model (the latest activation's), with its SHA-256 as
                            ETag; 304 when the instance's If-None-Match is that already
GET /health                 200 once the server answers (no token, says nothing else)

Rasa sends the token of its endpoints file as the `token` query parameter; a request
without the right one gets 401 and no hint. The server listens on MODEL_STORE_INTERFACE
(127.0.0.1 in the embedded profile; instances on other hosts of the scaled profile need
0.0.0.0 or the host's address) and MODEL_STORE_PORT (8082).
"""
import hmac
import logging
import time
from pathlib import Path
from typing import Optional, Tuple

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.engine import Engine

from assistant.model_store import registry
from assistant.reliability import kind_and_place

logger = logging.getLogger(__name__)

LIVE_PATH = "/models/live"
# Each instance asks every MODEL_STORE_PULL_SECONDS; the database is asked at most this often.
LIVE_CACHE_SECONDS = 1.0


def create_app(engine: Engine, store: Path, token: str, name: str = "model_store") -> Sanic:
    if not token:
        raise ValueError("The model store needs a token (MODEL_STORE_TOKEN): it serves the trained model.")
    app = Sanic(name)
    app.config.MOTD = False
    app.config.REQUEST_MAX_SIZE = 4096
    # A model is some 50 MB: slow links get time to take it.
    app.config.RESPONSE_TIMEOUT = 600
    cached: Tuple[float, Optional[registry.StoredModel]] = (0.0, None)

    def live() -> Optional[registry.StoredModel]:
        nonlocal cached
        if time.monotonic() - cached[0] > LIVE_CACHE_SECONDS:
            cached = (time.monotonic(), registry.active(engine))
        return cached[1]

    @app.get("/health")
    async def health(request: Request) -> HTTPResponse:
        return response.text("ok")

    @app.get(LIVE_PATH)
    async def live_model(request: Request) -> HTTPResponse:
        if not hmac.compare_digest((request.args.get("token") or "").encode(), token.encode()):
            return response.text("unauthorised", status=401)
        model = live()
        if model is None:
            return response.text("no model yet", status=404)
        etag = model.sha256
        if request.headers.get("If-None-Match") == etag:
            return response.empty(status=304, headers={"ETag": etag})
        path = registry.model_file(store, model.sha256)
        return await response.file_stream(path, headers={"ETag": etag, "filename": "model.tar.gz"},
                                          mime_type="application/gzip")

    @app.exception(Exception)
    async def failure(request: Request, error: Exception) -> HTTPResponse:
        status = getattr(error, "status_code", 500)
        if status >= 500:
            logger.error(f"The model store failed: {kind_and_place(error)}")
        return response.text("not found" if status == 404 else "failed", status=status)

    return app
