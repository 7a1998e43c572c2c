"""Start the action server and the Rasa server on free ports, as `make run` does."""
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import requests

from assistant import deployment
from assistant.processes import Process, free_port, wait_for


@dataclass
class Bot:
    url: str
    server_log: Path
    endpoints: Path  # the server's endpoints.yml: its action server and SQLite tracker store
    tracker_db: Path
    # The origins the Rasa server answers browsers from (CORS): the demo chat page's, and
    # another site's that embeds the widget.
    chat_site_port: int
    embedding_site_port: int

    @property
    def webhook(self) -> str:
        return f"{self.url}/webhooks/rest/webhook"

    def post(self, body: Any) -> requests.Response:
        return requests.post(self.webhook, json=body, timeout=30)

    def say(self, sender: str, text: str, metadata: Optional[Dict] = None) -> List[Dict]:
        body: Dict[str, Any] = {"sender": sender, "message": text}
        if metadata is not None:
            body["metadata"] = metadata
        response = self.post(body)
        assert response.status_code == 200, response.text
        return response.json()


def started(check, processes: List[Process], what: str) -> None:
    """assistant.processes.wait_for, failing the test with the server's log."""
    try:
        wait_for(check, processes, what)
    except RuntimeError as error:
        pytest.fail(str(error))


@pytest.fixture(scope="session")
def bot(model_path, tmp_path_factory) -> Bot:
    chat_site_port, embedding_site_port = free_port(), free_port()
    try:
        # As `make run` starts them, with the two pages' origins allowed. Debug logging writes
        # every user message to the log: the privacy tests check that only masked text gets there.
        servers = deployment.start_servers(
            model_path, tmp_path_factory.mktemp("servers"),
            origins=[f"http://127.0.0.1:{chat_site_port}", f"http://127.0.0.1:{embedding_site_port}"],
            rasa_arguments=["--debug"])
    except RuntimeError as error:
        pytest.fail(str(error))
    try:
        yield Bot(servers.url, servers.rasa.log, servers.endpoints, servers.tracker_db,
                  chat_site_port, embedding_site_port)
    finally:
        servers.stop()


@pytest.fixture
def sender() -> str:
    """A new conversation for each test."""
    return f"test-{uuid.uuid4()}"
